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
    tuning: { interval: 60_000 },
    changeIntervalMs: 30_000,
    ...overrides,
  };
}

describe('simulated fleet', { timeout: 60_000 }, () => {
  it('moves every agent off a server within a rebalance interval when that server goes down, and back after it restarts', async () => {
    const onS0: number[] = [];
    const timeline = [
      { atMs: 5 * MIN, op: 'down', server: 0 },
      { atMs: 10 * MIN, op: 'up', server: 0 },
    ] as const;
    const run = await simulate(config({ timeline }), {
      probe: (ctx) => {
        for (const t of [5, 9, 20]) ctx.at(t * MIN - 1, () => onS0.push(ctx.fleet.agentsOn[0]!));
      },
    });
    expect(onS0[0]).toBeGreaterThan(5); // before: its share
    // Down: failed RPCs rotate it to the back and rebalances never pick it (ping fails).
    expect(onS0[1]).toBe(0);
    // Restarted: rebalances spread agents over it again.
    expect(onS0[2]).toBeGreaterThan(5);
    expect(run.summary.fullSyncs).toBeGreaterThan(0);
  });

  // A join asks for full syncs only of agents with no full sync they can trust (src/wiring.ts);
  // fullSyncOnServerUp 'always' is Consul's rule: every agent full-syncs.
  for (const [fullSyncOnServerUp, expected] of [['always', 60], ['untrusted', 0]] as const) {
    it(`drops a server from every agent at once when it leaves, and a join full-syncs ${expected} of 60 settled agents (fullSyncOnServerUp ${fullSyncOnServerUp})`, async () => {
      const seen: { on2: number; total: number; full: number }[] = [];
      const timeline = [
        { atMs: 5 * MIN, op: 'leave', server: 2 },
        { atMs: 6 * MIN, op: 'markFullSyncs' },
        { atMs: 6 * MIN, op: 'join', server: 3 },
      ] as const;
      await simulate(config({ extraServers: 1, timeline, tuning: { interval: 60_000, fullSyncOnServerUp } }), {
        probe: (ctx) => {
          ctx.at(5 * MIN + 1, () => seen.push({ on2: ctx.fleet.agentsOn[2]!, total: ctx.fleet.agentsOn.reduce((a, b) => a + b, 0), full: ctx.fleet.fullSyncs }));
          ctx.at(6 * MIN + 3_100, () => seen.push({ on2: 0, total: 0, full: ctx.fleet.firstFullAfterMark.count }));
        },
      });
      expect(seen[0]).toMatchObject({ on2: 0, total: 60 });
      // serverUp → a full sync within stagger(serverUpInterval) = [0, 3 s) below 128 agents, when it asks for one.
      expect(seen[1]!.full).toBe(expected);
    });
  }

  it('runs the same events and results when agents share clock views differently', async () => {
    const a = await simulate(config({ agentsPerClock: 1 }));
    const b = await simulate(config({ agentsPerClock: 64 }));
    expect(b.summary).toEqual(a.summary);
    expect(b.series).toEqual(a.series);
  });
});

describe('sharded runs', { timeout: 120_000 }, () => {
  it('gives the same series, counts and statistics in one thread as split over 2 worker threads', async () => {
    const cfg = config({ agents: 41, durationMs: 8 * MIN, timeline: [{ atMs: 3 * MIN, op: 'markRebalances' }, { atMs: 4 * MIN, op: 'down', server: 1 }] });
    const one = await simulate(cfg);
    const two = await simulate(cfg, { workers: 2 });
    expect(two.workers.map((w) => w.range)).toEqual([{ first: 0, count: 21 }, { first: 21, count: 20 }]);
    expect(two.summary).toEqual(one.summary);
    expect(two.series).toEqual(one.series);
    expect(two.fleet).toEqual(one.fleet);
    expect(Number.isNaN(one.fleet.allRebalancedAt)).toBe(false);
  });
});
