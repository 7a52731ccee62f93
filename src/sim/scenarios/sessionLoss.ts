// A partition longer than the session TTL cuts every agent off every server; the servers
// drop every session and its entries, and when the partition heals every agent writes its
// entries again. Run `consul`: nothing paces the rewrite, the fleet re-registers as fast as
// its retries come. Run `ae-sync`: the fleet write cap spreads it, so no server sees more
// than `writesPerSecPerServer` writes/s, and every entry is back within N·M / (S × cap).
import { claimRow, formatNumber, type ClaimRow } from '../claims.js';
import type { AgentTuning } from '../agent.js';
import type { SimConfig } from '../simulator.js';
import { DEFAULT_WRITES_PER_SEC_PER_SERVER } from '../../catalog/registryOptions.js';
import { DEFAULT_SESSION_TTL_MS } from '../../catalog/registryOptions.js';
import { DEFAULT_RETRY_FAIL_INTERVAL_MS } from '../../syncer/options.js';
import { scaleFactor } from '../../shared/stagger.js';
import { BASE_TUNING, MIN, SEC, report, resolve, sized, type RunLabel } from './common.js';
import { catalogRun, catalogSetting, DEFAULT_ENTRIES, peakFleetWindowPerServer } from './catalogCommon.js';
import { CAP_WINDOW_MS, peakWindowRate, type WindowPeak } from './measure.js';
import type { Scenario, ScenarioRunReport } from './types.js';

/** The per-server peak may exceed the cap by this factor in a 60 s window (sampling noise). */
export const WRITE_CAP_SLACK = 1.1;
/** Every entry back within this multiple of N·M / (S × cap) of the heal. */
export const REWRITE_SLACK = 1.2;
/** How long the partition lasts: three session TTLs. */
const PARTITION_MS = 3 * DEFAULT_SESSION_TTL_MS;

export interface SessionLossOptions {
  tuning?: AgentTuning;
}

export function sessionLoss(options: SessionLossOptions = {}): Scenario {
  const tuning = options.tuning ?? BASE_TUNING;
  return {
    name: 'session-loss',
    description: `Every agent is cut off from every server for ${PARTITION_MS / SEC} s (three session TTLs): the servers drop every session and its entries; then the partition heals and every agent writes its M entries again. Run \`consul\`: unpaced. Run \`ae-sync\`: no server above ${WRITE_CAP_SLACK} × writesPerSecPerServer writes/s in any 60 s window, every entry back within ${REWRITE_SLACK} × max(N·M / (S × cap), the full-sync retry window) of the heal.`,
    defaults: { agents: 10_000, servers: 5, entries: DEFAULT_ENTRIES },
    async run(params, hooks) {
      const setting = catalogSetting(params, this.defaults, tuning);
      const entries = setting.entries;
      const base = setting.steadyConfig;
      const cutAt = setting.settledAtMs;
      const lostAt = cutAt + (tuning.sessionTtl ?? DEFAULT_SESSION_TTL_MS);
      const healAt = cutAt + PARTITION_MS;
      const cap = tuning.writesPerSecPerServer ?? DEFAULT_WRITES_PER_SEC_PER_SERVER;
      const rewriteMs = (1000 * base.agents * entries) / (base.servers * cap);
      // The full syncs that failed in the partition are retried within retryFailInterval ×
      // (1 + scaleFactor(N)) of the heal (Consul agent/ae/ae.go's retry and stagger); the
      // rewrite cannot end before the last of them starts.
      const retryMs = (tuning.retryFailInterval ?? DEFAULT_RETRY_FAIL_INTERVAL_MS) * (1 + scaleFactor(base.agents));
      const boundMs = REWRITE_SLACK * Math.max(rewriteMs, retryMs);
      const p = resolve(params, this.defaults, Math.ceil((healAt + 2 * boundMs + 5 * MIN) / MIN) * MIN);
      const all = Array.from({ length: p.servers }, (_, s) => s);
      const runs: ScenarioRunReport[] = [];
      const measured = {} as Record<RunLabel, { peak: WindowPeak; fleetPeak: number; backSec: number | null }>;
      for (const label of ['consul', 'ae-sync'] as const) {
        const timeline: SimConfig['timeline'] = [
          { atMs: cutAt, op: 'partition', group: 0, servers: all },
          // The agents give up on their sessions one TTL without a renewal; the servers drop them and their entries.
          { atMs: lostAt, op: 'loseSessions' },
          { atMs: healAt, op: 'heal' },
        ];
        const run = await catalogRun('session-loss', label, setting, tuning, { durationMs: p.durationMs, warmupMs: cutAt, bucketMs: 5 * SEC, timeline }, hooks);
        const back = run.fleet.entriesBackAt;
        measured[label] = {
          peak: peakWindowRate(run.series, ['putsPerSec', 'deletesPerSec'], healAt, p.durationMs, CAP_WINDOW_MS),
          fleetPeak: peakFleetWindowPerServer(run, ['putsPerSec', 'deletesPerSec'], healAt, p.durationMs, CAP_WINDOW_MS, p.servers),
          backSec: back === undefined || Number.isNaN(back) || back < healAt ? null : (back - healAt) / SEC,
        };
        runs.push(report(label, run, [{ label: 'partition', tSec: cutAt / 1000 }, { label: 'heal', tSec: healAt / 1000 }]));
      }
      const consul = measured.consul;
      const ours = measured['ae-sync'];
      const name = 'session-loss';
      const capSource = `the fleet write cap: writesPerSecPerServer = ${formatNumber(cap)}, + ${Math.round((WRITE_CAP_SLACK - 1) * 100)} % for 60 s window noise`;
      const backSource = `the servers' rewrite time at the cap, or the full syncs' retry window if longer: max(N·M / (S × cap) = ${formatNumber(p.agents)} × ${entries} / (${p.servers} × ${formatNumber(cap)}) = ${formatNumber(rewriteMs / SEC)} s, the retry window retryFailInterval × (1 + scaleFactor(N)) = ${formatNumber(retryMs / SEC)} s) × ${REWRITE_SLACK}; an agent that counts fewer reachable servers paces slower (its cap divides by those it can reach)`;
      const claims: ClaimRow[] = [
        claimRow(name, '[ae-sync] peak writes/s at one server, any 60 s window from the heal', '1/s', WRITE_CAP_SLACK * cap, ours.peak.rate, capSource, { mode: 'atMost' }),
        claimRow(name, '[consul] peak writes/s at one server, any 60 s window from the heal', '1/s', null, consul.peak.rate, 'measured only: nothing paces the rewrite', { claimText: '—' }),
        claimRow(name, '[ae-sync] peak fleet writes/s ÷ S, any 60 s window from the heal', '1/s', WRITE_CAP_SLACK * cap, ours.fleetPeak,
          `${capSource}; the fleet's rate spread evenly (the one-server peak adds how unevenly the agents sit on the servers)`, { mode: 'atMost' }),
        claimRow(name, '[ae-sync] every entry back in the catalog, after the heal', 's', boundMs / SEC, ours.backSec, backSource, { mode: 'atMost' }),
        claimRow(name, '[consul] every entry back in the catalog, after the heal', 's', null, consul.backSec, 'measured only', { claimText: '—' }),
      ];
      const description = `${sized(p)} × ${entries} entries: every agent cut off from every server at ${formatNumber(cutAt / MIN)} min, sessions lost one TTL later, heal at ${formatNumber(healAt / MIN)} min. Run consul: the rewrite is unpaced. Run ae-sync: under the write cap (${formatNumber(cap)} writes/s/server), all back within ${formatNumber(boundMs / SEC)} s.`;
      return { scenario: name, description, params: { ...p, entries }, claims, runs };
    },
  };
}
