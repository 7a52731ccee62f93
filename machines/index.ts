// The machine definitions, pure xstate v5 (no I/O, no global time or randomness).
// Exported as `ae-sync/machines` for the Stately inspector/editor and `.provide()`.

/**
 * The pure xstate v5 machine definitions, for `.provide()`, the Stately editor and the inspector.
 *
 * @module ae-sync/machines
 */
export * from './rebalancer.machine.js';
export * from './stateSyncer.machine.js';
