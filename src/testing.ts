// `ae-sync/testing`: helpers for testing code that embeds ae-sync — a fake clock
// the library accepts as its `Clock`, deterministic random sources, and test
// doubles for the two things an agent supplies (its SyncState and its Pinger).

/**
 * Helpers for testing code that embeds ae-sync: a fake clock, deterministic random sources and test doubles. Needs the optional peer `@sinonjs/fake-timers`.
 *
 * @module ae-sync/testing
 */
import type * as FakeTimers from '@sinonjs/fake-timers';
import type { Clock } from './shared/clock.js';
import { importPeer } from './shared/peer.js';
import { createRandom } from './shared/random.js';

// @sinonjs/fake-timers is an optional peer of ae-sync: without it, importing
// `ae-sync/testing` fails naming the package (src/shared/peer.ts).
const { createClock } = await importPeer('@sinonjs/fake-timers', 'ae-sync/testing', () => import('@sinonjs/fake-timers'));

export { scriptedSyncState, type ScriptedSyncState, type SyncCall, type SyncCallMode } from './testing/syncState.js';
export { scriptedPinger, manualPinger, type PendingPing } from './testing/pinger.js';

/** A `@sinonjs/fake-timers` clock that is also an ae-sync `Clock`. Drive it with `tickAsync(ms)`. */
export type TestClock = ReturnType<typeof FakeTimers.createClock> & Clock;

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
