// What a run does to a fleet's agents, whichever engine hosts them: the workload (join
// with initial servers, start, local changes) and the per-agent timeline operations.
// The actor fleet and the event engine's fleet both implement it, and one Workload
// draws every agent's start time, server order and change times for both, from the
// agent's own workload stream, in the same order.
import type { MembershipEvent } from '../servers/types.js';
import type { SimConfig } from './config.js';
import type { FleetLedger } from './ledger.js';
import { Stream, StreamTable } from './streams.js';

export interface FleetDriver extends FleetLedger {
  /** Gives local agent `i` its initial servers (in an order shuffled by `shuffle`, if given), then wires its events. */
  join(i: number, servers: readonly number[], shuffle?: () => number): void;
  /** Starts the agent's manager, then its syncer. */
  start(i: number): void;
  /** A local change: ask for a partial sync (ignored before start). */
  change(i: number): void;
  addServer(i: number, server: number): void;
  removeServer(i: number, server: number): void;
  membership(i: number, type: MembershipEvent['type'], server: number): void;
  /** Runs with entries: the servers drop local agent `i`'s session and entries; its registry hears of it. */
  loseSession(i: number): void;
  /** Runs with entries: server `server` refuses (or serves again) every catalog read. */
  refuseReads(server: number, refusing: boolean): void;
}

/** The workload's draws for the agents of one shard: every call draws from local agent `i`'s own stream. */
export class Workload {
  readonly #streams: StreamTable;
  readonly changeMs: number;
  readonly everyMs: number;
  readonly #startSpreadMs: number;
  readonly #initial: readonly number[];

  constructor(
    private readonly config: SimConfig,
    private readonly first: number,
    count: number,
  ) {
    this.#streams = new StreamTable(config.seed, Stream.agentWorkload, first, count);
    this.changeMs = config.changeIntervalMs ?? 0;
    this.everyMs = config.changeEveryMs ?? 0;
    this.#startSpreadMs = config.startSpreadMs;
    this.#initial = Array.from({ length: config.servers }, (_, s) => s);
  }

  /** The initial servers of local agent `i`. */
  initialServers(i: number): readonly number[] {
    const global = this.first + i;
    return this.config.initialServers?.find((r) => global >= r.agents.from && global < r.agents.to)?.servers ?? this.#initial;
  }

  /** Agent `i`'s draw (for the order of its initial servers). */
  draw(i: number): number {
    return this.#streams.next(i);
  }

  /** When agent `i` starts, ms (whole). */
  startAt(i: number): number {
    return Math.floor(this.#streams.next(i) * this.#startSpreadMs);
  }

  /** The wait to agent `i`'s next local change: its own Poisson process. */
  nextChangeMs(i: number): number {
    return -Math.log(1 - this.#streams.next(i)) * this.changeMs;
  }

  /** The phase of agent `i`'s periodic change, in [0, everyMs). */
  tickPhaseMs(i: number): number {
    return Math.floor(this.#streams.next(i) * this.everyMs);
  }
}
