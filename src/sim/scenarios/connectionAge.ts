// How long an agent keeps a connection: the reuse period between rebalances and
// the time it stays on one server, against the commit notes' average connection
// age of 150 s.
import { claimRow, formatNumber } from '../claims.js';
import { MIN, MAX_REUSE_MS, SEC, equilibrium, report, resolve, runOne, sized } from './common.js';
import type { Scenario } from './types.js';

export const connectionAge: Scenario = {
  name: 'connection-age',
  description:
    'How long an agent keeps a connection: the reuse period between rebalances (120–180 s below the rate cap), and how long it actually stays on one server (a reshuffle picks the same server with probability 1/S).',
  defaults: { agents: 10_000, servers: 5, durationMs: 60 * MIN },
  async run(params, hooks) {
    const p = resolve(params, this.defaults, this.defaults.durationMs ?? 60 * MIN);
    const { intervalMs, config } = equilibrium(p);
    const run = await runOne('connection-age', config, hooks);
    const fleet = run.fleet;
    // Below the rate cap the reuse period is uniform in [120, 180) s; above it, N / (64·S).
    const claimSec = intervalMs > MAX_REUSE_MS ? intervalMs / SEC : 150;
    const upstream = claimSec === 150;
    const source = upstream
      ? 'Consul server manager commit notes: "for the vast majority of consul users … an average connection age of 150s"'
      : 'N / (64·S) s: the capped rebalance interval of Consul agent/router/manager.go at this run\'s N, S';
    const basis = upstream ? ('upstream' as const) : ('formula' as const);
    const claims = [
      claimRow('connection-age', 'mean reuse period (rebalance to rebalance)', 's', claimSec,
        fleet.rebalanceGaps.count > 0 ? fleet.rebalanceGaps.mean / SEC : null, source, { basis }),
      claimRow('connection-age', 'mean time on one server (front server unchanged)', 's', claimSec,
        fleet.connLifetimes.count > 0 ? fleet.connLifetimes.mean / SEC : null, source, { basis }),
    ];
    const description = `${sized(p)}: how long an agent keeps a connection: the reuse period between rebalances (${upstream ? '120–180 s, below the rate cap' : `${formatNumber(claimSec)} s, the rate cap binds`}) and how long it stays on one server (a reshuffle picks the same server with probability 1/S).`;
    return { scenario: 'connection-age', description, params: p, claims, runs: [report('connection-age', run)] };
  },
};
