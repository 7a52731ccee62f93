// 100,000 agents on 5 servers: the 64 conns/s/server cap stretches every
// rebalance interval to N/(64·S). Measures the time until every agent moved once
// (Consul agent/router/manager.go: ~5 min) and the recycle rate per server.
import { claimRow, formatNumber } from '../claims.js';
import type { SimConfig } from '../simulator.js';
import { BASE_TUNING, CHANGE_INTERVAL_MS, MIN, MIN_REUSE_MS, SEC, CONNS_PER_SEC_PER_SERVER, meanRatePerServer, rebalanceIntervalMs, report, resolve, runOne, sized } from './common.js';
import type { Scenario } from './types.js';

export const rebalance100k: Scenario = {
  name: 'rebalance-100k',
  description:
    '100,000 agents on 5 servers: the 64 conns/s/server cap stretches every agent\'s rebalance interval to N/(64·S) = 312.5 s. Measures the time until every agent has moved once, and the rebalance rate per server.',
  defaults: { agents: 100_000, servers: 5, durationMs: 30 * MIN },
  async run(params, hooks) {
    const p = resolve(params, this.defaults, this.defaults.durationMs ?? 30 * MIN);
    const intervalMs = rebalanceIntervalMs(p.agents, p.servers);
    const markAt = Math.min(p.durationMs / 2, intervalMs + MIN_REUSE_MS + 10 * SEC);
    const config: SimConfig = {
      seed: p.seed,
      agents: p.agents,
      servers: p.servers,
      durationMs: p.durationMs,
      warmupMs: markAt,
      startSpreadMs: intervalMs,
      tuning: BASE_TUNING,
      changeIntervalMs: CHANGE_INTERVAL_MS,
    };
    const run = await runOne('rebalance-100k', { ...config, timeline: [{ atMs: markAt, op: 'markRebalances' }] }, hooks);
    const fleet = run.fleet;
    const seedCase = p.agents === 100_000 && p.servers === 5;
    const claims = [
      claimRow('rebalance-100k', 'time until every agent rebalanced once', 'min',
        seedCase ? 5 : intervalMs / MIN,
        Number.isNaN(fleet.allRebalancedAt) ? null : (fleet.allRebalancedAt - markAt) / MIN,
        seedCase
          ? 'Consul agent/router/manager.go newRebalanceConnsPerSecPerServer: "100K … 5x servers, it will take ~5min for all servers to rebalance"'
          : 'max(180 s, N / (64·S)) from the constants of Consul agent/router/manager.go', { basis: seedCase ? 'upstream' : 'formula' }),
      claimRow('rebalance-100k', 'connections recycled/s/server', '1/s',
        Math.min(CONNS_PER_SEC_PER_SERVER, p.agents / p.servers / 150),
        meanRatePerServer(run, 'rebalancesPerSec', markAt, p.durationMs, p.servers),
        seedCase
          ? 'Consul agent/router/manager.go: the cap of 64 new connections/s/server "begins to take effect" above ~48K agents on 5 servers'
          : 'min(64, N / S / 150 s) from the constants of Consul agent/router/manager.go', { basis: seedCase ? 'upstream' : 'formula' }),
    ];
    const description = `${sized(p)}: the ${CONNS_PER_SEC_PER_SERVER} conns/s/server cap stretches every agent's rebalance interval to max(180 s, N/(64·S)) = ${formatNumber(intervalMs / SEC)} s; measured from ${formatNumber(markAt / MIN)} min.`;
    return { scenario: 'rebalance-100k', description, params: p, claims, runs: [report('rebalance-100k', run, [{ label: 'mark', tSec: markAt / 1000 }])] };
  },
};
