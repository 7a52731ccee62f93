// What one simulation run is, as plain data (it is sent to every worker): fleet size,
// servers, duration, tuning, network, workload and the server timeline. Nothing in it
// is a function, so every worker builds the same run from it.
import type { Server } from '../servers/types.js';
import type { AgentTuning } from './agent.js';
import type { NetworkOptions } from './network.js';
import type { AgentRange, TimelineEvent } from './timeline.js';

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
  /** Each agent starts at a time of its own, uniform over [0, startSpreadMs). */
  startSpreadMs: number;
  /** Initial servers of the agents in a range; the first entry that covers an agent wins. Others get every initial server. */
  initialServers?: readonly { agents: AgentRange; servers: readonly number[] }[];
  tuning: AgentTuning;
  network?: NetworkOptions;
  /** Mean time between local changes of one agent (a Poisson process per agent, from its start). 0 or absent: none. */
  changeIntervalMs?: number;
  /** A local change on every agent every `changeEveryMs`, from a phase of its own in [0, changeEveryMs). 0 or absent: none. */
  changeEveryMs?: number;
  /**
   * Services each agent keeps registered in the simulated catalog: a real ServiceRegistry per
   * agent (sessions, full syncs that list and repair, partial syncs that write changes, read
   * retry, the write cap), and what each server serves per second. A local change puts one
   * service. 0 or absent: no catalog, a sync is one RPC.
   */
  entries?: number;
  /** The server timeline, applied identically by every worker. */
  timeline?: readonly TimelineEvent[];
  /** See FleetOptions.agentsPerClock. Defaults to all of a worker's agents on one clock view. */
  agentsPerClock?: number;
}

/** Server `index` of a run. Frozen: a manager keeps a frozen server as it is instead of copying it, so agents share one each. */
export function serverFor(index: number): Server {
  return Object.freeze({ name: `s${index}`, address: `10.0.0.${index + 1}:8300` });
}

export function defaultBucketMs(durationMs: number): number {
  return Math.max(1000, Math.ceil(durationMs / 720 / 1000) * 1000);
}
