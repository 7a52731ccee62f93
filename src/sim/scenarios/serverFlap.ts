// One server of five leaves and rejoins every 30 s for 30 minutes, after a steady phase.
// Run `consul`: every rejoin is a server up, and every server up asks for a full sync
// (Consul agent/consul/client_serf.go nodeJoin → ServerUp → SyncFull), so the fleet
// full-syncs about once per flap. Run `ae-sync`: a server up asks only an agent without a
// full sync it can trust, so the flapping costs the catalog nothing beyond the steady state.
import { claimRow, formatNumber, type ClaimRow } from '../claims.js';
import type { AgentTuning } from '../agent.js';
import type { TimelineEvent } from '../timeline.js';
import { BASE_TUNING, CHANGE_INTERVAL_MS, MIN, SEC, report, resolve, sized, type RunLabel } from './common.js';
import { catalogRates, catalogRun, catalogSetting, DEFAULT_ENTRIES, steadyCatalogFormula, type CatalogRates } from './catalogCommon.js';
import type { Scenario, ScenarioRunReport } from './types.js';

/** ae-sync's fleet full syncs/s while the server flaps, at most this multiple of the steady phase's. */
export const FLAP_SLACK = 1.1;
/**
 * The consul run's, at least this share of steady gap ÷ flap period: a full sync per flap
 * against one per steady gap, less the agents whose stagger runs past the next flap (at
 * 100,000 agents: 0.8 × 390 s / 30 s = 10.4).
 */
export const CONSUL_FLAP_SHARE = 0.8;
export const FLAP_PERIOD_MS = 30 * SEC;
/** How long the server stays away in each period. */
export const FLAP_AWAY_MS = 10 * SEC;
export const FLAP_WINDOW_MS = 30 * MIN;
/** The steady phase measured before the flapping. */
const STEADY_WINDOW_MS = 15 * MIN;

export interface ServerFlapOptions {
  /** Library tuning for both runs (tests scale it down). */
  tuning?: AgentTuning;
}

/** The flapping server (the last of S) leaves and rejoins every period in [fromMs, toMs). */
function flaps(server: number, fromMs: number, toMs: number): TimelineEvent[] {
  const out: TimelineEvent[] = [];
  for (let t = fromMs; t < toMs; t += FLAP_PERIOD_MS) out.push({ atMs: t, op: 'leave', server }, { atMs: t + FLAP_AWAY_MS, op: 'join', server });
  return out;
}

export function serverFlap(options: ServerFlapOptions = {}): Scenario {
  const tuning = options.tuning ?? BASE_TUNING;
  return {
    name: 'server-flap',
    description: `One server of S leaves and rejoins every ${FLAP_PERIOD_MS / SEC} s for ${FLAP_WINDOW_MS / MIN} min after a steady phase (a catalog of M entries per agent). Run \`consul\`: every rejoin asks every agent for a full sync. Run \`ae-sync\`: only agents without a trusted full sync ask; fleet full syncs/s ≤ ${FLAP_SLACK} × the steady phase's.`,
    defaults: { agents: 10_000, servers: 5, entries: DEFAULT_ENTRIES },
    async run(params, hooks) {
      const setting = catalogSetting(params, this.defaults, tuning);
      const entries = setting.entries;
      const steadyFrom = setting.settledAtMs;
      const flapFrom = steadyFrom + STEADY_WINDOW_MS;
      const flapTo = flapFrom + FLAP_WINDOW_MS;
      const p = resolve(params, this.defaults, flapTo);
      const server = p.servers - 1;
      const runs: ScenarioRunReport[] = [];
      const measured = {} as Record<RunLabel, { steady: CatalogRates; flap: CatalogRates }>;
      for (const label of ['consul', 'ae-sync'] as const) {
        const timeline = flaps(server, flapFrom, Math.min(flapTo, p.durationMs));
        const run = await catalogRun('server-flap', label, setting, tuning, { durationMs: p.durationMs, warmupMs: steadyFrom, timeline }, hooks);
        measured[label] = { steady: catalogRates(run, steadyFrom, flapFrom, p.servers), flap: catalogRates(run, flapFrom, p.durationMs, p.servers) };
        runs.push(report(label, run, [{ label: 'flapping starts', tSec: flapFrom / 1000 }]));
      }
      const consul = measured.consul;
      const ours = measured['ae-sync'];
      const formula = steadyCatalogFormula(p.agents, p.servers, tuning.interval ?? 60 * SEC, CHANGE_INTERVAL_MS);
      const name = 'server-flap';
      const ratio = (m: { steady: CatalogRates; flap: CatalogRates }): number => m.flap.fullSyncsFleet / m.steady.fullSyncsFleet;
      const formulaSource = `steady state: a full sync every interval × (1 + scaleFactor(N)/2) = ${formatNumber(formula.fullSyncGapMs / SEC)} s (Consul agent/ae/ae.go), each one list and one count; one put per local change (every ${CHANGE_INTERVAL_MS / MIN} min); spread over ${p.servers} servers`;
      const claims: ClaimRow[] = [
        claimRow(name, '[ae-sync] fleet full syncs/s while flapping ÷ steady phase', '×', FLAP_SLACK, ratio(ours),
          'a server up asks for a full sync only when the agent has none it can trust (ae-sync), + 10 % sampling noise', { mode: 'atMost' }),
        claimRow(name, '[consul] fleet full syncs/s while flapping ÷ steady phase', '×', (CONSUL_FLAP_SHARE * formula.fullSyncGapMs) / FLAP_PERIOD_MS, ratio(consul),
          `Consul agent/consul/client_serf.go: every server up triggers SyncFull; a full sync per ${FLAP_PERIOD_MS / SEC} s flap against one per ${formatNumber(formula.fullSyncGapMs / SEC)} s, × ${CONSUL_FLAP_SHARE}`, { mode: 'atLeast' }),
        claimRow(name, '[ae-sync] steady phase: catalog reads/s per server', '1/s', formula.readsPerServer, ours.steady.readsPerServer, formulaSource),
        claimRow(name, '[ae-sync] steady phase: catalog writes/s per server', '1/s', formula.writesPerServer, ours.steady.writesPerServer, formulaSource),
        claimRow(name, '[consul] steady phase: catalog reads/s per server', '1/s', formula.readsPerServer, consul.steady.readsPerServer, formulaSource),
        claimRow(name, '[ae-sync] while flapping: catalog reads/s per server', '1/s', null, ours.flap.readsPerServer, 'measured only', { claimText: '—' }),
        claimRow(name, '[consul] while flapping: catalog reads/s per server', '1/s', null, consul.flap.readsPerServer, 'measured only', { claimText: '—' }),
        claimRow(name, '[ae-sync] while flapping: catalog writes/s per server', '1/s', null, ours.flap.writesPerServer, 'measured only', { claimText: '—' }),
        claimRow(name, '[consul] while flapping: catalog writes/s per server', '1/s', null, consul.flap.writesPerServer, 'measured only', { claimText: '—' }),
      ];
      const description = `${sized(p)} × ${entries} entries: steady from ${formatNumber(steadyFrom / MIN)} min; from ${formatNumber(flapFrom / MIN)} min server s${server} leaves and rejoins ${FLAP_AWAY_MS / SEC} s later, every ${FLAP_PERIOD_MS / SEC} s. Run consul: every rejoin asks every agent for a full sync. Run ae-sync: only agents without a trusted full sync ask.`;
      return { scenario: name, description, params: { ...p, entries }, claims, runs };
    },
  };
}
