// One server of five answers but refuses every catalog read for 20 minutes (a member that
// lost its data directory, a leader stuck in a read barrier). Run `consul`: a full sync
// reads once, so every agent whose list meets that server fails its full sync and waits for
// the retry. Run `ae-sync`: the read is tried again on the next server inside the same pass,
// so the refusing server costs 0 failed full syncs.
import { claimRow, formatNumber, type ClaimRow } from '../claims.js';
import type { AgentTuning } from '../agent.js';
import type { SimConfig } from '../simulator.js';
import { BASE_TUNING, MIN, report, resolve, sized, type RunLabel } from './common.js';
import { catalogRates, catalogRun, catalogSetting, DEFAULT_ENTRIES } from './catalogCommon.js';
import type { Scenario, ScenarioRunReport } from './types.js';

const REFUSAL_MS = 20 * MIN;

export interface ReadRefusalOptions {
  tuning?: AgentTuning;
}

export function readRefusal(options: ReadRefusalOptions = {}): Scenario {
  const tuning = options.tuning ?? BASE_TUNING;
  return {
    name: 'read-refusal',
    description: `Server s0 answers but refuses every catalog read for ${REFUSAL_MS / MIN} min. Run \`consul\`: one read per full sync, so each agent whose list meets s0 fails a full sync. Run \`ae-sync\`: the read is retried on the next server in the same pass: 0 failed full syncs.`,
    defaults: { agents: 10_000, servers: 5, entries: DEFAULT_ENTRIES },
    async run(params, hooks) {
      const setting = catalogSetting(params, this.defaults, tuning);
      const entries = setting.entries;
      const refuseAt = setting.settledAtMs;
      const serveAt = refuseAt + REFUSAL_MS;
      const p = resolve(params, this.defaults, serveAt + 5 * MIN);
      const runs: ScenarioRunReport[] = [];
      const measured = {} as Record<RunLabel, { failed: number; hit: number; refused: number; readsPerServer: number }>;
      for (const label of ['consul', 'ae-sync'] as const) {
        const timeline: SimConfig['timeline'] = [
          { atMs: refuseAt, op: 'refuseReads', server: 0 },
          { atMs: serveAt, op: 'serveReads', server: 0 },
        ];
        const run = await catalogRun('read-refusal', label, setting, tuning, { durationMs: p.durationMs, warmupMs: refuseAt, timeline }, hooks);
        const f = run.fleet;
        measured[label] = { failed: f.fullSyncFailures, hit: f.agentsRefused, refused: f.readsRefused, readsPerServer: catalogRates(run, refuseAt, serveAt, p.servers).readsPerServer };
        runs.push(report(label, run, [{ label: 's0 refuses reads', tSec: refuseAt / 1000 }, { label: 's0 serves again', tSec: serveAt / 1000 }]));
      }
      const consul = measured.consul;
      const ours = measured['ae-sync'];
      const name = 'read-refusal';
      const claims: ClaimRow[] = [
        claimRow(name, '[ae-sync] failed full syncs while s0 refuses and after', '', 0, ours.failed, 'a read that fails is tried again on the next server inside the pass (Nomad client/rpc.go, Consul agent/consul/client.go retry within RPCHoldTimeout)', { mode: 'exact' }),
        claimRow(name, '[consul] failed full syncs ÷ agents whose full-sync read met s0', '×', 1, consul.hit > 0 ? consul.failed / consul.hit : null,
          'Consul agent/ae: one read per full sync; a failed one fails the sync (at least one per agent that met s0)', { mode: 'atLeast' }),
        claimRow(name, '[ae-sync] agents whose full-sync read met s0', '', null, ours.hit, 'measured only', { claimText: '—' }),
        claimRow(name, '[ae-sync] catalog reads/s per server while s0 refuses', '1/s', null, ours.readsPerServer, 'measured only', { claimText: '—' }),
        claimRow(name, '[consul] catalog reads/s per server while s0 refuses', '1/s', null, consul.readsPerServer, 'measured only', { claimText: '—' }),
      ];
      const description = `${sized(p)} × ${entries} entries: s0 refuses every read from ${formatNumber(refuseAt / MIN)} to ${formatNumber(serveAt / MIN)} min. Run consul: one read per full sync. Run ae-sync: reads retried on the next server.`;
      return { scenario: name, description, params: { ...p, entries }, claims, runs };
    },
  };
}
