// The one notion of time in ae-sync. Every timer the library sets goes through a
// Clock, so tests can drive time with a fake clock and the simulator with a heap clock.

/**
 * The timer surface ae-sync needs. It is a superset-compatible subset of xstate's
 * `Clock`, of Node's globals and of `@sinonjs/fake-timers`' `createClock()` result.
 * `now` is optional: a number (fake-timers) or a function returning milliseconds —
 * wall-clock time, for timestamps people read (`lastSuccessAt`).
 * `performance` is optional too: a monotonic reading in ms (Node's `performance`,
 * fake-timers' `clock.performance`), which a wall-clock step never moves. Durations and
 * deadlines are measured with it (see `monotonicNow`), as timers themselves run.
 */
export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now?: number | (() => number);
  performance?: { now(): number };
}

/**
 * The largest delay a timer can hold: 2^31 − 1 ms (~24.8 days). Node fires a
 * longer one after 1 ms, so every duration option is refused above it and every
 * computed delay is clamped to it.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** The real clock: Node's timers, `Date.now()` and `performance.now()`. */
export const systemClock: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
  performance: { now: () => performance.now() },
};

/** Milliseconds according to `clock`; falls back to `Date.now()` when it has no `now`. */
export function clockNow(clock: Clock): number {
  const now = clock.now;
  if (typeof now === 'number') return now;
  if (typeof now === 'function') return now.call(clock);
  return Date.now();
}

/**
 * Monotonic milliseconds according to `clock`, for durations and deadlines: its
 * `performance.now()` when it has one; else its `now` (a clock that only gives `now`,
 * like the simulator's, keeps one time for everything); else `performance.now()`.
 * Only differences between two readings mean anything.
 */
export function monotonicNow(clock: Clock): number {
  const perf = clock.performance;
  if (perf !== undefined && perf !== null) return perf.now();
  if (clock.now !== undefined) return clockNow(clock);
  return performance.now();
}

/** Resolves after `ms` on `clock`. Used for bounded waits (stop timeouts, ping deadlines). */
export function sleep(clock: Clock, ms: number): { promise: Promise<void>; cancel(): void } {
  let handle: unknown;
  let settle: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    settle = resolve;
    handle = clock.setTimeout(resolve, ms);
  });
  return {
    promise,
    cancel() {
      clock.clearTimeout(handle);
      settle();
    },
  };
}

/** `ms` clamped into `[0, MAX_TIMER_MS]` (NaN counts as 0), for delays computed from several terms. */
export function clampDelay(ms: number): number {
  if (!(ms > 0)) return 0;
  return ms > MAX_TIMER_MS ? MAX_TIMER_MS : ms;
}
