import { describe, expect, it } from 'vitest';
import type { ClaimRow } from '../../src/sim/claims.js';
import { findScenario, type ScenarioResult } from '../../src/sim/scenarios.js';

const MIN = 60_000;

async function run(name: string, agents: number, durationMs?: number, servers = 5): Promise<ScenarioResult> {
  const scenario = findScenario(name);
  if (!scenario) throw new Error(`no scenario ${name}`);
  return scenario.run({ seed: 7, agents, servers, ...(durationMs !== undefined ? { durationMs } : {}) });
}

function row(result: ScenarioResult, what: string): ClaimRow {
  const found = result.claims.find((c) => c.what.startsWith(what));
  if (!found) throw new Error(`no claim row "${what}" in ${result.scenario}`);
  return found;
}

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

  it('rebalance-100k: every agent moves within one rebalance interval when scaled down to 1000 agents', async () => {
    const r = await run('rebalance-100k', 1000, 12 * MIN);
    const all = row(r, 'time until every agent rebalanced');
    expect(all.claim).toBe(3); // below the cap the interval is the 180 s jitter bound
    expect(all.measured!).toBeLessThanOrEqual(3.05);
    expect(all.measured!).toBeGreaterThan(2.5);
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
