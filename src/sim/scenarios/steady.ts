// The steady scenario: a fleet in equilibrium with default tuning. Measures the
// recycled and new connections per server per second against Consul's ~13/s at
// 10K agents, and how long a full reshuffle takes (the commit notes' ~3 min).
import { claimRow, formatNumber } from '../claims.js';
import { MIN, SEC, CONNS_PER_SEC_PER_SERVER, equilibrium, meanRatePerServer, report, resolve, runOne, sized } from './common.js';
import type { Scenario } from './types.js';

export const steady: Scenario = {
  name: 'steady',
  description:
    'A fleet in equilibrium: every agent rebalances every 120–180 s (or slower when the 64 conns/s/server cap binds). Measures new connections per server per second and how long a full reshuffle takes.',
  defaults: { agents: 10_000, servers: 5, durationMs: 60 * MIN },
  async run(params, hooks) {
    const p = resolve(params, this.defaults, this.defaults.durationMs ?? 60 * MIN);
    const { intervalMs, warmupMs, config } = equilibrium(p);
    const run = await runOne('steady', { ...config, timeline: [{ atMs: warmupMs, op: 'markRebalances' }] }, hooks);
    const fleet = run.fleet;
    // Consul agent/router/manager.go, Nomad client/rpc_proxy/rpc_proxy.go: "10K … 5x servers … averages out to ~13 new connections … per server per second"
    // = agents / servers / 150 s, until the 64/s cap takes over.
    const claimPerSec = Math.min(CONNS_PER_SEC_PER_SERVER, p.agents / p.servers / 150);
    const seedSize = p.agents === 10_000 && p.servers === 5;
    const source = seedSize
      ? 'Consul agent/router/manager.go clientRPCJitterFraction: 10K agents, 5 servers → ~13/s/server'
      : 'min(64, N / S / 150 s): the arithmetic of Consul agent/router/manager.go clientRPCJitterFraction at this run\'s N, S';
    const basis = seedSize ? ('upstream' as const) : ('formula' as const);
    const claims = [
      claimRow('steady', 'connections recycled/s/server (every rebalance)', '1/s', claimPerSec,
        meanRatePerServer(run, 'rebalancesPerSec', warmupMs, p.durationMs, p.servers), source, { basis }),
      claimRow('steady', 'new connections/s/server (front server changed)', '1/s', claimPerSec,
        meanRatePerServer(run, 'newConnsPerSec', warmupMs, p.durationMs, p.servers), source, { basis }),
      claimRow('steady', 'time until every agent rebalanced once', 'min',
        seedSize ? 3 : intervalMs / MIN,
        Number.isNaN(fleet.allRebalancedAt) ? null : (fleet.allRebalancedAt - warmupMs) / MIN,
        seedSize ? 'Consul server manager commit notes: "For 10K node clusters it will take ~3min … to rebalance"' : 'max(180 s, N / (64·S)) from the constants of Consul agent/router/manager.go',
        { basis },
      ),
    ];
    const description = `${sized(p)}: a fleet in equilibrium, every agent rebalancing every ${formatNumber(intervalMs / SEC)} s at most (the 120–180 s reuse jitter, or N/(64·S) when the cap binds); measured from ${formatNumber(warmupMs / MIN)} min.`;
    return { scenario: 'steady', description, params: p, claims, runs: [report('steady', run)] };
  },
};
