// 100,000 agents on 5 servers: the 64 conns/s/server cap stretches every
// rebalance interval to N/(64·S). Measures the time until every agent moved once
// (Consul agent/router/manager.go: ~5 min) and the recycle rate per server, twice:
// `consul` (a capped wait of exactly N/(64·S), the seed's figures) and `ae-sync`
// (the defaults: the capped wait jittered up to 1.5 ×, so slower and under the cap).
import { claimRow, formatNumber, type ClaimRow } from '../claims.js';
import type { SimConfig } from '../simulator.js';
import type { AgentTuning } from '../fleet.js';
import { BASE_TUNING, CHANGE_INTERVAL_MS, MIN, SEC, constantsOf, meanRatePerServer, meanRebalanceDelayMs, rebalanceIntervalMs, report, resolve, runOne, sized, tuningFor } from './common.js';
import type { Scenario, ScenarioRunReport } from './types.js';

export interface RebalanceCapOptions {
  /** The agents' constants (tests shrink the reuse period and the cap so that it binds at small N). */
  tuning?: AgentTuning;
}

export function rebalanceCap(options: RebalanceCapOptions = {}): Scenario {
  const tuning = options.tuning ?? BASE_TUNING;
  const c = constantsOf(tuning);
  return {
    name: 'rebalance-100k',
    description:
      '100,000 agents on 5 servers: the 64 conns/s/server cap stretches every agent\'s rebalance interval to N/(64·S) = 312.5 s. Measures the time until every agent has moved once, and the rebalance rate per server: run `consul` (exactly 312.5 s, the seed\'s figures) and `ae-sync` (the capped wait jittered to 312.5–468.75 s).',
    defaults: { agents: 100_000, servers: 5, durationMs: 30 * MIN },
    async run(params, hooks) {
      const p = resolve(params, this.defaults, this.defaults.durationMs ?? 30 * MIN);
      const intervalMs = rebalanceIntervalMs(p.agents, p.servers, c);
      const markAt = Math.min(p.durationMs / 2, intervalMs + c.minReuseMs + 10 * SEC);
      // The interval is the cap's when it is above the top of the reuse jitter.
      const capped = intervalMs > c.minReuseMs * (1 + 1 / c.jitterFraction);
      const seedCase = p.agents === 100_000 && p.servers === 5;
      const claims: ClaimRow[] = [];
      const runs: ScenarioRunReport[] = [];
      for (const label of ['consul', 'ae-sync'] as const) {
        const config: SimConfig = {
          seed: p.seed,
          agents: p.agents,
          servers: p.servers,
          durationMs: p.durationMs,
          warmupMs: markAt,
          startSpreadMs: intervalMs,
          tuning: tuningFor(label, tuning),
          changeIntervalMs: CHANGE_INTERVAL_MS,
        };
        const run = await runOne(`rebalance-100k (${label})`, { ...config, timeline: [{ atMs: markAt, op: 'markRebalances' }] }, hooks);
        const { allRebalancedAt } = run.fleet;
        const allMoved = Number.isNaN(allRebalancedAt) ? null : (allRebalancedAt - markAt) / MIN;
        const recycled = meanRatePerServer(run, 'rebalancesPerSec', markAt, p.durationMs, p.servers);
        if (label === 'consul') {
          claims.push(
            claimRow('rebalance-100k', '[consul] time until every agent rebalanced once', 'min', seedCase ? 5 : intervalMs / MIN, allMoved,
              seedCase
                ? 'Consul agent/router/manager.go newRebalanceConnsPerSecPerServer: "100K … 5x servers, it will take ~5min for all servers to rebalance"'
                : `max(reuse jitter, N / (${c.cap}·S)) from the constants of Consul agent/router/manager.go`, { basis: seedCase ? 'upstream' : 'formula' }),
            claimRow('rebalance-100k', '[consul] connections recycled/s/server', '1/s', (1000 * p.agents) / p.servers / meanRebalanceDelayMs(p.agents, p.servers, c), recycled,
              seedCase
                ? 'Consul agent/router/manager.go: the cap of 64 new connections/s/server "begins to take effect" above ~48K agents on 5 servers'
                : 'N / S / the mean wait, max(U(reuse), N/(S·cap)), from the constants of Consul agent/router/manager.go', { basis: seedCase ? 'upstream' : 'formula' }),
          );
        } else {
          // A capped wait d is drawn from [d, d (1 + 1/jitterFraction)): the last agent moves within the top of that.
          const longest = capped ? intervalMs * (1 + 1 / c.jitterFraction) : intervalMs;
          claims.push(
            claimRow('rebalance-100k', '[ae-sync] time until every agent rebalanced once', 'min', longest / MIN, allMoved,
              `the longest wait: N/(${c.cap}·S) × (1 + 1/jitterFraction) when the cap binds (jitterCappedWait), else the top of the reuse jitter; Consul agent/router/manager.go constants`, { mode: 'atMost' }),
            claimRow('rebalance-100k', '[ae-sync] connections recycled/s/server', '1/s', (1000 * p.agents) / p.servers / meanRebalanceDelayMs(p.agents, p.servers, c, true), recycled,
              `N / S / the mean wait: N/(${c.cap}·S) × (1 + 1/(2·jitterFraction)) when the cap binds, so 0.8 × the cap of Consul agent/router/manager.go`),
          );
        }
        runs.push(report(label, run, [{ label: 'mark', tSec: markAt / 1000 }]));
      }
      const description = `${sized(p)}: the ${c.cap} conns/s/server cap stretches every agent's rebalance interval to max(reuse jitter, N/(${c.cap}·S)) = ${formatNumber(intervalMs / SEC)} s; measured from ${formatNumber(markAt / MIN)} min.`;
      return { scenario: 'rebalance-100k', description, params: p, claims, runs };
    },
  };
}

export const rebalance100k: Scenario = rebalanceCap();
