// `ae-sync/testing`: helpers for testing code that embeds ae-sync — a fake clock
// the library accepts as its `Clock`, deterministic random sources, and test
// doubles for the two things an agent supplies (its SyncState and its Pinger).

/**
 * Helpers for testing code that embeds ae-sync: a fake clock, deterministic random sources and test doubles. Needs the optional peer `@sinonjs/fake-timers`.
 *
 * @module ae-sync/testing
 */
import type { Clock } from './shared/clock.js';
import { importPeer } from './shared/peer.js';
import { createRandom } from './shared/random.js';

// @sinonjs/fake-timers is an optional peer of ae-sync: without it, importing
// `ae-sync/testing` fails naming the package (src/shared/peer.ts).
const { createClock } = await importPeer('@sinonjs/fake-timers', 'ae-sync/testing', () => import('@sinonjs/fake-timers'));

export { scriptedSyncState, type ScriptedSyncState, type SyncCall, type SyncCallMode } from './testing/syncState.js';
export { scriptedPinger, manualPinger, type PendingPing } from './testing/pinger.js';

/**
 * A `@sinonjs/fake-timers` clock that is also an ae-sync `Clock`. Drive it with `tickAsync(ms)`.
 *
 * Declared here, member by member, rather than as fake-timers' own type, so that a project
 * without `@sinonjs/fake-timers` installed still typechecks against ae-sync's declarations
 * (the entry itself needs the package at run time). Durations are ms, or a string such as
 * `'01:30'` where fake-timers accepts one.
 */
export interface TestClock extends Clock {
  /** The fake time, ms since the epoch of the clock (its `startMs`). */
  now: number;
  /** The fake time as a monotonic reading, ms. */
  performance: { now(): number };
  /** A `Date` constructor that reads the fake time. */
  Date: DateConstructor;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  /** Advances by `ms`, firing the timers due; returns the new time. */
  tick(ms: number | string): number;
  /** As `tick`, letting promise callbacks run between timers. */
  tickAsync(ms: number | string): Promise<number>;
  /** Fires the next timer only; returns the new time. */
  next(): number;
  nextAsync(): Promise<number>;
  /** Fires timers until none is left (fake-timers gives up after its loop limit). */
  runAll(): number;
  runAllAsync(): Promise<number>;
  /** Fires the timers scheduled now, up to the last of them. */
  runToLast(): number;
  runToLastAsync(): Promise<number>;
  /** Runs the queued microtasks of the fake clock. */
  runMicrotasks(): void;
  /** How many timers are scheduled. */
  countTimers(): number;
  /** Moves the wall-clock time without firing timers. */
  setSystemTime(now?: number | Date): void;
  /** Jumps ahead by `ms`, firing each due timer at most once. */
  jump(ms: number | string): number;
  /** Removes every timer and sets the time back to the start. */
  reset(): void;
}

/**
 * Makes a fake clock starting at `startMs` (default 0). Timers run only when the test
 * advances it (`await clock.tickAsync(ms)` lets promise callbacks run between timers);
 * `clock.countTimers()` tells whether anything is still scheduled.
 */
export function createTestClock(startMs = 0): TestClock {
  return createClock(startMs);
}

/** A random source that returns `value` every time (e.g. 0 for "no stagger", 0.5 for the midpoint). */
export function constantRandom(value: number): () => number {
  if (!(value >= 0 && value < 1)) throw new RangeError(`random value must be in [0, 1), received ${value}`);
  return () => value;
}

/** A seeded, reproducible random source in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, received ${String(seed)}`);
  return createRandom(seed);
}
