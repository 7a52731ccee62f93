// The embedded catalog cluster: a few named in-process servers sharing one store,
// implementing CatalogBackend, with latency, faults and leader failovers on an
// injected clock. It backs the demo and the fast scenario tests, and the simulator.
import type { CatalogBackend, CatalogClient, Check, MembershipEvent, NodeInfo, NodeSession, Service, WriteOp } from '../backend.js';
import { CheckStore } from './checkStore.js';
import type { Pinger, Server } from '../../servers/types.js';
import { type Clock, systemClock, clockNow } from '../../shared/clock.js';
import { abortReason } from '../../shared/abort.js';
import { NodeConflictError, RefusedWriteError, SessionNotFoundError } from '../errors.js';
import { TypedEmitter } from '../../shared/emitter.js';
import { type Logger, componentLogger } from '../../shared/logger.js';
import { describeValue, durationMs, positiveNumber } from '../../shared/options.js';
import { MemoryNetwork } from './network.js';
import { MemorySession } from './session.js';
import { type ServerSession, SessionTable } from './sessionTable.js';
import { EntryStore } from './store.js';
import { copyService, type MemoryClusterEvents, type MemoryClusterOptions, type MemoryOp, type ServerStatus } from './types.js';
import { MemoryBackendView } from './view.js';

const DEFAULT_SESSION_GRACE = 2;
/** etcd's default `--max-request-bytes`. */
const DEFAULT_MAX_ENTRY_BYTES = 1.5 * 1024 * 1024;

function copyNodeInfo(info: NodeInfo): NodeInfo {
  return info.meta === undefined ? { address: info.address } : { address: info.address, meta: { ...info.meta } };
}

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
export class MemoryCluster extends TypedEmitter<MemoryClusterEvents> implements CatalogBackend {
  readonly clock: Clock;
  private readonly log: Logger;
  private readonly latency: (op: MemoryOp, server: string) => number;
  private readonly network: MemoryNetwork;
  private readonly store = new EntryStore();
  private readonly checks = new CheckStore();
  /** Each node's info and the session that wrote it. */
  private readonly nodeInfos = new Map<string, { info: NodeInfo; sessionId: string }>();
  private readonly sessions: SessionTable;
  /** Client halves of live sessions, so close() can stop their renewal timers. */
  private readonly clients = new Map<string, MemorySession>();
  private readonly watchers = new Set<(event: MembershipEvent) => void>();
  private readonly defaultView: MemoryBackendView;
  private closed = false;
  private readonly maxEntryBytes: number;
  /** A batch of any size is one operation. */
  readonly maxBatchOps = Infinity;
  private readonly counts: Record<MemoryOp | 'failed' | 'batched', number> = { list: 0, put: 0, delete: 0, listChecks: 0, putCheck: 0, deleteCheck: 0, getNode: 0, putNode: 0, batch: 0, batched: 0, count: 0, ping: 0, openSession: 0, failed: 0 };

  constructor(options: MemoryClusterOptions = {}) {
    super((event, err) => this.log.warn({ event, err }, 'listener failed'));
    this.clock = options.clock ?? systemClock;
    this.log = componentLogger(options.logger, 'memoryCluster');
    const latency = options.latencyMs ?? 0;
    if (typeof latency === 'function') this.latency = latency;
    else {
      const ms = durationMs('latencyMs', latency, 0, { allowZero: true });
      this.latency = () => ms;
    }
    const grace = options.sessionGrace === undefined ? DEFAULT_SESSION_GRACE : positiveNumber('sessionGrace', options.sessionGrace);
    if (grace < 1) throw new RangeError(`sessionGrace must be a number ≥ 1 (a multiple of the TTL), received ${describeValue(options.sessionGrace)}`);
    this.maxEntryBytes = options.maxEntryBytes === undefined ? DEFAULT_MAX_ENTRY_BYTES : positiveNumber('maxEntryBytes', options.maxEntryBytes);
    this.network = new MemoryNetwork(this.clock);
    for (const name of serverList(options.servers)) this.network.add(name);
    this.sessions = new SessionTable(this.clock, grace, (session) => this.expired(session));
    this.defaultView = new MemoryBackendView(this, undefined);
  }

  // --- CatalogBackend (the cluster's own, unpartitionable connection) --------

  initialServers(): Server[] {
    return this.defaultView.initialServers();
  }
  client(server: Server): CatalogClient {
    return this.defaultView.client(server);
  }
  get pinger(): Pinger {
    return this.defaultView.pinger;
  }
  watchMembers(listener: (event: MembershipEvent) => void): () => void {
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }
  openSession(server: Server, node: string, ttlMs: number, signal: AbortSignal): Promise<NodeSession> {
    return this.defaultView.openSession(server, node, ttlMs, signal);
  }

  /** Stops every session timer and rejects parked calls. Never rejects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const client of this.clients.values()) client.stopRenewing();
    this.clients.clear();
    this.sessions.clear();
    this.watchers.clear();
    this.network.close();
  }

  /** A backend for one agent: same servers and store, but `partition(agent)` cuts only it off. */
  connect(agent: string): CatalogBackend {
    return new MemoryBackendView(this, agent);
  }

  // --- fault injection --------------------------------------------------------

  /** Calls and pings to `server` reject at once (a crashed process, connection refused). */
  fail(server: string | Server): void {
    this.network.setStatus(serverName(server), 'failed');
  }
  /** Calls and pings to `server` hang until `heal` or until the caller's signal aborts (SIGSTOP). */
  freeze(server: string | Server): void {
    this.network.setStatus(serverName(server), 'frozen');
  }
  /** `server` serves again; calls parked on it proceed. */
  heal(server: string | Server): void {
    this.network.setStatus(serverName(server), 'up');
  }
  /** Every server fails / heals. */
  failAll(): void {
    for (const name of this.network.names()) this.network.setStatus(name, 'failed');
  }
  healAll(): void {
    for (const name of this.network.names()) this.network.setStatus(name, 'up');
  }
  /** Calls from `connect(agent)` hang (packets dropped) until `unpartition(agent)` or their signal aborts. */
  partition(agent: string): void {
    this.network.partition(agent);
  }
  unpartition(agent: string): void {
    this.network.unpartition(agent);
  }
  status(server: string | Server): ServerStatus | undefined {
    return this.network.status(serverName(server));
  }
  /**
   * A simulated leader failover. A new leader cannot know when each client last renewed,
   * so, like Chubby's new master and etcd's new leader, it pushes every live session's
   * expiry to now + TTL × grace: a failover never costs a client its session.
   */
  failover(): void {
    const sessions = this.sessions.failover();
    this.log.info({ sessions }, 'leader failover: every session expiry reset');
    this.emit('failover', { at: clockNow(this.clock), sessions });
  }

  /** A new server joins (membership event `join`); it serves the shared store at once. */
  addServer(server: string | Server): Server {
    const added = this.network.add(server);
    this.announce({ type: 'join', server: { ...added } });
    return added;
  }
  /** A server leaves (membership event `leave`); calls parked on it reject. Unknown names are a no-op. */
  removeServer(server: string | Server): void {
    const removed = this.network.remove(serverName(server));
    if (removed) this.announce({ type: 'leave', server: removed });
  }
  /** Current server names, in order of creation. */
  serverNames(): string[] {
    return this.network.names();
  }

  // --- drift: changes behind the agents' backs --------------------------------

  /** Removes one entry from the store; true when it existed. */
  deleteEntry(node: string, id: string): boolean {
    return this.store.delete(node, id);
  }
  /** Alters one stored entry (default: port + 1 and a `corrupted` meta); true when it existed. */
  corruptEntry(node: string, id: string, mutate?: (service: Service) => Service): boolean {
    return this.store.mutate(node, id, mutate ?? ((s) => ({ ...s, port: (s.port % 65_535) + 1, meta: { ...s.meta, corrupted: 'true' } })));
  }
  /** Writes an entry nobody registered (attached to no live session unless `sessionId` is given). */
  injectEntry(node: string, service: Service, sessionId = 'injected'): void {
    this.store.put(node, copyService(service), sessionId);
  }
  /** The stored services of `node`, sorted by id (copies; no latency, no faults). */
  readEntries(node: string): Service[] {
    return this.store.read(node);
  }
  /** The stored health checks of `node`, sorted by id (copies; no latency, no faults). */
  readChecks(node: string): Check[] {
    return this.checks.read(node);
  }
  /** The stored info of `node` (a copy), undefined when none. */
  readNodeInfo(node: string): NodeInfo | undefined {
    const stored = this.nodeInfos.get(node);
    return stored ? copyNodeInfo(stored.info) : undefined;
  }
  /** Removes one stored check; true when it existed. */
  deleteCheckEntry(node: string, id: string): boolean {
    return this.checks.delete(node, id);
  }
  /** Nodes that have at least one stored entry, sorted. */
  nodes(): string[] {
    return this.store.nodes();
  }
  /** Number of live sessions on the servers. */
  sessionCount(): number {
    return this.sessions.size;
  }
  /**
   * Operation counts since construction: completed calls per op, plus failed calls.
   * `put`/`delete` count entries written, inside batches too; `batch` counts batch
   * calls and `batched` the entries they wrote, so the write calls made were
   * `put + delete − batched + batch`.
   */
  stats(): Readonly<Record<MemoryOp | 'failed' | 'batched', number>> {
    return { ...this.counts };
  }

  // --- the serving path (used by MemoryBackendView and MemorySession) ----------

  /** Reaches `server` for `agent` (waiting out freezes/partitions), applies latency, then `apply`. */
  async exec<T>(server: string, agent: string | undefined, op: MemoryOp, signal: AbortSignal, apply: () => T, node?: string, id?: string): Promise<T> {
    try {
      if (signal.aborted) throw abortReason(signal);
      await this.network.reach(server, agent, signal);
      const ms = this.latency(op, server);
      if (ms > 0) {
        await this.network.delay(ms, signal);
        await this.network.reach(server, agent, signal);
      }
      const result = apply();
      this.counts[op]++;
      this.emit('op', { op, server, agent, node, id, at: clockNow(this.clock), ok: true });
      return result;
    } catch (err) {
      this.counts.failed++;
      this.emit('op', { op, server, agent, node, id, at: clockNow(this.clock), ok: false });
      throw err;
    }
  }

  putNow(node: string, service: Service, sessionId: string): void {
    if (!this.sessions.has(sessionId)) throw new SessionNotFoundError(sessionId);
    this.checkSize(service);
    this.store.put(node, service, sessionId);
  }
  /** Applies every op or none: the session and every size are checked before anything is written. */
  batchNow(server: string, agent: string | undefined, node: string, ops: readonly WriteOp[], sessionId: string): void {
    if (!this.sessions.has(sessionId)) throw new SessionNotFoundError(sessionId);
    for (const op of ops) if (op.op === 'put' || op.op === 'putCheck') this.checkSize(op.op === 'put' ? op.service : op.check);
    const at = clockNow(this.clock);
    for (const op of ops) {
      const id = op.op === 'put' ? op.service.id : op.op === 'putCheck' ? op.check.id : op.op === 'putNode' ? node : op.id;
      if (op.op === 'putNode') this.nodeInfos.set(node, { info: copyNodeInfo(op.info), sessionId });
      else if (op.op === 'put') this.store.put(node, op.service, sessionId);
      else if (op.op === 'putCheck') this.checks.put(node, op.check, sessionId);
      else if (op.op === 'delete') this.store.delete(node, id);
      else this.checks.delete(node, id);
      this.counts[op.op]++;
      this.counts.batched++;
      this.emit('op', { op: op.op, server, agent, node, id, batch: ops.length, at, ok: true });
    }
  }
  putNodeInfoNow(node: string, info: NodeInfo, sessionId: string): void {
    if (!this.sessions.has(sessionId)) throw new SessionNotFoundError(sessionId);
    this.nodeInfos.set(node, { info: copyNodeInfo(info), sessionId });
  }
  putCheckNow(node: string, check: Check, sessionId: string): void {
    if (!this.sessions.has(sessionId)) throw new SessionNotFoundError(sessionId);
    this.checkSize(check);
    this.checks.put(node, check, sessionId);
  }
  private checkSize(entry: Service | Check): void {
    const bytes = Buffer.byteLength(JSON.stringify(entry), 'utf8');
    if (bytes > this.maxEntryBytes) {
      const kind = 'status' in entry ? 'check' : 'service';
      throw new RefusedWriteError('tooLarge', `${kind} ${entry.id} is ${bytes} bytes, over the servers' limit of ${this.maxEntryBytes}`, { id: entry.id, kind });
    }
  }
  countNow(): number {
    return this.sessions.nodeCount;
  }
  /** Grants a session for `node`, refused with NodeConflictError while another live session holds it. */
  grantNow(node: string, ttlMs: number, agent: string | undefined, server: string): MemorySession {
    const holder = this.sessions.holder(node);
    if (holder) throw new NodeConflictError(node, holder.id);
    const granted = this.sessions.grant(node, ttlMs);
    const client = new MemorySession(this, this.log, agent, server, granted.id, ttlMs);
    this.clients.set(granted.id, client);
    return client;
  }
  renewNow(id: string): boolean {
    return this.sessions.renew(id);
  }
  revokeNow(id: string): void {
    const session = this.sessions.revoke(id);
    if (session) this.ended(session);
  }
  reachableNow(agent: string | undefined, preferred: string): string | undefined {
    return this.network.reachableNow(agent, preferred);
  }
  serversNow(): Server[] {
    return this.network.servers();
  }

  // --- internals ---------------------------------------------------------------

  private ended(session: ServerSession): void {
    this.clients.delete(session.id);
    this.store.dropSession(session.node, session.id);
    this.checks.dropSession(session.node, session.id);
    if (this.nodeInfos.get(session.node)?.sessionId === session.id) this.nodeInfos.delete(session.node);
  }

  private expired(session: ServerSession): void {
    this.ended(session);
    this.log.info({ session: session.id, node: session.node }, 'session expired');
    this.emit('sessionExpired', { id: session.id, node: session.node, at: clockNow(this.clock) });
  }

  private announce(event: MembershipEvent): void {
    this.emit('member', event);
    for (const watcher of [...this.watchers]) {
      try {
        watcher({ type: event.type, server: { ...event.server } });
      } catch (err) {
        this.log.warn({ err }, 'membership listener failed');
      }
    }
  }
}
