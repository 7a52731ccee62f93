// What the simulator prints: claims that fit 100 columns (the wide table goes to the
// report folder), sources named for operators, and the fleet size from which the consul
// and ae-sync runs can differ, by the server manager's own cap rule.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { capBindingFleet, claimRow, LIBRARY_CAP_SETTINGS, operatorSource } from '../../src/sim/claims.js';
import { MAX_COLUMNS } from '../../src/sim/help.js';
import { claimsTable, claimsText, divergenceLines, summaryLines, wrap } from '../../src/sim/report.js';
import type { ScenarioResult } from '../../src/sim/scenarios/types.js';

const LONG_SOURCE =
  'Consul agent/router/manager.go newRebalanceConnsPerSecPerServer: "100K … 5x servers, it will take ~5min for all servers to rebalance", evaluated at this run\'s N and S, with the reuse jitter as its floor';

function result(agents: number, servers: number, labels: readonly string[]): ScenarioResult {
  const summary = { events: 123_456_789, fullSyncs: 9_876_543, partialSyncs: 1_234_567, rebalances: 7_654_321, newConnections: 3_456_789 };
  const series = { t: [], servers: [], series: {} } as unknown as ScenarioResult['runs'][number]['series'];
  return {
    scenario: 'partition-heal',
    description: '',
    params: { seed: 42, agents, servers, durationMs: 3_600_000 },
    claims: [],
    runs: labels.map((label) => ({ label, summary, series, marks: [] })),
  };
}

const fits = (text: string): string[] => text.split('\n').filter((line) => line.length > MAX_COLUMNS);

describe('the simulator report', () => {
  it('prints claims in at most 100 columns, with every figure, verdict and source, and keeps the wide table for the report folder', () => {
    const rows = [
      claimRow('rebalance-100k', '[consul] time until every agent rebalanced once after the start of the measurement window', 'min', 5, 5.2, LONG_SOURCE, { basis: 'upstream' }),
      claimRow('rebalance-100k', '[ae-sync] peak recycled conns/s at one server, any 60 s window', '1/s', 70.4, 66.1, LONG_SOURCE, { mode: 'atMost' }),
      claimRow('starvation', 'full syncs late by more than one interval', '', null, 0, 'measured only'),
    ];
    const wide = claimsTable(rows);
    expect(wide.split('\n').some((line) => line.length > MAX_COLUMNS)).toBe(true);
    const text = claimsText(rows);
    expect(fits(text)).toEqual([]);
    for (const r of rows) {
      expect(text).toContain(r.scenario);
      expect(text.replace(/\n +/g, ' ')).toContain(r.what);
      expect(text).toContain(`· ${r.verdict} ·`);
    }
    expect(text).toContain('claim 5.00 min (upstream) · measured 5.20 min · ratio 1.04 · holds · source [1]');
    // One source, printed once, in full, under its number.
    expect(text.match(/source \[1\]/g)).toHaveLength(2);
    expect(text.replace(/\n +/g, ' ')).toContain(`[1] ${operatorSource(LONG_SOURCE)}`);
    expect(text).toContain('[2] measured only');
  });

  it('wraps the run summaries and the divergence line to 100 columns', () => {
    const text = summaryLines([result(100_000, 5, ['consul', 'ae-sync'])]);
    expect(fits(text)).toEqual([]);
    expect(text.split('\n').length).toBeGreaterThan(3);
  });

  it('says from which fleet size consul and ae-sync runs differ, and whether this run is past it', () => {
    const below = divergenceLines(result(2_000, 5, ['consul', 'ae-sync'])).join(' ').replace(/ +/g, ' ');
    expect(below).toMatch(/^partition-heal: the rebalance waits of the consul and ae-sync runs differ only where the cap binds/);
    expect(below).toContain('above 11,520 agents per server, 57,600 agents on 5 servers; this run has 2,000 agents, so the cap does not bind here.');
    expect(divergenceLines(result(20_000, 5, ['consul', 'ae-sync'])).join(' ').replace(/ +/g, ' ')).toContain('so the cap binds here only for agents that know one server.');
    expect(divergenceLines(result(100_000, 5, ['consul', 'ae-sync'])).join(' ').replace(/ +/g, ' ')).toContain('so the cap binds here.');
    expect(divergenceLines(result(100_000, 3, ['consul', 'ae-sync'])).join(' ').replace(/ +/g, ' ')).toContain('34,560 agents on 3 servers');
    for (const line of divergenceLines(result(100_000, 5, ['consul', 'ae-sync']))) expect(line.length).toBeLessThanOrEqual(MAX_COLUMNS);
    expect(divergenceLines(result(2_000, 5, ['steady']))).toEqual([]);
    expect(divergenceLines(result(2_000, 5, ['consul']))).toEqual([]);
  });

  it('finds where the cap binds by the server manager\'s rule: N/(64·S) s over the 180 s reuse window', () => {
    // Consul's constants: 120 s reuse + 60 s jitter = 180 s; 180 s × 64/s = 11,520 agents per server.
    expect(LIBRARY_CAP_SETTINGS).toEqual({ minReuseMs: 120_000, jitterFraction: 2, connsPerSecPerServer: 64 });
    expect(capBindingFleet(1)).toBe(11_521);
    expect(capBindingFleet(5)).toBe(57_601);
    expect(capBindingFleet(1, { minReuseMs: 120_000, jitterFraction: 2, connsPerSecPerServer: 32 })).toBe(5_761);
    expect(capBindingFleet(2, { minReuseMs: 60_000, jitterFraction: 4, connsPerSecPerServer: 10 })).toBe(1_501);
    expect(() => capBindingFleet(0)).toThrow(/servers must be an integer >= 1, received 0/);
    // A reuse window past the longest timer: no fleet is large enough.
    expect(capBindingFleet(1, { minReuseMs: 2 ** 31, jitterFraction: 2, connsPerSecPerServer: 64 })).toBe(Number.POSITIVE_INFINITY);
  });

  it('names upstream sources by what they are, for every Go file the scenarios cite', () => {
    expect(operatorSource('Consul agent/router/manager.go newRebalanceConnsPerSecPerServer = 64/s/server')).toBe("Consul's server manager's connection cap = 64/s/server");
    expect(operatorSource('Nomad client/rpc_proxy/rpc_proxy.go')).toBe("Nomad's RPC proxy");
    expect(operatorSource('scaleFactor(N) (Consul agent/ae/ae.go)')).toBe("scaleFactor(N) (Consul's anti-entropy sync)");
    expect(claimRow('s', 'w', 's', 1, 1, 'Consul agent/ae/ae.go staggerFn').source).toBe("Consul's anti-entropy sync's stagger");
    const dir = fileURLToPath(new URL('../../src/sim/scenarios/', import.meta.url));
    const cited = new Set<string>();
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const code = readFileSync(`${dir}${file}`, 'utf8');
      // Only what reaches a row: string literals, not comments.
      for (const literal of code.match(/(['`"])(?:(?!\1)[^\\]|\\.)*\1/g) ?? []) for (const m of literal.matchAll(/(?:(?:Consul|Nomad|the) )?[\w/]+\.go\b/g)) cited.add(m[0]);
    }
    expect(cited.size).toBeGreaterThan(0);
    expect([...cited].map(operatorSource).filter((s) => /\.go\b/.test(s))).toEqual([]);
  });

  it('breaks text at spaces, keeps the first line\'s indent and indents the rest', () => {
    expect(wrap('  aaa bbb ccc ddd', 9, '    ')).toEqual(['  aaa bbb', '    ccc', '    ddd']);
    expect(wrap('averyveryverylongword b', 5, ' ')).toEqual(['averyveryverylongword', ' b']);
    expect(wrap('', 100)).toEqual(['']);
  });
});
