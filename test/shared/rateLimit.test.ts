import { describe, expect, it } from 'vitest';
import { KeyedRateLimit, RateLimit } from '../../src/shared/rateLimit.js';

describe('RateLimit', () => {
  it('allows once per interval: refused 1 ms before it ends, allowed when it ends', () => {
    const r = new RateLimit(1_000);
    expect(r.allow(0)).toBe(true);
    expect(r.allow(999)).toBe(false);
    expect(r.allow(1_000)).toBe(true);
    expect(r.allow(1_999)).toBe(false);
  });
});

describe('KeyedRateLimit', () => {
  it('limits each key on its own', () => {
    const r = new KeyedRateLimit();
    expect(r.allow('a', 1_000, 0)).toBe(true);
    expect(r.allow('b', 1_000, 500)).toBe(true);
    expect(r.allow('a', 1_000, 999)).toBe(false);
    expect(r.allow('a', 1_000, 1_000)).toBe(true);
    expect(r.allow('b', 1_000, 1_499)).toBe(false);
    expect(r.allow('b', 1_000, 1_500)).toBe(true);
  });

  it('remembers at most maxKeys keys, forgetting the oldest, when names keep coming', () => {
    const r = new KeyedRateLimit(3);
    for (let i = 0; i < 10_000; i++) r.allow(`server-${i}`, 60_000, 0);
    expect(r.size).toBe(3);
    expect(r.allow('server-9999', 60_000, 1)).toBe(false); // still remembered
    expect(r.allow('server-0', 60_000, 1)).toBe(true); // forgotten long ago: logs once more
  });
});
