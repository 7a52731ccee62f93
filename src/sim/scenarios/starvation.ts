// Every agent changes something every second (Consul issue #7020: partial syncs
// used to starve full syncs). Measures that full syncs keep their interval + stagger
// schedule (Consul agent/ae/ae.go).
import { claimRow } from '../claims.js';
import { scaleFactor } from '../../shared/stagger.js';
import type { SimConfig } from '../simulator.js';
import { BASE_TUNING, MIN, SEC, SYNC_INTERVAL_MS, report, resolve, runOne, sized } from './common.js';
import type { Scenario } from './types.js';

export const starvation: Scenario = {
  name: 'starvation',
  description:
    'Every agent has a local change every second, so a partial sync runs every second (Consul issue #7020: in older Consul this starved full syncs forever). Full syncs must stay on their interval + stagger schedule.',
  defaults: { agents: 200, servers: 5, durationMs: 20 * MIN },
  async run(params, hooks) {
    const p = resolve(params, this.defaults, this.defaults.durationMs ?? 20 * MIN);
    const f = scaleFactor(p.agents);
    const warmupMs = Math.min(p.durationMs / 4, 3 * MIN);
    const config: SimConfig = {
      seed: p.seed,
      agents: p.agents,
      servers: p.servers,
      durationMs: p.durationMs,
      warmupMs,
      startSpreadMs: 10 * SEC,
      tuning: BASE_TUNING,
      changeEveryMs: SEC,
    };
    const run = await runOne('starvation', config, hooks);
    const fleet = run.fleet;
    const partialPerAgentSec = run.summary.partialSyncs / p.agents / (p.durationMs / SEC);
    const claims = [
      claimRow('starvation', 'mean gap between full syncs', 's', ((SYNC_INTERVAL_MS / SEC) * (1 + f / 2)),
        fleet.fullSyncGaps.count > 0 ? fleet.fullSyncGaps.mean / SEC : null,
        'Consul agent/ae/ae.go syncChangesEventFn: full sync every Interval + stagger(Interval); partial syncs must not move it (#7020)'),
      claimRow('starvation', 'longest gap between full syncs', 's', ((SYNC_INTERVAL_MS / SEC) * (1 + f) + 1),
        fleet.fullSyncGaps.count > 0 ? fleet.fullSyncGaps.max / SEC : null,
        'interval·(1 + scaleFactor) + 1 s of RPC slack', { mode: 'atMost' }),
      claimRow('starvation', 'partial syncs per agent per second', '1/s', 1, partialPerAgentSec,
        'the workload: one change per agent per second, each synced at once'),
    ];
    const description = `${sized(p)}: every agent has a local change every second, so a partial sync runs every second (Consul issue #7020); full syncs must stay on their interval + stagger schedule (scale factor ${f}).`;
    return { scenario: 'starvation', description, params: p, claims, runs: [report('starvation', run)] };
  },
};
