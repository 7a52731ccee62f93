// What every scenario shares: the library's defaults as the simulator uses them,
// the `consul` manager switches, parameter resolution, one labelled run, and the
// rebalance interval arithmetic of Consul agent/router/manager.go.
import type { AgentTuning } from '../fleet.js';
import { formatNumber } from '../claims.js';
import { simulate, type SimConfig, type SimRun } from '../simulator.js';
import type { Scenario, ScenarioHooks, ScenarioParams, ScenarioRunReport } from './types.js';

export const SEC = 1000;
export const MIN = 60 * SEC;
/** Consul's anti-entropy interval (agent/ae default: 1 minute). */
export const SYNC_INTERVAL_MS = 60 * SEC;
export const MIN_REUSE_MS = 120 * SEC;
export const MAX_REUSE_MS = 180 * SEC;
export const CONNS_PER_SEC_PER_SERVER = 64;
export const SERVER_UP_INTERVAL_MS = 3 * SEC;
/** Mean time between local changes of one agent in the background workload. */
export const CHANGE_INTERVAL_MS = 10 * MIN;

export const BASE_TUNING: AgentTuning = { interval: SYNC_INTERVAL_MS };

/** The manager as Consul's: failed servers only rotate, the cap counts every listed server, no re-arm, a fixed first wait. */
export const CONSUL_MANAGER: Pick<AgentTuning, 'health' | 'rearmOnChange' | 'jitterFirstRebalance' | 'jitterCappedWait'> = { health: false, rearmOnChange: false, jitterFirstRebalance: false, jitterCappedWait: false };

/** The labels of a scenario that compares Consul's manager with this library's. */
export type RunLabel = 'consul' | 'ae-sync';

/** The tuning a labelled run uses: `consul` swaps in {@link CONSUL_MANAGER}, `ae-sync` keeps the defaults. */
export function tuningFor(label: RunLabel, tuning: AgentTuning): AgentTuning {
  return label === 'consul' ? { ...tuning, ...CONSUL_MANAGER } : tuning;
}

/** The rebalance constants a run uses (the library's defaults unless its tuning says otherwise). */
export interface RebalanceConstants {
  minReuseMs: number;
  jitterFraction: number;
  /** connsPerSecPerServer: the cap every claim about per-server rates is measured against. */
  cap: number;
}

export function constantsOf(tuning: AgentTuning): RebalanceConstants {
  return {
    minReuseMs: tuning.minReuseDuration ?? MIN_REUSE_MS,
    jitterFraction: tuning.jitterFraction ?? 2,
    cap: tuning.connsPerSecPerServer ?? CONNS_PER_SEC_PER_SERVER,
  };
}

/** The longest an agent waits between rebalances with `servers` reachable: top of the reuse jitter or the rate cap. */
export function rebalanceIntervalMs(agents: number, servers: number, c: RebalanceConstants = constantsOf(BASE_TUNING)): number {
  return Math.max(c.minReuseMs * (1 + 1 / c.jitterFraction), (1000 * agents) / (c.cap * Math.max(1, servers)));
}

export function resolve(params: ScenarioParams, defaults: Scenario['defaults'], durationMs: number) {
  return {
    seed: params.seed,
    agents: params.agents ?? defaults.agents,
    servers: params.servers ?? defaults.servers,
    durationMs: params.durationMs ?? durationMs,
  };
}

/** One labelled run: `hooks.sim` (workers, progress) applies to it; results do not depend on it. */
export async function runOne(label: string, config: SimConfig, hooks: ScenarioHooks | undefined): Promise<SimRun> {
  hooks?.onRunStart?.(label, config);
  const run = await simulate(config, hooks?.sim ?? {});
  hooks?.onRunEnd?.(label, run);
  return run;
}

/** "10,000 agents × 5 servers × 60 min": the run's own size, for descriptions. */
export function sized(p: { agents: number; servers: number; durationMs: number }): string {
  return `${p.agents.toLocaleString('en-US')} agents × ${p.servers} servers × ${formatNumber(p.durationMs / MIN)} min`;
}

/** End of the first bucket at or after `fromMs` whose sample has every server within `tolerance` of an even spread (NaN: none). */
export function firstEvenSampleAt(run: SimRun, fromMs: number, servers: number, tolerance: number): number {
  const r = run.recorder;
  const even = run.config.agents / servers;
  for (let b = 0; b < r.buckets; b++) {
    const end = Math.min(run.config.durationMs, (b + 1) * r.bucketMs);
    if (end < fromMs) continue;
    let worst = 0;
    for (let s = 0; s < servers; s++) worst = Math.max(worst, Math.abs(r.agentsAt(s, b) - even) / even);
    if (worst <= tolerance) return end;
  }
  return NaN;
}

export function report(label: string, run: SimRun, marks: ScenarioRunReport['marks'] = []): ScenarioRunReport {
  return { label, summary: run.summary, series: run.series, marks };
}

/** Sum over servers of a rate series' counts in buckets [from, to), divided by servers × seconds. */
export function meanRatePerServer(run: SimRun, series: 'newConnsPerSec' | 'rebalancesPerSec', fromMs: number, toMs: number, servers: number): number {
  const r = run.recorder;
  const from = Math.ceil(fromMs / r.bucketMs);
  const to = Math.floor(toMs / r.bucketMs);
  if (to <= from) return NaN;
  let total = 0;
  for (let s = 0; s < servers; s++) total += r.total(series, s, from, to);
  return total / servers / (((to - from) * r.bucketMs) / 1000);
}

/** Minutes from `fromMs` to `atMs`, or null when `atMs` is NaN (the event never happened). */
export function minutesSince(atMs: number, fromMs: number): number | null {
  return Number.isNaN(atMs) ? null : (atMs - fromMs) / MIN;
}

/**
 * A fleet in equilibrium with `tuning`: agents start spread over one rebalance
 * interval, and measurements begin once every agent has rebalanced at least twice.
 */
export function equilibrium(
  p: { seed: number; agents: number; servers: number; durationMs: number },
  tuning: AgentTuning = BASE_TUNING,
): { intervalMs: number; warmupMs: number; config: SimConfig } {
  const c = constantsOf(tuning);
  const intervalMs = rebalanceIntervalMs(p.agents, p.servers, c);
  const warmupMs = Math.min(p.durationMs / 2, intervalMs + c.minReuseMs + intervalMs);
  const config: SimConfig = {
    seed: p.seed,
    agents: p.agents,
    servers: p.servers,
    durationMs: p.durationMs,
    warmupMs,
    startSpreadMs: intervalMs,
    tuning,
    changeIntervalMs: CHANGE_INTERVAL_MS,
  };
  return { intervalMs, warmupMs, config };
}

/**
 * The mean wait between two rebalances with `servers` counted by the cap:
 * E[max(U(minReuse, minReuse·(1 + 1/jitterFraction)), N/(servers·cap))].
 */
export function meanRebalanceDelayMs(agents: number, servers: number, c: RebalanceConstants, jitterCapped = false): number {
  const a = c.minReuseMs;
  const b = a * (1 + 1 / c.jitterFraction);
  const k = (1000 * agents) / (c.cap * Math.max(1, servers));
  if (k <= a) return (a + b) / 2;
  // A capped wait k is jittered to k + U(0, k / jitterFraction) unless the run is Consul's.
  if (k >= b) return jitterCapped ? k * (1 + 1 / (2 * c.jitterFraction)) : k;
  return ((k - a) / (b - a)) * k + ((b - k) / (b - a)) * ((b + k) / 2);
}
