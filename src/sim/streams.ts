// Seeded random streams for the simulator. Every source of randomness (each
// agent, the network, the scenario's own choices) gets its own mulberry32 stream
// derived from --seed, so adding draws to one stream never shifts another.
import { createRandom } from '../shared/random.js';

/** Stream families; the values are part of the seed derivation, keep them stable. */
export const Stream = {
  agent: 1,
  network: 2,
  scenario: 3,
  workload: 4,
} as const;

/** A 32-bit avalanche mix (the finaliser of MurmurHash3 / splitmix32). */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A seed for stream `family`/`index` of run seed `seed`: distinct inputs give unrelated seeds. */
export function deriveSeed(seed: number, family: number, index = 0): number {
  let h = mix32((seed >>> 0) ^ 0x9e3779b9);
  h = mix32(h ^ Math.imul(family + 1, 0x27d4eb2d));
  return mix32(h ^ Math.imul(index + 1, 0x165667b1));
}

/** The `() => number` in [0, 1) for stream `family`/`index` of `seed`. */
export function streamRandom(seed: number, family: number, index = 0): () => number {
  return createRandom(deriveSeed(seed, family, index));
}
