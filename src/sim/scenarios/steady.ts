// The steady scenario: a fleet in equilibrium with default tuning. Measures the
// recycled and new connections per server per second against Consul's ~13/s at
// 10K agents, and how long a full reshuffle takes (the commit notes' ~3 min).
import { claimRow } from '../claims.js';
import { MIN, CONNS_PER_SEC_PER_SERVER, equilibrium, meanRatePerServer, report, resolve, runOne } from './common.js';
import type { Scenario } from './types.js';

export const steady: Scenario = {
  name: 'steady',
  description:
    'A fleet in equilibrium: every agent rebalances every 120–180 s (or slower when the 64 conns/s/server cap binds). Measures new connections per server per second and how long a full reshuffle takes.',
  defaults: { agents: 10_000, servers: 5, durationMs: 60 * MIN },
  async run(params, hooks) {
    const p = resolve(params, this.defaults, this.defaults.durationMs ?? 60 * MIN);
    const { intervalMs, warmupMs, config } = equilibrium(p);
    const run = await runOne('steady', config, (ctx) => ctx.at(warmupMs, () => ctx.fleet.markRebalances()), hooks);
    const fleet = run.context.fleet;
    // Consul agent/router/manager.go, Nomad client/rpc_proxy/rpc_proxy.go: "10K … 5x servers … averages out to ~13 new connections … per server per second"
    // = agents / servers / 150 s, until the 64/s cap takes over.
    const claimPerSec = Math.min(CONNS_PER_SEC_PER_SERVER, p.agents / p.servers / 150);
    const scaled = p.agents === 10_000 && p.servers === 5 ? '' : ' (scaled to N, S)';
    const source = `Consul agent/router/manager.go clientRPCJitterFraction: 10K agents, 5 servers → ~13/s/server${scaled}`;
    const claims = [
      claimRow('steady', 'connections recycled/s/server (every rebalance)', '1/s', claimPerSec,
        meanRatePerServer(run, 'rebalancesPerSec', warmupMs, p.durationMs, p.servers), source),
      claimRow('steady', 'new connections/s/server (front server changed)', '1/s', claimPerSec,
        meanRatePerServer(run, 'newConnsPerSec', warmupMs, p.durationMs, p.servers), source),
      claimRow('steady', 'time until every agent rebalanced once', 'min',
        p.agents === 10_000 ? 3 : intervalMs / MIN,
        Number.isNaN(fleet.allRebalancedAt) ? null : (fleet.allRebalancedAt - warmupMs) / MIN,
        p.agents === 10_000 ? 'Consul server manager commit notes: "For 10K node clusters it will take ~3min … to rebalance"' : 'max(180 s, N / (64·S)) from the constants of Consul agent/router/manager.go',
      ),
    ];
    return { scenario: 'steady', description: this.description, params: p, claims, runs: [report('steady', run)] };
  },
};
