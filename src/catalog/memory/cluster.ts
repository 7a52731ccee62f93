// The embedded catalog cluster: a few named in-process servers sharing one store,
// implementing CatalogBackend, with latency, faults and leader failovers on an
// injected clock. It backs the demo and the fast scenario tests, and the simulator.
import type { CatalogBackend, CatalogClient, Check, MembershipEvent, NodeInfo, NodeSession, Service } from '../backend.js';
import type { Pinger, Server } from '../../servers/types.js';
import { type Clock, systemClock, clockNow } from '../../shared/clock.js';
import { TypedEmitter } from '../../shared/emitter.js';
import { type Logger, checkLogger, componentLogger } from '../../shared/logger.js';
import { describeValue, durationMs, positiveNumber, renamedOption } from '../../shared/options.js';
import { MemoryConnection } from './connection.js';
import { MemoryNetwork } from './network.js';
import { MemoryServers } from './servers.js';
import { SessionTable } from './sessionTable.js';
import { EntryStore } from './store.js';
import { copyService, type MemoryClusterEvents, type MemoryClusterOptions, type MemoryOp, type ServerStatus } from './types.js';


const DEFAULT_SESSION_GRACE = 2;
/** etcd's default `--max-request-bytes`. */
const DEFAULT_MAX_ENTRY_BYTES = 1.5 * 1024 * 1024;

function serverName(server: string | Server): string {
  return typeof server === 'string' ? server : server.name;
}

function serverList(value: MemoryClusterOptions['servers']): readonly string[] {
  if (value === undefined) return ['mem-1', 'mem-2', 'mem-3'];
  if (typeof value === 'number') {
    const count = positiveNumber('servers', value);
    if (!Number.isInteger(count)) throw new RangeError(`servers must be an integer ≥ 1, received ${describeValue(value)}`);
    return Array.from({ length: count }, (_, i) => `mem-${i + 1}`);
  }
  if (!Array.isArray(value)) throw new TypeError(`servers must be a number or an array of names, received ${describeValue(value)}`);
  return value as readonly string[];
}

/**
 * An in-process catalog cluster. The cluster itself is a CatalogBackend (connections
 * from "anywhere"); `connect(agent)` returns a backend for one agent that
 * `partition(agent)` can cut off without touching the others.
 */
/**
 * An in-process catalog cluster. The cluster itself is a CatalogBackend (connections
 * from "anywhere"); `connect(agent)` returns a backend for one agent that
 * `partition(agent)` can cut off without touching the others.
 */
export class MemoryCluster extends TypedEmitter<MemoryClusterEvents> implements CatalogBackend {
  readonly clock: Clock;
  readonly #log: Logger;
  readonly #servers: MemoryServers;
  readonly #watchers = new Set<(event: MembershipEvent) => void>();
  readonly #connection: MemoryConnection;
  #closed = false;
  /** A batch of any size is one operation. */
  readonly maxBatchOps = Infinity;

  constructor(options: MemoryClusterOptions = {}) {
    super((event, err) => this.#log.warn({ event, err }, 'listener failed'));
    this.clock = options.clock ?? systemClock;
    this.#log = componentLogger(checkLogger('logger', options.logger), 'memoryCluster');
    const given = renamedOption(options, 'latency', 'latencyMs');
    const fixed = given.value ?? 0;
    let latency: (op: MemoryOp, server: string) => number;
    if (typeof fixed === 'function') latency = fixed as (op: MemoryOp, server: string) => number;
    else {
      const ms = durationMs(given.name, fixed, 0, { allowZero: true });
      latency = () => ms;
    }
    const grace = options.sessionGrace === undefined ? DEFAULT_SESSION_GRACE : positiveNumber('sessionGrace', options.sessionGrace);
    if (grace < 1) throw new RangeError(`sessionGrace must be a number ≥ 1 (a multiple of the TTL), received ${describeValue(options.sessionGrace)}`);
    const network = new MemoryNetwork(this.clock);
    for (const name of serverList(options.servers)) network.add(name);
    const servers: MemoryServers = new MemoryServers({
      clock: this.clock,
      log: this.#log,
      network,
      store: new EntryStore(),
      sessions: new SessionTable(this.clock, grace, (session) => servers.expired(session)),
      latency,
      maxEntryBytes: options.maxEntryBytes === undefined ? DEFAULT_MAX_ENTRY_BYTES : positiveNumber('maxEntryBytes', options.maxEntryBytes),
      emit: (event, payload) => this.emit(event, payload),
    });
    this.#servers = servers;
    this.#connection = this.#connect(undefined);
  }

  // --- CatalogBackend (the cluster's own, unpartitionable connection) --------

  initialServers(): Server[] {
    return this.#connection.initialServers();
  }
  client(server: Server): CatalogClient {
    return this.#connection.client(server);
  }
  get pinger(): Pinger {
    return this.#connection.pinger;
  }
  watchMembers(listener: (event: MembershipEvent) => void): () => void {
    this.#watchers.add(listener);
    return () => this.#watchers.delete(listener);
  }
  openSession(server: Server, node: string, ttlMs: number, signal: AbortSignal): Promise<NodeSession> {
    return this.#connection.openSession(server, node, ttlMs, signal);
  }

  notApplied(error: unknown): boolean {
    return this.#connection.notApplied(error);
  }

  /** Stops every session timer and rejects parked calls. Never rejects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#servers.close();
    this.#watchers.clear();
  }

  /** A backend for one agent: same servers and store, but `partition(agent)` cuts only it off. */
  connect(agent: string): CatalogBackend {
    return this.#connect(agent);
  }

  // --- fault injection --------------------------------------------------------

  /** Calls and pings to `server` reject at once (a crashed process, connection refused). */
  fail(server: string | Server): void {
    this.#servers.network.setStatus(serverName(server), 'failed');
  }
  /** Calls and pings to `server` hang until `heal` or until the caller's signal aborts (SIGSTOP). */
  freeze(server: string | Server): void {
    this.#servers.network.setStatus(serverName(server), 'frozen');
  }
  /**
   * `server` refuses every read (list, listChecks, getNode, count: ServerUnavailableError
   * `refusing reads`, before anything is served) while it answers pings, writes and
   * session calls: a server up for the network but unable to serve its store. `heal` ends it.
   */
  refuseReads(server: string | Server): void {
    this.#servers.network.refuseReads(serverName(server), true);
  }
  /** `server` serves again (whatever it refused: failed, frozen, refusing reads); calls parked on it proceed. */
  heal(server: string | Server): void {
    this.#servers.network.setStatus(serverName(server), 'up');
  }
  /** Every server fails / heals. */
  failAll(): void {
    for (const name of this.#servers.network.names()) this.#servers.network.setStatus(name, 'failed');
  }
  healAll(): void {
    for (const name of this.#servers.network.names()) this.#servers.network.setStatus(name, 'up');
  }
  /** Calls from `connect(agent)` hang (packets dropped) until `unpartition(agent)` or their signal aborts. */
  partition(agent: string): void {
    this.#servers.network.partition(agent);
  }
  unpartition(agent: string): void {
    this.#servers.network.unpartition(agent);
  }
  status(server: string | Server): ServerStatus | undefined {
    return this.#servers.network.status(serverName(server));
  }
  /**
   * A simulated leader failover. A new leader cannot know when each client last renewed,
   * so, like Chubby's new master and etcd's new leader, it pushes every live session's
   * expiry to now + TTL × grace: a failover never costs a client its session.
   */
  failover(): void {
    const sessions = this.#servers.sessions.failover();
    this.#log.info({ sessions }, 'leader failover: every session expiry reset');
    this.emit('failover', { at: clockNow(this.clock), sessions });
  }

  /** A new server joins (membership event `join`); it serves the shared store at once. */
  addServer(server: string | Server): Server {
    const added = this.#servers.network.add(server);
    this.#announce({ type: 'join', server: { ...added } });
    return added;
  }
  /** A server leaves (membership event `leave`); calls parked on it reject. Unknown names are a no-op. */
  removeServer(server: string | Server): void {
    const removed = this.#servers.network.remove(serverName(server));
    if (removed) this.#announce({ type: 'leave', server: removed });
  }
  /** Current server names, in order of creation. */
  serverNames(): string[] {
    return this.#servers.network.names();
  }

  // --- drift: changes behind the agents' backs --------------------------------

  /** Removes one entry from the store; true when it existed. */
  deleteEntry(node: string, id: string): boolean {
    return this.#servers.store.delete(node, id);
  }
  /** Alters one stored entry (default: port + 1 and a `corrupted` meta); true when it existed. */
  corruptEntry(node: string, id: string, mutate?: (service: Service) => Service): boolean {
    return this.#servers.store.mutate(node, id, mutate ?? ((s) => ({ ...s, port: (s.port % 65_535) + 1, meta: { ...s.meta, corrupted: 'true' } })));
  }
  /** Writes an entry nobody registered (attached to no live session unless `sessionId` is given). */
  injectEntry(node: string, service: Service, sessionId = 'injected'): void {
    this.#servers.store.put(node, copyService(service), sessionId);
  }
  /** The stored services of `node`, sorted by id (copies; no latency, no faults). */
  readEntries(node: string): Service[] {
    return this.#servers.store.read(node);
  }
  /** The stored health checks of `node`, sorted by id (copies; no latency, no faults). */
  readChecks(node: string): Check[] {
    return this.#servers.checks.read(node);
  }
  /** The stored info of `node` (a copy), undefined when none. */
  readNodeInfo(node: string): NodeInfo | undefined {
    return this.#servers.nodeInfo(node);
  }
  /** Removes one stored check; true when it existed. */
  deleteCheckEntry(node: string, id: string): boolean {
    return this.#servers.checks.delete(node, id);
  }
  /** Nodes that have at least one stored entry, sorted. */
  nodes(): string[] {
    return this.#servers.store.nodes();
  }
  /** Number of live sessions on the servers. */
  sessionCount(): number {
    return this.#servers.sessions.size;
  }
  /**
   * Operation counts since construction: completed calls per op, plus failed calls.
   * `put`/`delete` count entries written, inside batches too; `batch` counts batch
   * calls and `batched` the entries they wrote, so the write calls made were
   * `put + delete − batched + batch`.
   */
  stats(): Readonly<Record<MemoryOp | 'failed' | 'batched', number>> {
    return this.#servers.counts();
  }

  // --- internals ---------------------------------------------------------------

  #connect(agent: string | undefined): MemoryConnection {
    return new MemoryConnection(this.#servers, agent, (listener) => this.watchMembers(listener));
  }

  #announce(event: MembershipEvent): void {
    this.emit('member', event);
    for (const watcher of [...this.#watchers]) {
      try {
        watcher({ type: event.type, server: { ...event.server } });
      } catch (err) {
        this.#log.warn({ err }, 'membership listener failed');
      }
    }
  }
}
