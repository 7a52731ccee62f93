// Seeded random streams for the simulator. Every source of randomness gets its own
// mulberry32 stream derived from --seed: each agent has its own streams (its syncer
// and manager, its network faults and latencies, its workload, its scenario draws),
// so an agent draws the same numbers whichever worker runs it and whoever runs beside it.
import { createRandom } from '../shared/random.js';

/** Stream families; the values are part of the seed derivation, keep them stable. */
export const Stream = {
  /** The agent's syncer and manager (their `random` option). */
  agent: 1,
  /** Shared by the whole run: nothing per agent may draw from it. */
  scenario: 3,
  /** The agent's network: faults and round-trip latencies of its pings and RPCs. */
  agentNetwork: 5,
  /** The agent's workload: start time, initial server order, local changes. */
  agentWorkload: 6,
  /** The agent's draws for timeline events (e.g. when gossip reaches it). */
  agentScenario: 7,
  /**
   * Runs with entries: the agent's catalog requests (faults and round trips), and its
   * registry's `random` (retry waits, the write cap's phase). Streams of their own, so
   * what the registry draws never shifts what the syncer, the manager or the pings draw.
   */
  agentCatalog: 8,
  agentRegistry: 9,
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

/**
 * One stream of `family` per agent of [first, first + count), kept as a 32-bit state
 * per agent (4 bytes, not a closure each): `next(local)` draws from agent
 * `first + local`'s stream, the same sequence as `streamRandom(seed, family, first + local)`.
 */
export class StreamTable {
  private readonly state: Uint32Array;
  constructor(seed: number, family: number, first: number, count: number) {
    this.state = new Uint32Array(count);
    for (let i = 0; i < count; i++) this.state[i] = deriveSeed(seed, family, first + i);
  }

  /** The next value in [0, 1) of local agent `local`'s stream (mulberry32, as createRandom). */
  next(local: number): number {
    const s = ((this.state[local] as number) + 0x6d2b79f5) >>> 0;
    this.state[local] = s;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }
}
