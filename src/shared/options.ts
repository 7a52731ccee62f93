// Validation of constructor options and public arguments. Every check throws a
// TypeError or RangeError that names the option and the value received.

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

/** A function, or `fallback` when undefined (`required` refuses undefined). */
export function fn<T extends (...args: never[]) => unknown>(name: string, value: unknown, fallback?: T): T {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'function') throw new TypeError(`${name} must be a function, received ${show(value)}`);
  return value as T;
}

export { show as describeValue };
