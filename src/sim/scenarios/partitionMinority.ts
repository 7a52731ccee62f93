// A partition leaves every agent with one reachable server of S: from 5 to 35 min the
// other S−1 are unreachable, and gossip tells each agent (serf member-failed) within a
// few seconds. Two runs: `consul` (the cap divides by every listed server, so the one
// reachable takes S × the cap) and `ae-sync` (the cap divides by healthy servers).
import { claimRow, type ClaimRow } from '../claims.js';
import type { AgentTuning } from '../fleet.js';
import type { NetworkOptions } from '../network.js';
import { BASE_TUNING, MIN, SEC, constantsOf, equilibrium, meanRebalanceDelayMs, rebalanceIntervalMs, report, resolve, runOne, tuningFor } from './common.js';
import { CAP_WINDOW_MS, peakWindowRate } from './measure.js';
import { CAP_SLACK } from './partitionHeal.js';
import type { Scenario, ScenarioRunReport } from './types.js';

export interface PartitionMinorityOptions {
  name?: string;
  /** When the partition starts and ends. Defaults: 5 and 35 min. */
  partitionAtMs?: number;
  healAtMs?: number;
  /** The cap is checked from here on. Defaults to 10 min (one capped interval after the partition, at 100K/5). */
  measureFromMs?: number;
  /** Gossip spreads each member-failed / member-join over this long across the fleet. Defaults to 10 s. */
  gossipSpreadMs?: number;
  tuning?: AgentTuning;
  /** The simulated network (tests shorten the 2 s an unreachable server takes to fail). */
  network?: NetworkOptions;
  defaults?: Scenario['defaults'];
}

export function partitionMinority(options: PartitionMinorityOptions = {}): Scenario {
  const name = options.name ?? 'partition-minority';
  const partitionAt = options.partitionAtMs ?? 5 * MIN;
  const healAt = options.healAtMs ?? 35 * MIN;
  const measureFrom = options.measureFromMs ?? 10 * MIN;
  const spreadMs = options.gossipSpreadMs ?? 10 * SEC;
  const tuning = options.tuning ?? BASE_TUNING;
  const c = constantsOf(tuning);
  return {
    name,
    description: `S servers; from ${partitionAt / MIN} to ${healAt / MIN} min all but s0 are unreachable for every agent, and each agent's gossip marks them failed within ${spreadMs / SEC} s (member-join when they return). Run \`consul\` (health off): the cap still divides by S, so s0 takes every rebalance. Run \`ae-sync\`: the cap divides by healthy servers; from ${measureFrom / MIN} min on no server above ${CAP_SLACK} × ${c.cap} recycled connections/s in any 60 s window.`,
    defaults: options.defaults ?? { agents: 100_000, servers: 5 },
    async run(params, hooks) {
      const base = resolve(params, this.defaults, 0);
      const after = rebalanceIntervalMs(base.agents, base.servers, c);
      const p = resolve(params, this.defaults, Math.ceil((healAt + after + 5 * MIN) / MIN) * MIN);
      const runs: ScenarioRunReport[] = [];
      const peaks: Record<string, ReturnType<typeof peakWindowRate>> = {};
      const meanOnS0: Record<string, number> = {};
      for (const label of ['consul', 'ae-sync'] as const) {
        const { config } = equilibrium(p, tuningFor(label, tuning));
        const others = Array.from({ length: p.servers - 1 }, (_, k) => k + 1);
        const run = await runOne(`${name} (${label})`, {
          ...config,
          bucketMs: 5 * SEC,
          warmupMs: partitionAt,
          ...(options.network ? { network: options.network } : {}),
          timeline: [
            // Every agent (group 0) is cut off from every server but s0; each one's gossip says so within spreadMs.
            { atMs: partitionAt, op: 'partition', group: 0, servers: others },
            { atMs: partitionAt, op: 'membership', type: 'failed', servers: others, spreadMs },
            { atMs: healAt, op: 'heal' },
            { atMs: healAt, op: 'membership', type: 'join', servers: others, spreadMs },
          ],
        }, hooks);
        peaks[label] = peakWindowRate(run.series, 'rebalancesPerSec', measureFrom, p.durationMs, CAP_WINDOW_MS);
        const during = peakWindowRate(run.series, 'rebalancesPerSec', measureFrom, healAt, healAt - measureFrom);
        meanOnS0[label] = during.rate;
        runs.push(report(label, run, [
          { label: 'partition', tSec: partitionAt / 1000 },
          { label: 'heal', tSec: healAt / 1000 },
        ]));
      }
      // Consul's count: every listed server, so the wait is the 5-server one and every rebalance lands on s0.
      const consulMean = (1000 * p.agents) / meanRebalanceDelayMs(p.agents, p.servers, c);
      const oursMean = (1000 * p.agents) / meanRebalanceDelayMs(p.agents, 1, c, true);
      const capSource = `Consul agent/router/manager.go newRebalanceConnsPerSecPerServer = ${c.cap}/s/server, + ${Math.round((CAP_SLACK - 1) * 100)} % for 60 s window noise`;
      const window = `any 60 s window from ${measureFrom / MIN} min`;
      const claims: ClaimRow[] = [
        claimRow(name, `[ae-sync] peak recycled conns/s at one server, ${window}`, '1/s', CAP_SLACK * c.cap, peaks['ae-sync']!.rate, capSource, { mode: 'atMost' }),
        claimRow(name, `[consul] peak recycled conns/s at one server, ${window}`, '1/s', CAP_SLACK * c.cap, peaks.consul!.rate,
          `${capSource}: Consul's cap counts unreachable servers, so it is expected to fail here`, { mode: 'atMost' }),
        claimRow(name, '[consul] mean recycled conns/s at the reachable server while partitioned', '1/s', consulMean, meanOnS0.consul!,
          `Consul agent/router/manager.go arithmetic: all N agents rebalance every max(U(reuse), N/(${p.servers}·${c.cap}) s) onto the one reachable server`),
        claimRow(name, '[ae-sync] mean recycled conns/s at the reachable server while partitioned', '1/s', oursMean, meanOnS0['ae-sync']!,
          `N / mean wait, the wait max(U(reuse), N/(1·${c.cap}) s) + its cap jitter: the cap divides by the one healthy server`),
      ];
      return { scenario: name, description: this.description, params: p, claims, runs };
    },
  };
}
