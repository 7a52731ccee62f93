// One simulation run: a SimConfig (plain data: fleet, servers, workload, server
// timeline) run either in this thread or split over worker threads, merged in agent
// order into the same series and statistics whatever the split. No real-time waits:
// only the heap clocks move time.
import { availableParallelism } from 'node:os';
import type { SimConfig } from './config.js';
import type { Recorder, SeriesReport } from './metrics.js';
import { mergeShards } from './shard/merge.js';
import { runWorkers, type WorkerStats } from './shard/pool.js';
import { runShard, type ShardContext, type SimEngine } from './shard/shard.js';
import type { FleetTotals } from './stats.js';

export type { SimConfig } from './config.js';
export { defaultBucketMs, serverFor } from './config.js';
export { simLogger, type ShardContext, type SimEngine } from './shard/shard.js';

export interface SimSummary {
  events: number;
  fullSyncs: number;
  partialSyncs: number;
  rebalances: number;
  newConnections: number;
}

export interface SimRun {
  config: SimConfig;
  series: SeriesReport;
  summary: SimSummary;
  /** The merged recorder (for totals and peaks over bucket ranges). */
  recorder: Recorder;
  /** Fleet-wide statistics: gaps, lifetimes, lags, the rebalance and full-sync marks. */
  fleet: FleetTotals;
  /** Per worker: its agents and heap peak (empty for an in-thread run). Not part of any report. */
  workers: WorkerStats[];
}

export interface SimOptions {
  /**
   * Worker threads to split the agents over; 0 runs everything in this thread.
   * Results are byte-identical for any value. Defaults to 0.
   */
  workers?: number;
  /** resourceLimits.maxOldGenerationSizeMb of each worker (MB). */
  workerHeapMb?: number;
  /** Progress: the least simulated ms any worker has reached, the total, and timers fired in all. */
  onProgress?: (simMs: number, totalMs: number, events: number) => void;
  /** A worker silent this long fails the run (ms). Defaults to 10 min. */
  stallMs?: number;
  /**
   * How agents run: `'events'` (default) advances every agent's machines by their
   * transition functions on one event queue; `'actors'` runs a StateSyncer and a
   * ServerManager per agent, as embedded users do — the reference the event engine is
   * checked against. Results are byte-identical for either.
   */
  engine?: SimEngine;
  /** In-thread runs of the actor engine only: sees the live shard before time starts (tests that look inside a run). */
  probe?: (ctx: ShardContext) => void;
}

/** The default worker count: one per core. */
export function defaultWorkers(): number {
  return availableParallelism();
}

export async function simulate(config: SimConfig, options: SimOptions = {}): Promise<SimRun> {
  const workers = options.workers ?? 0;
  if (!Number.isInteger(workers) || workers < 0) throw new RangeError(`workers must be an integer ≥ 0, received ${workers}`);
  if (workers > 0 && options.probe) throw new RangeError('probe needs an in-thread run (workers: 0)');
  const engine = options.engine ?? (options.probe ? 'actors' : 'events');
  if (engine !== 'events' && engine !== 'actors') throw new RangeError(`engine must be 'events' or 'actors', received ${String(engine)}`);
  const entries = config.entries ?? 0;
  if (!Number.isInteger(entries) || entries < 0) throw new RangeError(`entries must be an integer ≥ 0, received ${String(config.entries)}`);
  const progress = options.onProgress;
  const onProgress = progress ? (simMs: number, events: number) => progress(simMs, config.durationMs, events) : undefined;
  let shards;
  let stats: WorkerStats[] = [];
  if (workers === 0) {
    const { result } = await runShard(config, { first: 0, count: config.agents }, {
      ...(onProgress ? { onProgress } : {}),
      ...(options.probe ? { probe: options.probe } : {}),
    }, engine);
    shards = [result];
  } else {
    const out = await runWorkers(config, {
      workers,
      engine,
      ...(options.workerHeapMb !== undefined ? { workerHeapMb: options.workerHeapMb } : {}),
      ...(options.stallMs !== undefined ? { stallMs: options.stallMs } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
    shards = out.results;
    stats = out.stats;
  }
  const merged = mergeShards(config, shards);
  const f = merged.fleet;
  return {
    config,
    series: merged.recorder.report(),
    summary: { events: merged.events, fullSyncs: f.fullSyncs, partialSyncs: f.partialSyncs, rebalances: f.rebalances, newConnections: f.newConnections },
    recorder: merged.recorder,
    fleet: f,
    workers: stats,
  };
}
