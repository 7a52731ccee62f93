// One server leaves and rejoins again and again (a flapping member): every 20 s it
// leaves (serf member-leave, unreachable) and 10 s later rejoins (member-join), for
// 20 min. The healthy count moves every 10 s and each move re-arms every agent's
// wait; the fleet must stay under the cap anyway (docs/server-manager.md, rule 4).
import { claimRow, type ClaimRow } from '../claims.js';
import type { AgentTuning } from '../fleet.js';
import type { NetworkOptions } from '../network.js';
import type { TimelineEvent } from '../timeline.js';
import { catalogColumns } from './catalogCommon.js';
import { BASE_TUNING, MIN, SEC, constantsOf, equilibrium, meanRebalanceDelayMs, rebalanceIntervalMs, report, resolve, runOne } from './common.js';
import { CAP_WINDOW_MS, peakWindowRate } from './measure.js';
import { CAP_SLACK } from './partitionHeal.js';
import type { Scenario } from './types.js';

export interface ChurnOptions {
  name?: string;
  /** When flapping starts and how long it lasts. Defaults: after the warm-up (two intervals), for 20 min. */
  churnForMs?: number;
  /** One leave + rejoin cycle. Defaults to 20 s (gone for half of it). */
  periodMs?: number;
  tuning?: AgentTuning;
  /** The simulated network (tests shorten the 2 s an unreachable server takes to fail). */
  network?: NetworkOptions;
  defaults?: Scenario['defaults'];
}

export function churn(options: ChurnOptions = {}): Scenario {
  const name = options.name ?? 'churn';
  const churnFor = options.churnForMs ?? 20 * MIN;
  const period = options.periodMs ?? 20 * SEC;
  const tuning = options.tuning ?? BASE_TUNING;
  const c = constantsOf(tuning);
  return {
    name,
    description: `The last of S servers leaves (unreachable) and rejoins every ${period / SEC} s for ${churnFor / MIN} min, each membership event reaching every agent at once. No server may see more than ${CAP_SLACK} × ${c.cap} recycled connections/s in any 60 s window.`,
    defaults: options.defaults ?? { agents: 100_000, servers: 5 },
    async run(params, hooks) {
      const base = resolve(params, this.defaults, 0);
      const intervalMs = rebalanceIntervalMs(base.agents, base.servers, c);
      const churnAt = Math.ceil((2 * intervalMs + c.minReuseMs) / MIN) * MIN;
      const endAt = churnAt + churnFor;
      const p = resolve(params, this.defaults, endAt + Math.ceil(intervalMs / MIN) * MIN);
      const flapper = p.servers - 1;
      const { config } = equilibrium(p, tuning);
      // Each cycle: the server goes down and leaves every agent's view; half a period later it is up and rejoins.
      const timeline: TimelineEvent[] = [];
      for (let t = churnAt; t < endAt; t += period) {
        timeline.push({ atMs: t, op: 'down', server: flapper }, { atMs: t, op: 'membership', type: 'leave', servers: [flapper] });
        timeline.push({ atMs: t + period / 2, op: 'up', server: flapper }, { atMs: t + period / 2, op: 'membership', type: 'join', servers: [flapper] });
      }
      const run = await runOne(
        name,
        { ...config, bucketMs: 5 * SEC, warmupMs: churnAt, ...(options.network ? { network: options.network } : {}), ...(params.entries !== undefined ? { entries: params.entries } : {}), timeline },
        hooks,
      );
      const peak = peakWindowRate(run.series, 'rebalancesPerSec', churnAt, p.durationMs, CAP_WINDOW_MS);
      const before = peakWindowRate(run.series, 'rebalancesPerSec', churnAt - 2 * MIN, churnAt, CAP_WINDOW_MS);
      const claims: ClaimRow[] = [
        claimRow(name, `peak recycled conns/s at one server, any 60 s window from ${churnAt / MIN} min`, '1/s', CAP_SLACK * c.cap, peak.rate,
          `Consul agent/router/manager.go newRebalanceConnsPerSecPerServer = ${c.cap}/s/server, + ${Math.round((CAP_SLACK - 1) * 100)} % for 60 s window noise; Consul server manager commit notes: membership churn must not force a reshuffle`,
          { mode: 'atMost' }),
        claimRow(name, 'peak recycled conns/s at one server, the 2 min before the churn', '1/s', null, before.rate,
          'measured only: the same fleet before the first leave', { claimText: '—' }),
        claimRow(name, 'rebalances per agent during the churn', '1', churnFor / meanRebalanceDelayMs(p.agents, p.servers, c, true), countRebalances(run.series, churnAt, endAt) / p.agents,
          `as without churn: one per mean wait max(U(reuse), N/(S·${c.cap}) s) (Consul server manager commit notes: churn extends the window, no reshuffle)`),
        ...catalogColumns(name, name, run, churnAt, endAt, p.servers),
      ];
      return {
        scenario: name,
        description: this.description,
        params: params.entries !== undefined ? { ...p, entries: params.entries } : p,
        claims,
        runs: [report(name, run, [{ label: 'churn', tSec: churnAt / 1000 }, { label: 'end', tSec: endAt / 1000 }])],
      };
    },
  };
}

/** Fleet-wide rebalances counted in [fromMs, toMs). */
function countRebalances(series: { bucketMs: number; series: { rebalancesPerSec: number[][] } }, fromMs: number, toMs: number): number {
  const from = Math.ceil(fromMs / series.bucketMs);
  const to = Math.floor(toMs / series.bucketMs);
  let total = 0;
  for (const row of series.series.rebalancesPerSec) for (let b = from; b < to; b++) total += row[b] ?? 0;
  return (total * series.bucketMs) / 1000;
}
