import { describe, expect, it } from 'vitest';
import { randomStagger, rateScaledInterval, scaleFactor } from '../../src/shared/stagger.js';
import { createRandom, shuffleInPlace } from '../../src/shared/random.js';

describe('scaleFactor', () => {
  it.each([
    [0, 1],
    [1, 1],
    [100, 1],
    [128, 1],
    [129, 2],
    [200, 2],
    [256, 2],
    [257, 3],
    [1_000, 4],
    [8_192, 7],
    [10_000, 8],
    [100_000, 11],
    [Number.NaN, 1],
    [-5, 1],
    [Infinity, 1],
  ])('is %d nodes → %d', (nodes, factor) => {
    expect(scaleFactor(nodes)).toBe(factor);
  });
});

describe('randomStagger', () => {
  it('floors random() × ms and is 0 for ms ≤ 0', () => {
    expect(randomStagger(3_000, () => 0.5)).toBe(1_500);
    expect(randomStagger(3_000, () => 0.99999)).toBe(2_999);
    expect(randomStagger(3_000, () => 0)).toBe(0);
    expect(randomStagger(0, () => 0.5)).toBe(0);
    expect(randomStagger(-10, () => 0.5)).toBe(0);
    expect(randomStagger(Number.NaN, () => 0.5)).toBe(0);
  });
});

describe('rateScaledInterval', () => {
  it.each([
    // rate/s, min ms, nodes → ms
    [320, 120_000, 10_000, 120_000], // 10K nodes, 5 servers × 64: 31 s < 120 s, the minimum wins
    [320, 120_000, 100_000, 312_500], // 100K nodes: ~5.2 min
    [320, 120_000, 1_000_000, 3_125_000], // 1M nodes: ~52 min
    [64, 120_000, 65_535, 1_023_984.375], // 65,535 nodes, 1 server: ~17 min
    [0, 5_000, 1_000_000, 5_000], // rate 0: the minimum
    [1 / 86_400, 5_000, 1_000_000, 5_000], // one per day or less: the minimum
  ])('at %d/s, min %d ms and %d nodes is %d ms', (rate, min, n, expected) => {
    expect(rateScaledInterval(rate, min, n)).toBe(expected);
  });
});

describe('createRandom', () => {
  it('yields the same sequence for the same seed and a different one for another seed', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const c = createRandom(43);
    const seqA = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(seqA);
    expect(Array.from({ length: 5 }, c)).not.toEqual(seqA);
    for (const x of seqA) expect(x >= 0 && x < 1).toBe(true);
  });

  it('shuffles a permutation reproducibly', () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    const once = shuffleInPlace([...items], createRandom(7));
    expect(shuffleInPlace([...items], createRandom(7))).toEqual(once);
    expect([...once].sort((x, y) => x - y)).toEqual(items);
    expect(once).not.toEqual(items);
  });
});
