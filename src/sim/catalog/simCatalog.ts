// The simulated catalog of one shard, server side: what each node has stored (entries
// held by the session they were written under), the sessions, the servers that refuse
// reads, and what every request costs the server that served it — lists, counts, puts,
// deletes and session ops per server per second, into the run's recorder. One store
// serves every server, as etcd's members replicate and MemoryCluster's servers share
// one store: a server that joins holds what the others hold.
import type { Service } from '../../catalog/backend.js';
import type { RateSeries, Recorder } from '../metrics.js';
import { OUTCOME_ERRORS, rpcError, SimRpcError, type Network } from '../network.js';
import { Stream, StreamTable } from '../streams.js';

/** The host's timer for a request's round trip: resolves `delayMs` from now, as the run's clock counts (an event of agent `agent`). */
export interface CatalogTransport {
  after(agent: number, delayMs: number): Promise<void>;
}

/** What a server answers when it refuses reads (the fault `refuseReads` sets): it answered, so the server is up. */
export const READ_REFUSED = new SimRpcError('server refuses reads');
/** A write under a session the servers no longer hold (etcd: lease not found). */
export const SESSION_GONE = new SimRpcError('session not found');

interface Stored {
  readonly service: Service;
  readonly session: number;
}

/** A simulated write: a put of a service under the caller's session, or a delete by id. */
export type SimWrite = { op: 'put'; service: Service } | { op: 'delete'; id: string };

export interface SimCatalogOptions {
  /** Run-wide index of local agent 0. */
  first: number;
  count: number;
  /** Run-wide agents: what a count of nodes answers (every node stays registered in the count). */
  totalAgents: number;
  seed: number;
  network: Network;
  recorder: Recorder;
  now: () => number;
  transport: CatalogTransport;
}

export class SimCatalog {
  readonly #stored: (Map<string, Stored> | undefined)[] = [];
  /** Per agent: its live session's number (0: none). */
  readonly #session: Int32Array;
  readonly #lost: ((() => void) | undefined)[] = [];
  #nextSession = 1;
  readonly #refusing: Uint8Array;
  /** Per agent: 1 once a full sync's read (its list) was refused. */
  readonly #refused: Uint8Array;
  /** Entries stored under live sessions, all agents of the shard. */
  #live = 0;
  /** Entries every agent of the shard holds when all are back (set by {@link expect}). */
  #target = -1;
  /** When the live entries last reached the target after a loss (NaN while some are missing). */
  allBackAt = Number.NaN;
  readsRefused = 0;
  agentsRefused = 0;
  readonly #draws: StreamTable;
  readonly #draw = (agent: number): number => this.#draws.next(agent);

  constructor(private readonly o: SimCatalogOptions) {
    this.#session = new Int32Array(o.count);
    this.#refusing = new Uint8Array(o.network.servers.length);
    this.#draws = new StreamTable(o.seed, Stream.agentCatalog, o.first, o.count);
    this.#refused = new Uint8Array(o.count);
  }

  /** The node name of local agent `i` (run-wide numbering, so names do not depend on the split). */
  node(i: number): string {
    return `agent-${this.o.first + i}`;
  }

  /** The shard holds `entriesPerAgent` entries per agent when every one is back. */
  expect(entriesPerAgent: number): void {
    this.#target = entriesPerAgent * this.o.count;
  }

  /** Server `server` refuses (or serves again) every read. */
  refuseReads(server: number, refusing: boolean): void {
    this.#refusing[server] = refusing ? 1 : 0;
  }

  /** Entries stored under agent `i`'s live session. */
  stored(i: number): number {
    let n = 0;
    const session = this.#session[i] as number;
    for (const s of this.#stored[i]?.values() ?? []) if (s.session === session && session !== 0) n++;
    return n;
  }

  /**
   * One request of `agent` to `server` through the network model (drawn now from the agent's
   * catalog stream): resolves at its round trip, or rejects with the network's error, or the
   * abort when `signal` aborted meanwhile — as the network's RPCs do.
   */
  async #request(agent: number, server: number, signal: AbortSignal): Promise<void> {
    const network = this.o.network;
    const delay = network.exchange(agent, server, network.rpcFailRate, this.#draw);
    const fault = OUTCOME_ERRORS[network.outcome];
    await this.o.transport.after(agent, delay);
    const error = rpcError(fault, signal);
    if (error !== undefined) throw error;
  }

  async list(agent: number, server: number, signal: AbortSignal): Promise<Service[]> {
    await this.#read(agent, server, signal, 'listsPerSec');
    const out: Service[] = [];
    for (const s of this.#stored[agent]?.values() ?? []) out.push(s.service);
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** A ping: true when the request reached a server that answered (ping failures are the network's). */
  ping(agent: number, server: number, signal: AbortSignal): Promise<boolean> {
    return this.#request(agent, server, signal).then(
      () => true,
      () => false,
    );
  }

  async countNodes(agent: number, server: number, signal: AbortSignal): Promise<number> {
    await this.#read(agent, server, signal, 'countsPerSec');
    return this.o.totalAgents;
  }

  /** Opens a session for `agent`; it replaces any earlier one (whose entries leave with it). */
  async openSession(agent: number, server: number, signal: AbortSignal): Promise<number> {
    await this.#request(agent, server, signal);
    this.#count('sessionOpsPerSec', server, 1);
    this.#drop(agent);
    const id = this.#nextSession++;
    this.#session[agent] = id;
    return id;
  }

  /** The agent's session `id` is revoked (its entries leave). No request: a revoke on close. */
  closeSession(agent: number, id: number): void {
    if (this.#session[agent] === id) this.#drop(agent);
  }

  /** Agent `agent` loses its session: the servers drop its entries and the agent hears of it. */
  loseSession(agent: number): void {
    if (this.#session[agent] === 0) return;
    const lost = this.#lost[agent];
    this.#drop(agent);
    lost?.();
  }

  /** `listener` hears when session `id` of `agent` is lost (one listener per agent: its registry's). */
  onLost(agent: number, id: number, listener: () => void): void {
    if (this.#session[agent] === id) this.#lost[agent] = listener;
  }

  /**
   * Applies `ops` in one request, all or none: each op counts as one write at the server.
   * Puts need `session` to be the agent's live one (etcd: the lease must exist); deletes need none.
   */
  async write(agent: number, server: number, ops: readonly SimWrite[], session: number, signal: AbortSignal): Promise<void> {
    await this.#request(agent, server, signal);
    if (this.#session[agent] !== session && ops.some((op) => op.op === 'put')) throw SESSION_GONE;
    let map = this.#stored[agent];
    if (map === undefined) this.#stored[agent] = map = new Map();
    let puts = 0;
    for (const op of ops) {
      const old = map.get(op.op === 'put' ? op.service.id : op.id);
      if (old !== undefined && old.session === session) this.#live--;
      if (op.op === 'put') {
        map.set(op.service.id, { service: op.service, session });
        this.#live++;
        puts++;
      } else map.delete(op.id);
    }
    this.#count('putsPerSec', server, puts);
    this.#count('deletesPerSec', server, ops.length - puts);
    if (this.#live === this.#target && Number.isNaN(this.allBackAt)) this.allBackAt = this.o.now();
  }

  async #read(agent: number, server: number, signal: AbortSignal, series: RateSeries): Promise<void> {
    await this.#request(agent, server, signal);
    if (this.#refusing[server] === 1) {
      this.readsRefused++;
      if (series === 'listsPerSec' && this.#refused[agent] === 0) {
        this.#refused[agent] = 1;
        this.agentsRefused++;
      }
      throw READ_REFUSED;
    }
    this.#count(series, server, 1);
  }

  #count(series: RateSeries, server: number, ops: number): void {
    if (ops > 0) this.o.recorder.count(series, server, this.o.now(), ops);
  }

  /** The agent's session and every entry held by it leave the store. */
  #drop(agent: number): void {
    const session = this.#session[agent] as number;
    if (session === 0) return;
    const map = this.#stored[agent];
    if (map !== undefined) {
      for (const [id, s] of map) {
        if (s.session !== session) continue;
        map.delete(id);
        this.#live--;
      }
    }
    this.#session[agent] = 0;
    this.#lost[agent] = undefined;
    if (this.#target >= 0) this.allBackAt = Number.NaN;
  }
}
