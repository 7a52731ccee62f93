// A server joins a settled fleet: every agent full-syncs after
// stagger(serverUpInterval), scaled by log2 of the fleet size (Consul agent/ae/ae.go).
// Two runs, with and without the scale, measure the herd at each existing server.
import { claimRow, formatNumber } from '../claims.js';
import { scaleFactor } from '../../shared/stagger.js';
import type { SimConfig, SimRun } from '../simulator.js';
import { BASE_TUNING, CHANGE_INTERVAL_MS, MIN, SEC, SYNC_INTERVAL_MS, SERVER_UP_INTERVAL_MS, report, resolve, runOne, sized } from './common.js';
import type { Scenario } from './types.js';

/** Peak, over servers and the window's buckets, of full syncs per second at one server. */
function peakFullSyncs(run: SimRun, fromMs: number, toMs: number, servers: number): number {
  const r = run.recorder;
  let peak = 0;
  for (let s = 0; s < servers; s++) peak = Math.max(peak, r.peakPerSec('fullSyncsPerSec', s, r.bucketOf(fromMs), r.bucketOf(toMs) + 1));
  return peak;
}

/** Mean over servers and over [from, to) of full syncs per second at one server. */
function meanFullSyncRate(run: SimRun, fromMs: number, toMs: number, servers: number): number {
  const r = run.recorder;
  const from = r.bucketOf(fromMs);
  const to = Math.max(from + 1, Math.ceil(toMs / r.bucketMs));
  let total = 0;
  for (let s = 0; s < servers; s++) total += r.total('fullSyncsPerSec', s, from, to);
  return total / servers / (((to - from) * r.bucketMs) / 1000);
}

const JOIN_TUNING = { ...BASE_TUNING, fullSyncOnServerUp: 'always' } as const;

export const serverJoin: Scenario = {
  name: 'server-join',
  description:
    'A server joins a settled fleet: every agent gets serverUp and asks for a full sync after stagger(serverUpInterval). With the log2 scale the herd spreads over scaleFactor(N)·3 s; without it (syncer clusterSize 1, Consul before the scale) over 3 s.',
  defaults: { agents: 8192, servers: 5, durationMs: 8 * MIN },
  async run(params, hooks) {
    const p = resolve(params, this.defaults, this.defaults.durationMs ?? 8 * MIN);
    const joinAt = Math.min(p.durationMs / 2, 5 * MIN);
    const f = scaleFactor(p.agents);
    const runs: { label: string; run: SimRun }[] = [];
    for (const variant of ['log2 stagger', 'no log2 scale'] as const) {
      const config: SimConfig = {
        seed: p.seed,
        agents: p.agents,
        servers: p.servers,
        extraServers: 1,
        durationMs: p.durationMs,
        bucketMs: SEC,
        warmupMs: joinAt,
        startSpreadMs: 3 * MIN,
        // The herd a join causes when every agent full-syncs on it (Consul's rule); by default
        // an agent that trusts its last full sync starts none (src/wiring.ts).
        tuning: variant === 'log2 stagger' ? JOIN_TUNING : { ...JOIN_TUNING, syncerClusterSize: 1 },
        changeIntervalMs: CHANGE_INTERVAL_MS,
        timeline: [
          { atMs: joinAt, op: 'markFullSyncs' },
          { atMs: joinAt, op: 'join', server: p.servers },
        ],
      };
      const run = await runOne(`server-join (${variant})`, config, hooks);
      runs.push({ label: variant, run });
    }
    const [withScale, flat] = runs as [{ label: string; run: SimRun }, { label: string; run: SimRun }];
    const window = 60 * SEC;
    const peakWith = peakFullSyncs(withScale.run, joinAt, joinAt + window, p.servers);
    const peakFlat = peakFullSyncs(flat.run, joinAt, joinAt + window, p.servers);
    // Expected rate while the herd lasts: the regular full-sync load plus N / (S · spread).
    const regular = p.agents / p.servers / ((SYNC_INTERVAL_MS / SEC) * (1 + f / 2));
    const spreadWith = (f * SERVER_UP_INTERVAL_MS) / SEC;
    const spreadFlat = SERVER_UP_INTERVAL_MS / SEC;
    const herdWith = meanFullSyncRate(withScale.run, joinAt, joinAt + spreadWith * SEC, p.servers);
    const herdFlat = meanFullSyncRate(flat.run, joinAt, joinAt + spreadFlat * SEC, p.servers);
    const maxWaitSec = withScale.run.fleet.firstFullAfterMark.max / SEC;
    const measuredFactor = Math.ceil(maxWaitSec / (SERVER_UP_INTERVAL_MS / SEC));
    const claims = [
      claimRow('server-join', `stagger factor at ${p.agents} agents (longest wait / 3 s)`, '×', p.agents === 8192 ? 8 : f, measuredFactor,
        p.agents === 8192
          ? 'Consul agent/ae/ae.go scaleThreshold comment: "At 8192 nodes, the delay factor is 8"'
          : 'scaleFactor(N) = ceil(log2 N − log2 128) + 1 (Consul agent/ae/ae.go)', { mode: 'exact', basis: p.agents === 8192 ? 'upstream' : 'formula' }),
      claimRow('server-join', `full syncs/s/server over the ${spreadWith} s herd, log2 stagger`, '1/s',
        regular + p.agents / p.servers / spreadWith, herdWith,
        'Consul agent/ae/ae.go staggerFn: uniform over scaleFactor(N) × serverUpInterval, plus the regular load'),
      claimRow('server-join', `full syncs/s/server over the ${spreadFlat} s herd, no log2 scale`, '1/s',
        regular + p.agents / p.servers / spreadFlat, herdFlat,
        'Consul agent/ae/ae.go serverUpIntv: uniform over 3 s, plus the regular load'),
      claimRow('server-join', 'herd reduction (rate without / with the scale)', '×', f, herdWith > 0 ? herdFlat / herdWith : null,
        'the log2 scale divides the herd rate by scaleFactor(N) (Consul agent/ae/ae.go)'),
      claimRow('server-join', 'peak full syncs/s/server in 1 s, log2 stagger', '1/s', null, peakWith,
        'measured only: the busiest server-second in the minute after the join', { claimText: '—' }),
      claimRow('server-join', 'peak full syncs/s/server in 1 s, no log2 scale', '1/s', null, peakFlat,
        'measured only: the busiest server-second in the minute after the join', { claimText: '—' }),
    ];
    const marks = [{ label: 'join', tSec: joinAt / 1000 }];
    return {
      scenario: 'server-join',
      description: `${sized(p)}: server s${p.servers} joins at ${formatNumber(joinAt / MIN)} min; every agent asks for a full sync after stagger(serverUpInterval): over scaleFactor(${p.agents})·3 s = ${formatNumber(f * 3)} s with the log2 scale, over 3 s without it.`,
      params: p,
      claims,
      runs: runs.map((r) => report(r.label, r.run, marks)),
    };
  },
};
