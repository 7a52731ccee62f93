// One shard of a run: agents [first, first + count) of a SimConfig, on the event engine
// (one queue driving every agent's machines) or the actor engine (a real StateSyncer and
// ServerManager per agent on a heap clock), with the run's server timeline applied to them. Every random draw is an agent's own, so an agent behaves
// the same in any shard; the result is integer cells and counters that merge exactly.
import { silentLogger, type Logger } from '../../shared/logger.js';
import { serverFor, defaultBucketMs, type SimConfig } from '../config.js';
import { Fleet } from '../fleet.js';
import { HeapClock } from '../heapClock.js';
import type { InstantGuard } from '../instantGuard.js';
import { Recorder, type RecorderData } from '../metrics.js';
import { Network } from '../network.js';
import type { FleetData } from '../stats.js';
import { Stream, StreamTable, streamRandom } from '../streams.js';
import { Workload, type FleetDriver } from '../driver.js';
import { EngineFleet, HOST_EVENT_BASE } from '../engine/engineFleet.js';
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
  /** The bounds on one instant's work (in-thread runs only); defaults to a new InstantGuard. */
  guard?: InstantGuard;
}

/** The one silent logger every agent shares (its children are itself: nothing is built per agent). */
export function simLogger(): Logger {
  return silentLogger();
}

/** How a shard runs its agents: the event engine (machines advanced by their transition functions), or an actor per machine. */
export type SimEngine = 'events' | 'actors';

/** Builds the shard, runs simulated time to the end and returns its cells and counters. */
export async function runShard(config: SimConfig, range: ShardRange, hooks: ShardHooks = {}, engine: SimEngine = 'events'): Promise<{ result: ShardResult; context?: ShardContext }> {
  if (engine === 'events') {
    if (hooks.probe) throw new RangeError('probe needs the actor engine');
    return { result: await runEngineShard(config, range, hooks) };
  }
  return runActorShard(config, range, hooks);
}

/** What the run's workload and timeline act through: the fleet, and two ways to schedule. */
export interface ShardScheduler {
  /** Runs `fn(i)` for local agent `i` after `delayMs` (an agent's event). `fn` is shared by many agents. */
  agent(delayMs: number, i: number, fn: (i: number) => void): void;
  /** Runs `fn` at simulated time `atMs` (a shared event: every shard sets it alike). */
  at(atMs: number, fn: () => void): void;
}

/** Joins, schedules and starts every agent of the shard, the bucket samples and the timeline. */
function schedule(config: SimConfig, range: ShardRange, fleet: FleetDriver, network: Network, recorder: Recorder, bucketMs: number, sched: ShardScheduler): void {
  const { first, count } = range;
  // Agents join with their initial servers (in an order of their own) and start at a time of their own.
  const workload = new Workload(config, first, count);
  let current = 0;
  const draw = (): number => workload.draw(current);
  const { changeMs, everyMs } = workload;
  // Local changes: a Poisson process of the agent's own, from its start on.
  const onChange = (i: number): void => {
    fleet.change(i);
    sched.agent(workload.nextChangeMs(i), i, onChange);
  };
  const onStart = (i: number): void => {
    fleet.start(i);
    if (changeMs > 0) sched.agent(workload.nextChangeMs(i), i, onChange);
  };
  const onTick = (i: number): void => {
    fleet.change(i);
    sched.agent(everyMs, i, onTick);
  };
  for (let i = 0; i < count; i++) {
    current = i;
    fleet.join(i, workload.initialServers(i), draw);
    sched.agent(workload.startAt(i), i, onStart);
    if (everyMs > 0) sched.agent(workload.tickPhaseMs(i), i, onTick);
  }
  // Bucket ends: sample agents per server and connection ages.
  for (let b = 0; b < recorder.buckets; b++) {
    const bucket = b;
    sched.at(Math.min(config.durationMs, (b + 1) * bucketMs), () => recorder.sample(bucket, fleet.agentsOn, fleet.connectionAgeSumsUs()));
  }
  applyTimeline(config, { first, count, fleet, network, at: (atMs, fn) => sched.at(atMs, fn), agent: (delayMs, i, fn) => sched.agent(delayMs, i, fn) });
}

function shardParts(config: SimConfig, range: ShardRange) {
  const totalServers = config.servers + (config.extraServers ?? 0);
  const servers = Array.from({ length: totalServers }, (_, i) => serverFor(i));
  const bucketMs = config.bucketMs ?? defaultBucketMs(config.durationMs);
  const recorder = new Recorder(
    servers.map((s) => s.name),
    bucketMs,
    config.durationMs,
  );
  const netStreams = new StreamTable(config.seed, Stream.agentNetwork, range.first, range.count);
  return { servers, bucketMs, recorder, netRandom: (agent: number) => netStreams.next(agent) };
}

const HOST_START = HOST_EVENT_BASE;
const HOST_SHARED = HOST_EVENT_BASE + 1;

/** The event engine's shard: one queue for every agent's machines, replies and workload. */
async function runEngineShard(config: SimConfig, range: ShardRange, hooks: ShardHooks): Promise<ShardResult> {
  const { servers, bucketMs, recorder, netRandom } = shardParts(config, range);
  const noTimers = { setTimeout: (): never => { throw new Error('the event engine sets no timers on a clock'); } };
  const network = new Network(noTimers, netRandom, servers, range.count, config.network);
  const agentFns: ((i: number) => void)[] = [];
  const fnIndex = new Map<(i: number) => void, number>();
  const shared: (() => void)[] = [];
  let sharedEvents = 0;
  const fleet: EngineFleet = new EngineFleet({
    agents: range.count,
    first: range.first,
    seed: config.seed,
    network,
    recorder,
    logger: simLogger(),
    tuning: config.tuning,
    clusterSize: config.agents,
    warmupMs: config.warmupMs,
    ...(config.entries !== undefined ? { entries: config.entries } : {}),
    onEvent: (e) => {
      if (e.kind === HOST_SHARED) {
        sharedEvents++;
        (shared[e.arg] as () => void)();
      } else (agentFns[e.arg] as (i: number) => void)(e.agent);
    },
  });
  const queue = fleet.queue;
  const sched: ShardScheduler = {
    agent: (delayMs, i, fn) => {
      let k = fnIndex.get(fn);
      if (k === undefined) {
        k = agentFns.length;
        agentFns.push(fn);
        fnIndex.set(fn, k);
      }
      queue.push(fleet.now() + (delayMs > 0 ? delayMs : 0), i, HOST_START, k);
    },
    at: (atMs, fn) => {
      shared.push(fn);
      const now = fleet.now();
      queue.push(atMs > now ? atMs : now, -1, HOST_SHARED, shared.length - 1);
    },
  };
  schedule(config, range, fleet, network, recorder, bucketMs, sched);
  const progress = hooks.onProgress;
  await fleet.run(config.durationMs, progress ? () => progress(fleet.now(), fleet.events) : undefined, hooks.progressEvery ?? 20_000, hooks.guard);
  progress?.(fleet.now(), fleet.events);
  return { range, recorder: recorder.data(), fleet: fleet.data(), agentEvents: fleet.events - sharedEvents, sharedEvents };
}

/** The actor engine's shard: a StateSyncer and a ServerManager per agent on a heap clock. */
async function runActorShard(config: SimConfig, range: ShardRange, hooks: ShardHooks): Promise<{ result: ShardResult; context: ShardContext }> {
  const { first, count } = range;
  const { servers, bucketMs, recorder, netRandom } = shardParts(config, range);
  const clock = new HeapClock();
  const network = new Network(clock, netRandom, servers, count, config.network);
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
    ...(config.entries !== undefined ? { entries: config.entries, totalAgents: n, seed: config.seed } : {}),
  });
  let sharedEvents = 0;
  const at = (atMs: number, fn: () => void): void =>
    void clock.setTimeout(() => {
      sharedEvents++;
      fn();
    }, atMs - clock.now());
  schedule(config, range, fleet, network, recorder, bucketMs, {
    agent: (delayMs, i, fn) => void clock.setTimeout(() => fn(i), delayMs),
    at,
  });
  const context: ShardContext = { config, range, clock, fleet, network, recorder, at };
  hooks.probe?.(context);

  const progress = hooks.onProgress;
  await clock.runUntil(config.durationMs, {
    ...(hooks.guard ? { guard: hooks.guard } : {}),
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
