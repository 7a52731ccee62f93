import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/shared/random.js';
import { Stream, StreamTable, deriveSeed, streamRandom } from '../../src/sim/streams.js';

const take = (random: () => number, n: number): number[] => Array.from({ length: n }, () => random());

describe('streams', () => {
  it('yields the same sequence when built twice from the same seed', () => {
    expect(take(createRandom(42), 100)).toEqual(take(createRandom(42), 100));
    expect(take(streamRandom(42, Stream.agent, 7), 100)).toEqual(take(streamRandom(42, Stream.agent, 7), 100));
  });

  it('yields different sequences when the seed, family or index differ', () => {
    const base = take(streamRandom(42, Stream.agent, 7), 10);
    expect(take(streamRandom(43, Stream.agent, 7), 10)).not.toEqual(base);
    expect(take(streamRandom(42, Stream.agentNetwork, 7), 10)).not.toEqual(base);
    expect(take(streamRandom(42, Stream.agent, 8), 10)).not.toEqual(base);
  });

  it('derives distinct seeds for 100 000 agent streams', () => {
    const seeds = new Set<number>();
    for (let i = 0; i < 100_000; i++) seeds.add(deriveSeed(42, Stream.agent, i));
    expect(seeds.size).toBeGreaterThan(99_990);
  });

  it('draws the same sequence per agent from a StreamTable as from streamRandom whatever the table\'s first agent', () => {
    const whole = new StreamTable(42, Stream.agentNetwork, 0, 10);
    const tail = new StreamTable(42, Stream.agentNetwork, 7, 3);
    const fromWhole = take(() => whole.next(8), 20);
    expect(take(() => tail.next(1), 20)).toEqual(fromWhole);
    expect(take(streamRandom(42, Stream.agentNetwork, 8), 20)).toEqual(fromWhole);
  });

  it('stays in [0, 1) with a mean near 0.5 when drawn 100 000 times', () => {
    const random = streamRandom(1, Stream.agentWorkload);
    let sum = 0;
    let outside = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = random();
      if (!(x >= 0 && x < 1)) outside++;
      sum += x;
    }
    expect(outside).toBe(0);
    expect(Math.abs(sum / 100_000 - 0.5)).toBeLessThan(0.01);
  });
});
