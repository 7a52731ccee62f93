// One simulation run: builds the heap clock, the network and the fleet, lets a
// scenario schedule its events, runs simulated time to the end and returns the
// recorded series. No real-time waits: only the heap clock moves time.
import { pino } from 'pino';
import type { Logger } from '../shared/logger.js';
import type { Server } from '../servers/types.js';
import { HeapClock } from './heapClock.js';
import { Recorder, type SeriesReport } from './metrics.js';
import { Network, type NetworkOptions } from './network.js';
import { Fleet, type AgentTuning } from './fleet.js';
import { Stream, streamRandom } from './streams.js';

export interface SimConfig {
  seed: number;
  agents: number;
  /** Servers present from the start (indices 0..servers-1). */
  servers: number;
  /** Servers that exist but join later (indices servers..servers+extraServers-1). */
  extraServers?: number;
  durationMs: number;
  /** Width of a time-series bucket. Defaults to max(1 s, duration / 720). */
  bucketMs?: number;
  /** Measurements (gaps, lifetimes, lags) start here. */
  warmupMs: number;
  /** Agents start uniformly over [0, startSpreadMs). */
  startSpreadMs: number;
  /** Initial servers of an agent (indices). Defaults to all initial servers. */
  initialServers?: (agent: number) => readonly number[];
  tuning: AgentTuning;
  network?: NetworkOptions;
  /** Mean time between local changes of one agent (Poisson, fleet-wide). 0 or absent: no changes. */
  changeIntervalMs?: number;
  /** See FleetOptions.agentsPerClock. Defaults to all agents on one clock view. */
  agentsPerClock?: number;
}

/** What a scenario can do while the simulation runs. */
export interface SimContext {
  readonly config: SimConfig;
  readonly clock: HeapClock;
  readonly fleet: Fleet;
  readonly network: Network;
  readonly recorder: Recorder;
  /** The scenario's own random stream. */
  readonly random: () => number;
  /** Runs `fn` at simulated time `atMs`. */
  at(atMs: number, fn: () => void): void;
  /** Called after every series sample (bucket end), with the bucket just closed. */
  onSample(fn: (bucket: number) => void): void;
}

export interface SimSummary {
  events: number;
  fullSyncs: number;
  partialSyncs: number;
  rebalances: number;
  newConnections: number;
}

export interface SimRun {
  context: SimContext;
  series: SeriesReport;
  summary: SimSummary;
}

export interface RunHooks {
  /** Progress, for a progress bar: simulated ms so far, total, timers fired. */
  onProgress?: (simMs: number, totalMs: number, events: number) => void;
}

let sharedLogger: Logger | undefined;
/** One silent pino logger for every agent of every run (the syncer builds children lazily, on first log). */
export function simLogger(): Logger {
  return (sharedLogger ??= pino({ level: 'silent' }));
}

export function serverFor(index: number): Server {
  return { name: `s${index}`, address: `10.0.0.${index + 1}:8300` };
}

export function defaultBucketMs(durationMs: number): number {
  return Math.max(1000, Math.ceil(durationMs / 720 / 1000) * 1000);
}

/** Builds a run; `setup` schedules the scenario's events before time starts. */
export async function simulate(config: SimConfig, setup: (ctx: SimContext) => void, hooks: RunHooks = {}): Promise<SimRun> {
  const totalServers = config.servers + (config.extraServers ?? 0);
  const servers = Array.from({ length: totalServers }, (_, i) => serverFor(i));
  const clock = new HeapClock();
  const bucketMs = config.bucketMs ?? defaultBucketMs(config.durationMs);
  const recorder = new Recorder(
    servers.map((s) => s.name),
    bucketMs,
    config.durationMs,
  );
  const network = new Network(clock, streamRandom(config.seed, Stream.network), servers, config.agents, config.network);
  const n = config.agents;
  const fleet = new Fleet({
    agents: n,
    clock,
    network,
    recorder,
    logger: simLogger(),
    tuning: config.tuning,
    agentRandom: (i) => streamRandom(config.seed, Stream.agent, i),
    clusterSize: () => n,
    warmupMs: config.warmupMs,
    ...(config.agentsPerClock !== undefined ? { agentsPerClock: config.agentsPerClock } : {}),
  });
  const samplers: ((bucket: number) => void)[] = [];
  const context: SimContext = {
    config,
    clock,
    fleet,
    network,
    recorder,
    random: streamRandom(config.seed, Stream.scenario),
    at: (atMs, fn) => void clock.setTimeout(fn, atMs - clock.now()),
    onSample: (fn) => void samplers.push(fn),
  };

  // Agents join with their initial servers (in an order of their own) and start spread out.
  const workload = streamRandom(config.seed, Stream.workload);
  const everyInitial = Array.from({ length: config.servers }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    fleet.join(i, config.initialServers?.(i) ?? everyInitial, workload);
    const startAt = Math.floor(workload() * config.startSpreadMs);
    clock.setTimeout(() => fleet.start(i), startAt);
  }

  // Local changes: one Poisson process for the whole fleet, each event on a random agent.
  const changeMs = config.changeIntervalMs ?? 0;
  if (changeMs > 0) {
    const meanGapMs = changeMs / n;
    const next = (): void => {
      fleet.change(Math.floor(workload() * n));
      clock.setTimeout(next, -Math.log(1 - workload()) * meanGapMs);
    };
    clock.setTimeout(next, -Math.log(1 - workload()) * meanGapMs);
  }

  // Bucket ends: sample agents per server and connection ages.
  for (let b = 0; b < recorder.buckets; b++) {
    const bucket = b;
    clock.setTimeout(
      () => {
        recorder.sample(bucket, fleet.agentsOn, fleet.connectionAgeSums());
        for (const fn of samplers) fn(bucket);
      },
      Math.min(config.durationMs, (b + 1) * bucketMs),
    );
  }

  setup(context);

  const progress = hooks.onProgress;
  await clock.runUntil(config.durationMs, {
    ...(progress
      ? { onProgress: (c: HeapClock) => progress(c.now(), config.durationMs, c.eventsProcessed), progressEvery: 20_000 }
      : {}),
  });
  progress?.(clock.now(), config.durationMs, clock.eventsProcessed);

  return {
    context,
    series: recorder.report(),
    summary: {
      events: clock.eventsProcessed,
      fullSyncs: fleet.fullSyncs,
      partialSyncs: fleet.partialSyncs,
      rebalances: fleet.rebalances,
      newConnections: fleet.newConnections,
    },
  };
}
