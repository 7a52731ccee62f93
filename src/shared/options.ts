// Validation of constructor options and public arguments. Every check throws a
// TypeError or RangeError that names the option and the value received.
import { MAX_TIMER_MS, type Clock } from './clock.js';

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return String(value);
  } catch {
    return typeof value;
  }
}

/** A finite number > 0 (milliseconds, counts, rates). */
export function positiveNumber(name: string, value: unknown): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, received ${show(value)}`);
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a finite number > 0, received ${show(value)}`);
  return value;
}

/** A finite number ≥ 0, or `fallback` when undefined. */
export function nonNegativeNumber(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, received ${show(value)}`);
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite number ≥ 0, received ${show(value)}`);
  return value;
}

/** A finite number > 0, or `fallback` when undefined. */
export function optionalPositiveNumber(name: string, value: unknown, fallback: number): number;
export function optionalPositiveNumber(name: string, value: unknown, fallback?: number): number | undefined;
export function optionalPositiveNumber(name: string, value: unknown, fallback?: number): number | undefined {
  return value === undefined ? fallback : positiveNumber(name, value);
}

/** A function; `fallback` when undefined and a fallback is given, else undefined is refused (TypeError naming `name`). */
export function fn<T extends (...args: never[]) => unknown>(name: string, value: unknown, fallback?: T): T {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'function') throw new TypeError(`${name} must be a function, received ${show(value)}`);
  return value as T;
}

/**
 * A duration in ms that a timer can hold: finite, > 0 (≥ 0 with `allowZero`) and at
 * most {@link MAX_TIMER_MS} (2^31 − 1); `fallback` when undefined.
 */
export function durationMs(name: string, value: unknown, fallback: number, options?: { allowZero?: boolean }): number;
export function durationMs(name: string, value: unknown, fallback?: number, options?: { allowZero?: boolean }): number | undefined;
export function durationMs(name: string, value: unknown, fallback?: number, options: { allowZero?: boolean } = {}): number | undefined {
  if (value === undefined) return fallback;
  const ms = options.allowZero ? nonNegativeNumber(name, value, 0) : positiveNumber(name, value);
  if (ms > MAX_TIMER_MS) throw new RangeError(`${name} must be at most ${MAX_TIMER_MS} ms (the longest timer), received ${show(value)}`);
  return ms;
}

/** A `clock` option: an object with `setTimeout` and `clearTimeout`; `now`, if present, a number or a function; `performance`, if present, an object with `now()`. */
export function checkClock(name: string, value: unknown): Clock {
  const c = value as Partial<Clock> | null;
  if (typeof c !== 'object' || c === null || typeof c.setTimeout !== 'function' || typeof c.clearTimeout !== 'function') {
    throw new TypeError(`${name} must have setTimeout(fn, ms) and clearTimeout(handle), received ${show(value)}`);
  }
  if (c.now !== undefined && typeof c.now !== 'number' && typeof c.now !== 'function') {
    throw new TypeError(`${name}.now must be a number or a function returning ms, received ${show(c.now)}`);
  }
  if (c.performance !== undefined && (typeof c.performance !== 'object' || c.performance === null || typeof c.performance.now !== 'function')) {
    throw new TypeError(`${name}.performance must be an object with now() returning monotonic ms, received ${show(c.performance)}`);
  }
  return c as Clock;
}

export { show as describeValue };

/**
 * An option renamed, its old name kept as a deprecated alias: the name and value given
 * (the old name only when the new one is absent). Both given with different values is a
 * TypeError naming both; the same value twice is accepted.
 */
export function renamedOption<K extends string, O extends string>(
  options: Partial<Record<K | O, unknown>>,
  name: K,
  oldName: O,
): { name: K | O; value: unknown } {
  const value = options[name];
  const old = options[oldName];
  if (old === undefined) return { name, value };
  if (value === undefined) return { name: oldName, value: old };
  if (!Object.is(value, old)) {
    throw new TypeError(`${name} and its deprecated alias ${oldName} were both given, with different values: received ${show(value)} and ${show(old)}; pass ${name} only`);
  }
  return { name, value };
}
