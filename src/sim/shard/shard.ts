// One shard of a run: agents [first, first + count) of a SimConfig, each a real
// StateSyncer and ServerManager, on a heap clock of their own, with the run's server
// timeline applied to them. Every random draw is an agent's own, so an agent behaves
// the same in any shard; the result is integer cells and counters that merge exactly.
import { silentLogger, type Logger } from '../../shared/logger.js';
import { serverFor, defaultBucketMs, type SimConfig } from '../config.js';
import { Fleet } from '../fleet.js';
import { HeapClock } from '../heapClock.js';
import { Recorder, type RecorderData } from '../metrics.js';
import { Network } from '../network.js';
import type { FleetData } from '../stats.js';
import { Stream, StreamTable, streamRandom } from '../streams.js';
import { applyTimeline } from './applyTimeline.js';

export interface ShardRange {
  /** Run-wide index of the shard's first agent. */
  first: number;
  count: number;
}

/** What a shard sends back: every figure of the run's output is a sum (or max) over shards. */
export interface ShardResult {
  range: ShardRange;
  recorder: RecorderData;
  fleet: FleetData;
  /** Timers fired for this shard's agents (their machines, network replies, workload, spread timeline events). */
  agentEvents: number;
  /** Timers every shard fires alike (bucket samples, timeline events): counted once per run. */
  sharedEvents: number;
}

/** Live objects of an in-thread shard, for tests that look inside a run. */
export interface ShardContext {
  readonly config: SimConfig;
  readonly range: ShardRange;
  readonly clock: HeapClock;
  readonly fleet: Fleet;
  readonly network: Network;
  readonly recorder: Recorder;
  /** Runs `fn` at simulated time `atMs` (a shared timer: not counted as an agent's). */
  at(atMs: number, fn: () => void): void;
}

export interface ShardHooks {
  /** Roughly every `progressEvery` timers: simulated ms so far and timers fired. */
  onProgress?: (simMs: number, events: number) => void;
  progressEvery?: number;
  /** Called once everything is scheduled, before time starts (in-thread runs only). */
  probe?: (ctx: ShardContext) => void;
}

/** The one silent logger every agent shares (its children are itself: nothing is built per agent). */
export function simLogger(): Logger {
  return silentLogger();
}

/** Builds the shard, runs simulated time to the end and returns its cells and counters. */
export async function runShard(config: SimConfig, range: ShardRange, hooks: ShardHooks = {}): Promise<{ result: ShardResult; context: ShardContext }> {
  const { first, count } = range;
  const totalServers = config.servers + (config.extraServers ?? 0);
  const servers = Array.from({ length: totalServers }, (_, i) => serverFor(i));
  const clock = new HeapClock();
  const bucketMs = config.bucketMs ?? defaultBucketMs(config.durationMs);
  const recorder = new Recorder(
    servers.map((s) => s.name),
    bucketMs,
    config.durationMs,
  );
  const netStreams = new StreamTable(config.seed, Stream.agentNetwork, first, count);
  const network = new Network(clock, (agent) => netStreams.next(agent), servers, count, config.network);
  const n = config.agents;
  const fleet = new Fleet({
    agents: count,
    first,
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
  let sharedEvents = 0;
  const at = (atMs: number, fn: () => void): void =>
    void clock.setTimeout(() => {
      sharedEvents++;
      fn();
    }, atMs - clock.now());

  // Agents join with their initial servers (in an order of their own) and start at a time of their own.
  const workload = new StreamTable(config.seed, Stream.agentWorkload, first, count);
  const draw = (): number => workload.next(current);
  let current = 0;
  const everyInitial = Array.from({ length: config.servers }, (_, i) => i);
  const changeMs = config.changeIntervalMs ?? 0;
  const everyMs = config.changeEveryMs ?? 0;
  for (let i = 0; i < count; i++) {
    const global = first + i;
    current = i;
    const initial = config.initialServers?.find((r) => global >= r.agents.from && global < r.agents.to)?.servers ?? everyInitial;
    fleet.join(i, initial, draw);
    const startAt = Math.floor(workload.next(i) * config.startSpreadMs);
    clock.setTimeout(() => {
      fleet.start(i);
      // Local changes: a Poisson process of the agent's own, from its start on.
      if (changeMs > 0) {
        const next = (): void => {
          fleet.change(i);
          clock.setTimeout(next, -Math.log(1 - workload.next(i)) * changeMs);
        };
        clock.setTimeout(next, -Math.log(1 - workload.next(i)) * changeMs);
      }
    }, startAt);
    if (everyMs > 0) {
      const tick = (): void => {
        fleet.change(i);
        clock.setTimeout(tick, everyMs);
      };
      clock.setTimeout(tick, Math.floor(workload.next(i) * everyMs));
    }
  }

  // Bucket ends: sample agents per server and connection ages.
  for (let b = 0; b < recorder.buckets; b++) {
    const bucket = b;
    at(Math.min(config.durationMs, (b + 1) * bucketMs), () => recorder.sample(bucket, fleet.agentsOn, fleet.connectionAgeSumsUs()));
  }

  applyTimeline(config, { first, count, clock, fleet, network, at });
  const context: ShardContext = { config, range, clock, fleet, network, recorder, at };
  hooks.probe?.(context);

  const progress = hooks.onProgress;
  await clock.runUntil(config.durationMs, {
    ...(progress ? { onProgress: (c: HeapClock) => progress(c.now(), c.eventsProcessed), progressEvery: hooks.progressEvery ?? 20_000 } : {}),
  });
  progress?.(clock.now(), clock.eventsProcessed);
  return {
    result: {
      range,
      recorder: recorder.data(),
      fleet: fleet.data(),
      agentEvents: clock.eventsProcessed - sharedEvents,
      sharedEvents,
    },
    context,
  };
}
