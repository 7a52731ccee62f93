// The machine definitions, pure xstate v5 (no I/O, no global time or randomness).
// Exported as `ae-sync/machines` for the Stately inspector/editor and `.provide()`.
export * from './rebalancer.machine.js';
export * from './stateSyncer.machine.js';
