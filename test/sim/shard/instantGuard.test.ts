// Both engines' run loops consult the instant guard: a run that does more at one instant
// than the guard allows ends with an error naming the instant, on either engine, instead
// of hanging (the guard's own bounds are tested with the heap clock).
import { describe, expect, it } from 'vitest';
import { InstantGuard } from '../../../src/sim/instantGuard.js';
import { runShard } from '../../../src/sim/shard/shard.js';
import { equilibrium, MIN } from '../../../src/sim/scenarios/common.js';

describe('the instant guard in a shard', () => {
  // 40 agents started at one instant: well over 20 events at 0 ms on either engine.
  const { config } = equilibrium({ seed: 5, agents: 40, servers: 3, durationMs: 5 * MIN });
  const atOnce = { ...config, startSpreadMs: 0 };

  for (const engine of ['events', 'actors'] as const) {
    it(`ends a ${engine} run that passes the guard's bound at one instant, naming the instant`, async () => {
      await expect(runShard(atOnce, { first: 0, count: 40 }, { guard: new InstantGuard(1e9, 20) }, engine)).rejects.toThrow(/stuck at 0 ms: 21 events/);
    });

    it(`runs the same fleet to its end on the ${engine} engine under the default bounds`, async () => {
      const { result } = await runShard(atOnce, { first: 0, count: 40 }, {}, engine);
      expect(result.agentEvents).toBeGreaterThan(40);
    });
  }
});
