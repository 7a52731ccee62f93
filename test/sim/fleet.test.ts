import { describe, expect, it } from 'vitest';
import { simulate, type SimConfig } from '../../src/sim/simulator.js';

const MIN = 60_000;

function config(overrides: Partial<SimConfig> = {}): SimConfig {
  return {
    seed: 3,
    agents: 60,
    servers: 3,
    durationMs: 20 * MIN,
    bucketMs: 10_000,
    warmupMs: 0,
    startSpreadMs: 10_000,
    tuning: { syncIntervalMs: 60_000 },
    changeIntervalMs: 30_000,
    ...overrides,
  };
}

describe('simulated fleet', { timeout: 60_000 }, () => {
  it('moves every agent off a server within a rebalance interval when that server goes down, and back after it restarts', async () => {
    const onS0: number[] = [];
    const run = await simulate(config(), (ctx) => {
      ctx.at(5 * MIN, () => ctx.network.setUp(0, false));
      ctx.at(10 * MIN, () => ctx.network.setUp(0, true));
      for (const t of [5, 9, 20]) ctx.at(t * MIN - 1, () => onS0.push(ctx.fleet.agentsOn[0]!));
    });
    expect(onS0[0]).toBeGreaterThan(5); // before: its share
    // Down: failed RPCs rotate it to the back and rebalances never pick it (ping fails).
    expect(onS0[1]).toBe(0);
    // Restarted: rebalances spread agents over it again.
    expect(onS0[2]).toBeGreaterThan(5);
    expect(run.summary.fullSyncs).toBeGreaterThan(0);
  });

  it('drops a server from every agent at once when it leaves and syncs everyone fully when a new one joins', async () => {
    const seen: { on2: number; total: number; full: number }[] = [];
    await simulate(config({ extraServers: 1 }), (ctx) => {
      ctx.at(5 * MIN, () => {
        for (let i = 0; i < 60; i++) ctx.fleet.removeServer(i, 2);
      });
      ctx.at(5 * MIN + 1, () => seen.push({ on2: ctx.fleet.agentsOn[2]!, total: ctx.fleet.agentsOn.reduce((a, b) => a + b, 0), full: ctx.fleet.fullSyncs }));
      ctx.at(6 * MIN, () => {
        ctx.fleet.markFullSyncs();
        for (let i = 0; i < 60; i++) ctx.fleet.addServer(i, 3);
      });
      ctx.at(6 * MIN + 3_100, () => seen.push({ on2: 0, total: 0, full: ctx.fleet.firstFullAfterMark.count }));
    });
    expect(seen[0]).toMatchObject({ on2: 0, total: 60 });
    // serverUp → a full sync within stagger(serverUpInterval) = [0, 3 s) below 128 agents.
    expect(seen[1]!.full).toBe(60);
  });

  it('runs the same events and results when agents share clock views differently', async () => {
    const a = await simulate(config({ agentsPerClock: 1 }), () => undefined);
    const b = await simulate(config({ agentsPerClock: 64 }), () => undefined);
    expect(b.summary).toEqual(a.summary);
    expect(b.series).toEqual(a.series);
  });
});
