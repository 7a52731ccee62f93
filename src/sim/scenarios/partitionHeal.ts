// All but a handful of agents know only one server after a partition; then it heals.
// Two runs: `consul` (a wait armed with one server runs to its end: Consul agent/router/
// manager.go's ~26 min at 100K) and `ae-sync` (the wait re-arms when the healthy count
// grows: every fixated agent within N/(S·64) s, and no server above the cap).
import { claimRow, formatNumber, type ClaimRow } from '../claims.js';
import type { AgentTuning } from '../fleet.js';
import type { NetworkOptions } from '../network.js';
import type { SimConfig } from '../simulator.js';
import {
  BASE_TUNING,
  CHANGE_INTERVAL_MS,
  MIN,
  SEC,
  constantsOf,
  firstEvenSampleAt,
  minutesSince,
  sized,
  rebalanceIntervalMs,
  report,
  resolve,
  runOne,
  tuningFor,
} from './common.js';
import { CAP_WINDOW_MS, peakWindowRate } from './measure.js';
import { catalogColumns } from './catalogCommon.js';
import type { Scenario, ScenarioRunReport } from './types.js';

/** The ae-sync heal bound is this multiple of max(N/(S·cap), reuse jitter top). */
export const HEAL_SLACK = 1.2;
/** Per-server recycled connections/s may exceed the cap by this factor in a 60 s window (sampling noise). */
export const CAP_SLACK = 1.1;

export interface PartitionHealOptions {
  name: string;
  agents: number;
  /** Library tuning for both runs (tests scale the reuse period and the cap down). */
  tuning?: AgentTuning;
  /** The simulated network. */
  network?: NetworkOptions;
}

/** The upstream figure for the consul run's heal: the manager.go comment at its two data points, else its arithmetic. */
function consulClaim(n: number, s: number, tuning: AgentTuning): { minutes: number; upstream: boolean; source: string } {
  const c = constantsOf(tuning);
  const defaults = c.cap === 64 && c.minReuseMs === 120 * SEC && c.jitterFraction === 2 && s === 5;
  if (defaults && n === 100_000)
    return { minutes: 26, upstream: true, source: 'Consul agent/router/manager.go: "If 99,995 agents are in the minority talking to only one server, it will take ~26min for all servers to rebalance"' };
  if (defaults && n === 10_000)
    return { minutes: 2.6, upstream: true, source: 'Consul agent/router/manager.go: "A 10K cluster in the same scenario will take ~2.6min to rebalance"' };
  return { minutes: rebalanceIntervalMs(n, 1, c) / MIN, upstream: false, source: 'Consul agent/router/manager.go arithmetic: N / cap s with one known server, floored at the reuse jitter' };
}

export function partitionHeal(options: PartitionHealOptions): Scenario {
  const { name, agents } = options;
  const tuning = options.tuning ?? BASE_TUNING;
  const c = constantsOf(tuning);
  return {
    name,
    description: `${agents === 100_000 ? '99,995 of 100,000' : 'All but 5 of N'} agents fixated on one server after a partition (rebalance interval N/${c.cap} s), then the partition heals. Run \`consul\`: the wait armed with one server runs out (Consul's ~26 min at 100K). Run \`ae-sync\`: waits re-arm when the healthy count grows; every fixated agent rebalanced within ${HEAL_SLACK} × N/(S·${c.cap}) s, no server above ${CAP_SLACK} × ${c.cap} recycled connections/s.`,
    defaults: { agents, servers: 5 },
    async run(params, hooks) {
      const n = params.agents ?? agents;
      const free = n > 50 ? 5 : 1;
      const fixatedIntervalMs = rebalanceIntervalMs(n, 1, c);
      const healAt = Math.ceil((fixatedIntervalMs + c.minReuseMs + 10 * SEC) / MIN) * MIN;
      const p = resolve(params, this.defaults, Math.ceil((healAt + fixatedIntervalMs + 5 * MIN) / MIN) * MIN);
      const servers = p.servers;
      // Agents [free, n) are fixated: they know only server 0 and are cut off from the others.
      const fixated = { from: free, to: n };
      const others = Array.from({ length: servers - 1 }, (_, i) => i + 1);
      const runs: ScenarioRunReport[] = [];
      const catalog: ClaimRow[] = [];
      const measured: Record<string, { healMin: number | null; spreadMin: number | null; peak: ReturnType<typeof peakWindowRate> }> = {};
      for (const label of ['consul', 'ae-sync'] as const) {
        const config: SimConfig = {
          seed: p.seed,
          agents: n,
          servers,
          durationMs: p.durationMs,
          bucketMs: 5 * SEC,
          warmupMs: healAt,
          // Timers spread over one fixated interval: the steady state of the minority.
          startSpreadMs: fixatedIntervalMs,
          initialServers: [{ agents: fixated, servers: [0] }],
          tuning: tuningFor(label, tuning),
          changeIntervalMs: CHANGE_INTERVAL_MS,
          ...(options.network ? { network: options.network } : {}),
          ...(params.entries !== undefined ? { entries: params.entries } : {}),
          timeline: [
            { atMs: 0, op: 'group', group: 1, agents: fixated },
            { atMs: 0, op: 'partition', group: 1, servers: others },
            { atMs: healAt, op: 'heal' },
            ...others.map((s) => ({ atMs: healAt, op: 'join' as const, server: s, agents: fixated })),
            { atMs: healAt, op: 'markRebalances', agents: fixated },
          ],
        };
        const run = await runOne(`${name} (${label})`, config, hooks);
        measured[label] = {
          healMin: minutesSince(run.fleet.allRebalancedAt, healAt),
          spreadMin: minutesSince(firstEvenSampleAt(run, healAt, servers, 0.1), healAt),
          // From the heal: before it the fixated agents' rebalances all land on s0 by construction.
          peak: peakWindowRate(run.series, 'rebalancesPerSec', healAt, p.durationMs, CAP_WINDOW_MS),
        };
        runs.push(report(label, run, [{ label: 'heal', tSec: healAt / 1000 }]));
        catalog.push(...catalogColumns(name, label, run, healAt, p.durationMs, servers));
      }
      const consul = measured.consul!;
      const ours = measured['ae-sync']!;
      const upstream = consulClaim(n, servers, tuning);
      const boundMin = rebalanceIntervalMs(n, servers, c) / MIN;
      const boundSource = `bound N/(S·${c.cap}) s = ${(boundMin).toFixed(2)} min (cap from Consul agent/router/manager.go newRebalanceConnsPerSecPerServer; floored at the ${(c.minReuseMs * (1 + 1 / c.jitterFraction)) / SEC} s reuse jitter) × ${HEAL_SLACK}, against Consul's ${upstream.minutes.toFixed(1)} min`;
      const capSource = `Consul agent/router/manager.go newRebalanceConnsPerSecPerServer = ${c.cap}/s/server, + ${Math.round((CAP_SLACK - 1) * 100)} % for 60 s window noise`;
      const claims: ClaimRow[] = [
        claimRow(name, '[consul] time until every fixated agent rebalanced', 'min', upstream.minutes, consul.healMin, upstream.source, { basis: upstream.upstream ? 'upstream' : 'formula' }),
        claimRow(name, '[consul] time until every server within 10 % of an even spread', 'min', upstream.minutes, consul.spreadMin, upstream.source, { basis: upstream.upstream ? 'upstream' : 'formula' }),
        claimRow(name, '[ae-sync] time until every fixated agent rebalanced', 'min', HEAL_SLACK * boundMin, ours.healMin, boundSource, { mode: 'atMost' }),
        claimRow(name, '[ae-sync] time until every server within 10 % of an even spread', 'min', HEAL_SLACK * boundMin, ours.spreadMin, boundSource, { mode: 'atMost' }),
        claimRow(name, '[ae-sync] peak recycled conns/s at one server, any 60 s window from the heal', '1/s', CAP_SLACK * c.cap, ours.peak.rate, capSource, { mode: 'atMost' }),
        claimRow(name, '[consul] peak recycled conns/s at one server, any 60 s window from the heal', '1/s', null, consul.peak.rate,
          'measured only: Consul spreads the returning fleet over the old N/cap s wait, below the cap', { claimText: '—' }),
        ...catalog,
      ];
      const description = `${sized(p)}: ${(n - free).toLocaleString('en-US')} of ${n.toLocaleString('en-US')} agents fixated on s0 after a partition (one known server: they wait max(reuse, N/${c.cap}) = ${formatNumber(fixatedIntervalMs / SEC)} s); heal at ${formatNumber(healAt / MIN)} min. Run consul: that wait runs out. Run ae-sync: it re-arms as the healthy count grows; bound ${HEAL_SLACK} × max(reuse, N/(S·${c.cap})) = ${formatNumber((HEAL_SLACK * boundMin * MIN) / SEC)} s, and no server above ${CAP_SLACK} × ${c.cap} recycled connections/s.`;
      return { scenario: name, description, params: { ...p, agents: n, ...(params.entries !== undefined ? { entries: params.entries } : {}) }, claims, runs };
    },
  };
}
