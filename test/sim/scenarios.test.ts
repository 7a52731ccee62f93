import { describe, expect, it } from 'vitest';
import { claimOf } from '../helpers/index.js';
import { findScenario, type ScenarioResult } from '../../src/sim/scenarios/index.js';
import { rebalanceCap } from '../../src/sim/scenarios/rebalance100k.js';

const MIN = 60_000;

async function run(name: string, agents: number, durationMs?: number, servers = 5): Promise<ScenarioResult> {
  const scenario = findScenario(name);
  if (!scenario) throw new Error(`no scenario ${name}`);
  return scenario.run({ seed: 7, agents, servers, ...(durationMs !== undefined ? { durationMs } : {}) });
}

const row = claimOf;

describe('simulator scenarios (small N)', { timeout: 90_000 }, () => {
  it('steady: recycles ~N/S/150 s connections per server and moves ~(S−1)/S of them when 500 agents run 20 min', async () => {
    const r = await run('steady', 500, 20 * MIN);
    const recycled = row(r, 'connections recycled');
    const moved = row(r, 'new connections');
    expect(recycled.claim).toBeCloseTo(500 / 5 / 150, 3);
    expect(recycled.measured!).toBeGreaterThan(recycled.claim! * 0.85);
    expect(recycled.measured!).toBeLessThan(recycled.claim! * 1.15);
    // A reshuffle keeps the same server with probability 1/S.
    expect(moved.measured!).toBeGreaterThan(recycled.measured! * 0.65);
    expect(moved.measured!).toBeLessThan(recycled.measured! * 0.95);
    const all = row(r, 'time until every agent rebalanced');
    expect(all.measured!).toBeLessThanOrEqual(3.05);
    expect(all.measured!).toBeGreaterThan(2.5);
  });

  it('rebalance-100k: every agent moves within one rebalance interval when scaled down to 1000 agents, in both runs', async () => {
    const r = await run('rebalance-100k', 1000, 12 * MIN);
    expect(r.runs.map((x) => x.label)).toEqual(['consul', 'ae-sync']);
    for (const label of ['[consul]', '[ae-sync]']) {
      const all = row(r, `${label} time until every agent rebalanced`);
      expect(all.claim).toBe(3); // below the cap the interval is the 180 s jitter bound, and the cap jitter adds nothing
      expect(all.measured!).toBeLessThanOrEqual(3.05);
      expect(all.measured!).toBeGreaterThan(2.5);
    }
  });

  it('rebalance-100k: with the cap binding, consul recycles at the cap and ae-sync at 0.8 × it, its last agent within 1.5 × the interval', async () => {
    // 500 agents, 5 servers, reuse 1.25 s, cap 32/s: N/(S × cap) = 3.125 s, above the 1.875 s reuse jitter.
    const scenario = rebalanceCap({ tuning: { interval: 60_000, minReuseDuration: 1_250, connsPerSecPerServer: 32 } });
    const r = await scenario.run({ seed: 7, agents: 500, servers: 5, durationMs: 2 * MIN });
    const consulRate = row(r, '[consul] connections recycled');
    const oursRate = row(r, '[ae-sync] connections recycled');
    expect(consulRate.claim).toBeCloseTo(32, 2);
    expect(consulRate.verdict).toBe('holds');
    expect(oursRate.claim).toBeCloseTo(32 / 1.25, 2);
    expect(oursRate.verdict).toBe('holds');
    const consulAll = row(r, '[consul] time until every agent rebalanced');
    const oursAll = row(r, '[ae-sync] time until every agent rebalanced');
    expect(consulAll.claim).toBeCloseTo(3.125 / 60, 3);
    expect(consulAll.verdict).toBe('holds');
    expect(oursAll.claim).toBeCloseTo((3.125 * 1.5) / 60, 3);
    expect(oursAll.measured!).toBeGreaterThan(consulAll.measured!);
    expect(oursAll.verdict).toBe('holds');
  });

  it('partition-heal (consul run): a fixated fleet converges to within 10 % of an even spread after the heal', async () => {
    const r = await run('partition-heal', 2000);
    const spread = row(r, '[consul] time until every server within 10 %');
    expect(spread.measured).not.toBeNull();
    expect(spread.measured!).toBeLessThanOrEqual(3.1); // one fixated interval (180 s) plus a bucket
    const agents = r.runs[0]!.series.series.agents;
    const last = agents.map((row) => row.at(-1)!);
    expect(last.reduce((a, b) => a + b, 0)).toBe(2000);
    for (const n of last) expect(Math.abs(n - 400) / 400).toBeLessThanOrEqual(0.15);
    // Before the heal, all fixated agents sat on s0.
    const healBucket = Math.floor(r.runs[0]!.marks[0]!.tSec / (r.runs[0]!.series.bucketMs / 1000)) - 1;
    expect(agents[0]![healBucket]).toBeGreaterThan(1990);
  });

  it('server-join: the peak of full syncs per server is lower with the log2 stagger than without', async () => {
    const r = await run('server-join', 1000, 7 * MIN);
    const withScale = row(r, 'full syncs/s/server over the 12 s herd, log2');
    const flat = row(r, 'full syncs/s/server over the 3 s herd, no log2');
    expect(withScale.measured!).toBeLessThan(flat.measured!);
    expect(row(r, 'peak full syncs/s/server in 1 s, log2').measured!).toBeLessThan(row(r, 'peak full syncs/s/server in 1 s, no log2').measured!);
    expect(row(r, 'herd reduction').measured!).toBeGreaterThan(2);
    expect(row(r, 'stagger factor').measured).toBe(4); // scaleFactor(1000)
  });

  it('starvation: full syncs stay on schedule when every agent syncs changes every second', async () => {
    const r = await run('starvation', 40, 10 * MIN);
    const mean = row(r, 'mean gap');
    const longest = row(r, 'longest gap');
    expect(mean.claim).toBe(90); // 60 s × (1 + 1/2) below 128 agents
    expect(Math.abs(mean.measured! / mean.claim! - 1)).toBeLessThan(0.2);
    expect(longest.measured!).toBeLessThanOrEqual(longest.claim!);
    expect(longest.verdict).toBe('holds');
    expect(row(r, 'partial syncs per agent').measured!).toBeGreaterThan(0.85);
  });

  it('connection-age: the reuse period averages ~150 s and a server is kept longer than one period', async () => {
    const r = await run('connection-age', 500, 25 * MIN);
    const reuse = row(r, 'mean reuse period');
    const onServer = row(r, 'mean time on one server');
    expect(reuse.measured!).toBeGreaterThan(140);
    expect(reuse.measured!).toBeLessThan(160);
    expect(onServer.measured!).toBeGreaterThan(reuse.measured!);
  });
});
