// The simulated network between agents and servers: round-trip latency, random
// ping/RPC failures, servers that are down, and partitions between groups of
// agents and sets of servers. Every reply arrives through the heap clock; every
// random draw comes from the requesting agent's own stream.
import type { Server } from '../servers/types.js';
import type { HeapClock } from './heapClock.js';

/** Network parameters. All times in simulated milliseconds. */
export interface NetworkOptions {
  /** Fixed part of a round trip. Defaults to 2 ms. */
  baseRttMs?: number;
  /** Random extra part of a round trip, uniform in [0, jitterMs). Defaults to 8 ms. */
  jitterMs?: number;
  /** Probability that a ping to a healthy, reachable server fails anyway. Defaults to 0.001. */
  pingFailRate?: number;
  /** Probability that an RPC to a healthy, reachable server fails anyway. Defaults to 0.001. */
  rpcFailRate?: number;
  /** How long a request to an unreachable (partitioned) server takes to fail. Defaults to 2 000 ms. */
  unreachableMs?: number;
}

/** The failure every simulated RPC rejects with (shared: failures are frequent). */
export class SimRpcError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimRpcError';
  }
}

const ABORTED = new SimRpcError('aborted');

/**
 * How an RPC settles at its round trip: the outcome's error, else the abort when the
 * caller's signal aborted meanwhile, else undefined (it succeeded). One rule for every
 * host of an RPC ({@link Network.rpc} on a clock, the event engine on its queue).
 */
export function rpcError(fault: SimRpcError | undefined, signal: AbortSignal | undefined): SimRpcError | undefined {
  return fault ?? (signal?.aborted === true ? ABORTED : undefined);
}

/** What a request finds ({@link Network.exchange}). */
export const OK = 0;
export const UNREACHABLE_OUTCOME = 1;
export const DOWN_OUTCOME = 2;
export const FLAKY_OUTCOME = 3;
/** The error an RPC rejects with, per outcome (undefined: none). */
export const OUTCOME_ERRORS: readonly (SimRpcError | undefined)[] = [
  undefined,
  new SimRpcError('server unreachable'),
  new SimRpcError('server down'),
  new SimRpcError('rpc failed'),
];

/**
 * Servers are numbered 0..servers-1 (`serverIndex`); agents (numbered 0..agents-1
 * within this network) belong to partition group 0 unless `setGroup` says otherwise;
 * `block(group, server)` cuts the link. `random(agent)` draws from that agent's stream.
 */
export class Network {
  readonly baseRttMs: number;
  readonly jitterMs: number;
  readonly pingFailRate: number;
  readonly rpcFailRate: number;
  readonly unreachableMs: number;
  private readonly up: Uint8Array;
  private readonly group: Uint8Array;
  private readonly blocked: Uint8Array;
  private readonly byName = new Map<string, number>();
  private static readonly GROUPS = 256;

  constructor(
    private readonly clock: Pick<HeapClock, 'setTimeout'>,
    private readonly random: (agent: number) => number,
    readonly servers: readonly Server[],
    agents: number,
    options: NetworkOptions = {},
  ) {
    this.baseRttMs = options.baseRttMs ?? 2;
    this.jitterMs = options.jitterMs ?? 8;
    this.pingFailRate = options.pingFailRate ?? 0.001;
    this.rpcFailRate = options.rpcFailRate ?? 0.001;
    this.unreachableMs = options.unreachableMs ?? 2_000;
    this.up = new Uint8Array(servers.length).fill(1);
    this.group = new Uint8Array(agents);
    this.blocked = new Uint8Array(Network.GROUPS * servers.length);
    servers.forEach((s, i) => this.byName.set(s.name, i));
  }

  /** Index of `server` (by name), or -1 for a server the simulation does not know. */
  serverIndex(server: Server): number {
    return this.byName.get(server.name) ?? -1;
  }

  setUp(server: number, up: boolean): void {
    this.up[server] = up ? 1 : 0;
  }

  isUp(server: number): boolean {
    return this.up[server] === 1;
  }

  setGroup(agent: number, group: number): void {
    this.group[agent] = group;
  }

  /** Cuts (or restores) every link between agents of `group` and `server`. */
  block(group: number, server: number, blocked = true): void {
    this.blocked[group * this.servers.length + server] = blocked ? 1 : 0;
  }

  /** The partition group of `agent`. */
  groupOf(agent: number): number {
    return this.group[agent] as number;
  }

  /** Restores every link. */
  healAll(): void {
    this.blocked.fill(0);
  }

  /**
   * One request from `agent` to server `server` (-1: unknown), drawn now from the agent's
   * stream: returns its round trip in ms and sets {@link outcome} to what it will find
   * (OK, UNREACHABLE, DOWN or FLAKY). Unreachable takes `unreachableMs`. Both engines
   * call this, so they draw alike; `ping` and `rpc` wrap it in a timer and a promise.
   * `random` (default: the agent's network stream) is where the draws come from.
   */
  exchange(agent: number, server: number, failRate: number, random: (agent: number) => number = this.random): number {
    if (server < 0 || this.blocked[(this.group[agent] as number) * this.servers.length + server] === 1) {
      this.outcome = UNREACHABLE_OUTCOME;
      return this.unreachableMs;
    }
    if (this.up[server] !== 1) this.outcome = DOWN_OUTCOME;
    else if (failRate > 0 && random(agent) < failRate) this.outcome = FLAKY_OUTCOME;
    else this.outcome = OK;
    return this.baseRttMs + (this.jitterMs > 0 ? Math.floor(random(agent) * this.jitterMs) : 0);
  }

  /** What the last {@link exchange} will find: {@link OK} or why it fails. */
  outcome = OK;

  /** A ping: true after one round trip; false when the server is down, flaky or aborted; unreachable takes `unreachableMs`. */
  ping(agent: number, server: Server, signal?: AbortSignal): Promise<boolean> {
    const delay = this.exchange(agent, this.serverIndex(server), this.pingFailRate);
    const outcome = this.outcome;
    return new Promise<boolean>((resolve) => {
      this.clock.setTimeout(() => resolve(outcome === OK && signal?.aborted !== true), delay);
    });
  }

  /**
   * An RPC from `agent` to server `index`: resolves after a round trip, rejects with a
   * {@link SimRpcError} when the server is down, unreachable, flaky, or `signal` was aborted.
   */
  rpc(agent: number, index: number, signal?: AbortSignal): Promise<void> {
    const delay = this.exchange(agent, index, this.rpcFailRate);
    const fault = OUTCOME_ERRORS[this.outcome];
    return new Promise<void>((resolve, reject) => {
      this.clock.setTimeout(() => {
        const error = rpcError(fault, signal);
        if (error !== undefined) reject(error);
        else resolve();
      }, delay);
    });
  }
}
