import { describe, expect, it } from 'vitest';
import { clockNow, sleep, systemClock } from '../../src/shared/clock.js';
import { TypedEmitter } from '../../src/shared/emitter.js';
import { nonNegativeNumber, positiveNumber } from '../../src/shared/options.js';
import { createTestClock } from '../../src/testing.js';

describe('clockNow', () => {
  it('reads a numeric now, a function now, and falls back to Date.now()', () => {
    expect(clockNow({ setTimeout: () => 0, clearTimeout: () => undefined, now: 1234 })).toBe(1234);
    expect(clockNow({ setTimeout: () => 0, clearTimeout: () => undefined, now: () => 99 })).toBe(99);
    const before = Date.now();
    const t = clockNow({ setTimeout: () => 0, clearTimeout: () => undefined });
    expect(t).toBeGreaterThanOrEqual(before);
    expect(clockNow(systemClock)).toBeGreaterThanOrEqual(before);
  });
});

describe('sleep', () => {
  it('resolves exactly at its deadline on the given clock, and at once when cancelled', async () => {
    const clock = createTestClock();
    let done = false;
    void sleep(clock, 1_000).promise.then(() => (done = true));
    await clock.tickAsync(999);
    expect(done).toBe(false);
    await clock.tickAsync(1);
    expect(done).toBe(true);
    const s = sleep(clock, 5_000);
    s.cancel();
    await s.promise;
    expect(clock.countTimers()).toBe(0);
  });
});

describe('option validation', () => {
  it('names the option and the value it refuses', () => {
    expect(() => positiveNumber('interval', 0)).toThrow(new RangeError('interval must be a finite number > 0, received 0'));
    expect(() => positiveNumber('interval', '5')).toThrow(TypeError);
    expect(() => nonNegativeNumber('t', -1, 5)).toThrow(/t must be a finite number ≥ 0, received -1/);
    expect(nonNegativeNumber('t', undefined, 5)).toBe(5);
    expect(nonNegativeNumber('t', 0, 5)).toBe(0);
  });
});

describe('TypedEmitter', () => {
  class E extends TypedEmitter<{ ping: number }> {
    fire(n: number) {
      this.emit('ping', n);
    }
  }
  it('delivers to listeners, survives a throwing one and stops after off', () => {
    const errors: unknown[] = [];
    const e = new (class extends E {})();
    const got: number[] = [];
    const withHook = new (class extends TypedEmitter<{ ping: number }> {
      protected override listenerFailed(_event: 'ping', err: unknown) {
        errors.push(err);
      }
      fire(n: number) {
        this.emit('ping', n);
      }
    })();
    withHook.on('ping', () => {
      throw new Error('boom');
    });
    const off = withHook.on('ping', (n) => got.push(n));
    withHook.fire(1);
    off();
    withHook.fire(2);
    expect(got).toEqual([1]);
    expect(errors).toHaveLength(2);
    e.fire(3); // no listeners: no-op
  });
});
