// What the catalog scenarios share: the `consul` run's catalog behaviour (every server
// up asks for a full sync, one read per pass, no write cap), the catalog's per-server
// rates over a window, and the steady-state formula they are held against.
import { scaleFactor } from '../../shared/stagger.js';
import type { AgentTuning } from '../agent.js';
import type { RateSeries } from '../metrics.js';
import type { SimConfig, SimRun } from '../simulator.js';
import { equilibrium, MIN, resolve, runOne, type RunLabel } from './common.js';
import type { Scenario, ScenarioHooks, ScenarioParams } from './types.js';
import { claimRow, type ClaimRow } from '../claims.js';
import { CAP_WINDOW_MS, peakWindowRate } from './measure.js';

/** Services per agent when a scenario's caller gives none (`--entries`). */
export const DEFAULT_ENTRIES = 10;

/**
 * The catalog as Consul's agents use it: a server coming up always asks for a full sync
 * (Consul agent/consul/client_serf.go nodeJoin → ServerUp → SyncFull), a full sync's read
 * is tried once, and writes are not paced (the cap set out of reach).
 */
export const CONSUL_CATALOG: Pick<AgentTuning, 'fullSyncOnServerUp' | 'readAttempts' | 'writesPerSecPerServer' | 'writeBurst'> = {
  fullSyncOnServerUp: 'always',
  readAttempts: 1,
  writesPerSecPerServer: 1e12,
  writeBurst: 1_000_000,
};

/** The tuning a labelled catalog run uses: `consul` swaps in {@link CONSUL_CATALOG}. */
export function catalogTuningFor(label: RunLabel, tuning: AgentTuning): AgentTuning {
  return label === 'consul' ? { ...tuning, ...CONSUL_CATALOG } : tuning;
}

/** What a catalog scenario starts from: its steady configuration and when its faults may begin. */
export interface CatalogSetting {
  /** Entries per agent (`--entries`, else the scenario's default). */
  entries: number;
  /** The steady configuration of the scenario's fleet (equilibrium's). */
  steadyConfig: SimConfig;
  /** The first whole minute after the steady configuration's warm-up. */
  settledAtMs: number;
}

export function catalogSetting(params: ScenarioParams, defaults: Scenario['defaults'], tuning: AgentTuning): CatalogSetting {
  const entries = params.entries ?? defaults.entries ?? DEFAULT_ENTRIES;
  const base = resolve(params, defaults, 0);
  const { warmupMs, config } = equilibrium({ ...base, durationMs: Number.MAX_SAFE_INTEGER }, tuning);
  return { entries, steadyConfig: config, settledAtMs: Math.ceil(warmupMs / MIN) * MIN };
}

/** One labelled run of a catalog scenario: the steady configuration with the label's catalog tuning and the run's own span and timeline. */
export function catalogRun(
  scenario: string,
  label: RunLabel,
  setting: CatalogSetting,
  tuning: AgentTuning,
  run: Pick<SimConfig, 'durationMs' | 'warmupMs' | 'timeline'> & Pick<Partial<SimConfig>, 'bucketMs'>,
  hooks: ScenarioHooks | undefined,
): Promise<SimRun> {
  const config: SimConfig = {
    ...setting.steadyConfig,
    durationMs: run.durationMs,
    warmupMs: run.warmupMs,
    ...(run.bucketMs !== undefined ? { bucketMs: run.bucketMs } : {}),
    tuning: catalogTuningFor(label, tuning),
    entries: setting.entries,
    timeline: run.timeline,
  };
  return runOne(`${scenario} (${label})`, config, hooks);
}

/** Mean per-second rates over [fromMs, toMs): per server (summed over servers, divided by S) and fleet-wide. */
export interface CatalogRates {
  readsPerServer: number;
  writesPerServer: number;
  sessionOpsPerServer: number;
  fullSyncsFleet: number;
}

export function catalogRates(run: SimRun, fromMs: number, toMs: number, servers: number): CatalogRates {
  const r = run.recorder;
  const from = Math.ceil(fromMs / r.bucketMs);
  const to = Math.floor(toMs / r.bucketMs);
  const sec = ((to - from) * r.bucketMs) / 1000;
  const sum = (names: readonly RateSeries[]): number => {
    let total = 0;
    for (const name of names) for (let s = 0; s < r.serverNames.length; s++) total += r.total(name, s, from, to);
    return sec > 0 ? total / sec : Number.NaN;
  };
  return {
    readsPerServer: sum(['listsPerSec', 'countsPerSec']) / servers,
    writesPerServer: sum(['putsPerSec', 'deletesPerSec']) / servers,
    sessionOpsPerServer: sum(['sessionOpsPerSec']) / servers,
    fullSyncsFleet: sum(['fullSyncsPerSec']),
  };
}

/**
 * The highest fleet-wide rate of `series` (added up) over any `windowMs` window within
 * [fromMs, toMs), divided by `servers`: what each server would see with the agents spread
 * evenly. (The per-server peak adds how unevenly the agents are spread at that moment.)
 */
export function peakFleetWindowPerServer(run: SimRun, series: readonly RateSeries[], fromMs: number, toMs: number, windowMs: number, servers: number): number {
  const r = run.recorder;
  const w = Math.round(windowMs / r.bucketMs);
  const first = Math.ceil(fromMs / r.bucketMs);
  const end = Math.min(r.buckets, Math.floor(toMs / r.bucketMs));
  const perBucket: number[] = [];
  for (let b = first; b < end; b++) {
    let sum = 0;
    for (const name of series) for (let s = 0; s < r.serverNames.length; s++) sum += r.total(name, s, b, b + 1);
    perBucket.push(sum);
  }
  let peak = 0;
  let sum = 0;
  for (let i = 0; i < perBucket.length; i++) {
    sum += perBucket[i] as number;
    if (i >= w) sum -= perBucket[i - w] as number;
    if (i + 1 >= w) peak = Math.max(peak, sum);
  }
  return peak / (windowMs / 1000) / servers;
}

/**
 * The steady state's cost to each server. A full sync comes every
 * `interval × (1 + scaleFactor(N) / 2)` on average (Consul agent/ae/ae.go: the interval
 * plus a stagger uniform over interval × scaleFactor), and reads the node's entries once
 * (a list) and the cluster size once (a count: refreshed at most every 30 s, asked once
 * per cycle); a local change is one put. Spread evenly over S servers:
 * reads/s/server = 2N / (S · gap), writes/s/server = N / (S · change interval).
 */
export function steadyCatalogFormula(agents: number, servers: number, intervalMs: number, changeIntervalMs: number): { fullSyncGapMs: number; readsPerServer: number; writesPerServer: number } {
  const fullSyncGapMs = intervalMs * (1 + scaleFactor(agents) / 2);
  return {
    fullSyncGapMs,
    readsPerServer: (2 * agents * 1000) / (servers * fullSyncGapMs),
    writesPerServer: (agents * 1000) / (servers * changeIntervalMs),
  };
}

/**
 * The catalog's columns for a scenario run with `--entries` (measured only): mean reads and
 * writes per server per second over [fromMs, toMs), and the busiest server's 60 s peak of each.
 */
export function catalogColumns(scenario: string, label: string, run: SimRun, fromMs: number, toMs: number, servers: number): ClaimRow[] {
  if (!((run.config.entries ?? 0) > 0)) return [];
  const rates = catalogRates(run, fromMs, toMs, servers);
  const tag = label === scenario ? '' : `[${label}] `;
  const reads = peakWindowRate(run.series, ['listsPerSec', 'countsPerSec'], fromMs, toMs, CAP_WINDOW_MS);
  const writes = peakWindowRate(run.series, ['putsPerSec', 'deletesPerSec'], fromMs, toMs, CAP_WINDOW_MS);
  const source = `measured only: the simulated catalog, ${run.config.entries} entries per agent`;
  const row = (what: string, value: number): ClaimRow => claimRow(scenario, `${tag}${what}`, '1/s', null, value, source, { claimText: '—' });
  return [
    row('catalog reads/s per server, mean', rates.readsPerServer),
    row('catalog reads/s at one server, peak 60 s', reads.rate),
    row('catalog writes/s per server, mean', rates.writesPerServer),
    row('catalog writes/s at one server, peak 60 s', writes.rate),
  ];
}
