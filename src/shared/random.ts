// Seeded pseudo-random numbers, so tests and simulations are reproducible.
// mulberry32 (Tommy Ettinger's 32-bit generator): tiny state, good enough
// statistical quality for jitter and shuffles, not for cryptography. Also the one
// rule every component applies to the values of an injected random source.
import { describeValue } from './options.js';

/**
 * Checks one value of an injected `random()`: a number in `[0, 1)` is returned as it
 * is; anything else (1, NaN, a negative, a string) throws a RangeError naming it. A
 * source that gives such values is broken, not noisy — clamping NaN to 0 would
 * silently remove every stagger (the thundering herd jitter exists to prevent), and
 * 1 would index past the end of a shuffled list — so the component that draws it
 * stops loudly, as it does when `random()` throws.
 */
export function checkRandomValue(value: unknown): number {
  if (typeof value === 'number' && value >= 0 && value < 1) return value;
  throw new RangeError(`random() must return a number in [0, 1), received ${describeValue(value)}`);
}

/** Returns a `() => number` in `[0, 1)` that yields the same sequence for the same seed. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Fisher–Yates shuffle of `items` in place, driven by `random`. */
export function shuffleInPlace<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}
