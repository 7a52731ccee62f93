// Every agent starts at the same instant (a fleet restarted together). Two runs:
// `consul` waits exactly minReuseDuration before the first rebalance (Consul
// agent/router/manager.go), so all N rebalance in one second; `ae-sync` jitters it
// over minReuseDuration / jitterFraction, so no second sees more than N/30.
import { claimRow, type ClaimRow } from '../claims.js';
import type { AgentTuning } from '../fleet.js';
import { BASE_TUNING, CHANGE_INTERVAL_MS, MIN, SEC, constantsOf, report, resolve, runOne, tuningFor } from './common.js';
import { catalogColumns } from './catalogCommon.js';
import { CAP_WINDOW_MS, peakFleetBucket, peakWindowRate } from './measure.js';
import type { Scenario, ScenarioRunReport } from './types.js';

/** The bound on fleet-wide rebalances in any one second, as a fraction of N: twice the jittered mean N/60. */
export const RESTART_BOUND_DIVISOR = 30;

export interface FleetRestartOptions {
  name?: string;
  tuning?: AgentTuning;
  defaults?: Scenario['defaults'];
}

export function fleetRestart(options: FleetRestartOptions = {}): Scenario {
  const name = options.name ?? 'fleet-restart';
  const tuning = options.tuning ?? BASE_TUNING;
  const c = constantsOf(tuning);
  const jitterSec = c.minReuseMs / c.jitterFraction / SEC;
  return {
    name,
    description: `Every agent starts at t = 0. Run \`consul\`: the first rebalance waits exactly ${c.minReuseMs / SEC} s, so all N agents rebalance in one second. Run \`ae-sync\`: it waits ${c.minReuseMs / SEC} s + U(0, ${jitterSec} s); peak fleet-wide rebalances in any second ≤ N/${RESTART_BOUND_DIVISOR}.`,
    defaults: options.defaults ?? { agents: 100_000, servers: 5 },
    async run(params, hooks) {
      // Two rebalances per agent: the first (the one that matters) and the capped second.
      const p = resolve(params, this.defaults, Math.ceil((2 * c.minReuseMs * (1 + 1 / c.jitterFraction)) / MIN) * MIN + MIN);
      const runs: ScenarioRunReport[] = [];
      const peaks: Record<string, { bucket: { rate: number; atSec: number }; window: number }> = {};
      const catalog: ClaimRow[] = [];
      for (const label of ['consul', 'ae-sync'] as const) {
        const run = await runOne(`${name} (${label})`, {
          seed: p.seed,
          agents: p.agents,
          servers: p.servers,
          durationMs: p.durationMs,
          bucketMs: SEC,
          warmupMs: 0,
          startSpreadMs: 0,
          tuning: tuningFor(label, tuning),
          changeIntervalMs: CHANGE_INTERVAL_MS,
          ...(params.entries !== undefined ? { entries: params.entries } : {}),
        }, hooks);
        catalog.push(...catalogColumns(name, label, run, 0, p.durationMs, p.servers));
        peaks[label] = {
          bucket: peakFleetBucket(run.series, 'rebalancesPerSec', 0, p.durationMs),
          window: peakWindowRate(run.series, 'rebalancesPerSec', 0, p.durationMs, CAP_WINDOW_MS).rate,
        };
        runs.push(report(label, run, [{ label: 'restart', tSec: 0 }]));
      }
      const bound = p.agents / RESTART_BOUND_DIVISOR;
      const firstWait = `Consul agent/router/manager.go: the first rebalance after exactly clientRPCMinReuseDuration (${c.minReuseMs / SEC} s)`;
      const claims: ClaimRow[] = [
        claimRow(name, '[consul] peak fleet-wide rebalances in one second', '1/s', p.agents, peaks.consul!.bucket.rate,
          `${firstWait}: lockstep puts all N in one second`),
        claimRow(name, '[ae-sync] peak fleet-wide rebalances in one second', '1/s', bound, peaks['ae-sync']!.bucket.rate,
          `N/${RESTART_BOUND_DIVISOR}: twice the mean N/${jitterSec} of a first wait ${c.minReuseMs / SEC} s + U(0, ${jitterSec} s), against ${firstWait}`, { mode: 'atMost' }),
        claimRow(name, '[ae-sync] peak recycled conns/s at one server, any 60 s window', '1/s', null, peaks['ae-sync']!.window,
          `measured only: first rebalances are not capped; N/(S·${jitterSec} s) expected (cap ${c.cap})`, { claimText: '—' }),
        ...catalog,
      ];
      return { scenario: name, description: this.description, params: params.entries !== undefined ? { ...p, entries: params.entries } : p, claims, runs };
    },
  };
}
