// The embedded catalog cluster: a few named in-process servers sharing one store,
// implementing CatalogBackend, with latency and fault injection on an injected clock.
// It backs the demo and the fast scenario tests, and is what the simulator builds on.
import type { CatalogBackend, CatalogClient, MembershipEvent, NodeSession, Service } from '../backend.js';
import type { Pinger, Server } from '../../servers/types.js';
import { type Clock, systemClock, clockNow } from '../../shared/clock.js';
import { abortReason } from '../../shared/abort.js';
import { ServerUnavailableError, SessionLostError, SessionNotFoundError } from '../errors.js';
import { TypedEmitter } from '../../shared/emitter.js';
import { type Logger, componentLogger } from '../../shared/logger.js';
import { nonNegativeNumber, positiveNumber } from '../../shared/options.js';

/** The remote operations a MemoryCluster serves. */
export type MemoryOp = 'list' | 'put' | 'delete' | 'count' | 'ping' | 'openSession';

/** What the cluster reports for each completed or failed operation (`'op'` event). */
export interface MemoryOpRecord {
  op: MemoryOp;
  server: string;
  /** The connection's name given to `connect(agent)`; undefined for the cluster's own view. */
  agent: string | undefined;
  node?: string;
  id?: string;
  /** Clock time (ms) at which the operation took effect or failed. */
  at: number;
  ok: boolean;
}

export interface MemoryClusterEvents extends Record<string, unknown> {
  op: MemoryOpRecord;
  /** A session expired on the servers (its entries were removed). */
  sessionExpired: { id: string; node: string; at: number };
  member: MembershipEvent;
}

export interface MemoryClusterOptions {
  /** Server names, or how many to create (`mem-1`…). Defaults to 3. */
  servers?: number | readonly string[];
  /** Clock for latency and session TTLs. Defaults to the system clock. */
  clock?: Clock;
  /** Delay per operation, in ms on the clock, fixed or per op/server. Defaults to 0 (no timer at all). */
  latencyMs?: number | ((op: MemoryOp, server: string) => number);
  logger?: Logger;
}

export { ServerUnavailableError, SessionNotFoundError };

type ServerStatus = 'up' | 'failed' | 'frozen';

interface ServerState {
  server: Server;
  status: ServerStatus;
}

interface StoredEntry {
  service: Service;
  sessionId: string;
}

interface ServerSession {
  id: string;
  node: string;
  ttlMs: number;
  expiresAt: number;
  timer: unknown;
  client: MemorySession | undefined;
}


function copyService(service: Service): Service {
  const copy: Service = { id: service.id, name: service.name, address: service.address, port: service.port };
  if (service.tags !== undefined) copy.tags = [...service.tags];
  if (service.meta !== undefined) copy.meta = { ...service.meta };
  return copy;
}

function serverName(server: string | Server): string {
  return typeof server === 'string' ? server : server.name;
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
  private readonly serverStates = new Map<string, ServerState>();
  private readonly store = new Map<string, Map<string, StoredEntry>>();
  private readonly sessions = new Map<string, ServerSession>();
  /** Live sessions per node, so the count-only query is O(1) even with thousands of agents. */
  private readonly sessionsPerNode = new Map<string, number>();
  private readonly partitioned = new Set<string>();
  /** Calls parked on a frozen server or a partition; woken (to re-check) by every fault change. */
  private readonly waiters = new Set<() => void>();
  /** Latency timers in progress; close() cancels them so no timer outlives the cluster. */
  private readonly delays = new Set<() => void>();
  private readonly watchers = new Set<(event: MembershipEvent) => void>();
  private readonly defaultView: MemoryBackendView;
  private sessionSeq = 0;
  private closed = false;
  private readonly counts: Record<MemoryOp | 'failed', number> = { list: 0, put: 0, delete: 0, count: 0, ping: 0, openSession: 0, failed: 0 };

  constructor(options: MemoryClusterOptions = {}) {
    super((event, err) => this.log.warn({ event, err }, 'listener failed'));
    this.clock = options.clock ?? systemClock;
    this.log = componentLogger(options.logger, 'memoryCluster');
    const latency = options.latencyMs ?? 0;
    if (typeof latency === 'function') this.latency = latency;
    else {
      const ms = nonNegativeNumber('latencyMs', latency, 0);
      this.latency = () => ms;
    }
    const names = options.servers ?? 3;
    const list = typeof names === 'number' ? Array.from({ length: positiveNumber('servers', names) }, (_, i) => `mem-${i + 1}`) : names;
    for (const name of list) this.addServerState(name);
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
    for (const session of this.sessions.values()) {
      this.clock.clearTimeout(session.timer);
      session.client?.stopRenewing();
    }
    this.sessions.clear();
    this.sessionsPerNode.clear();
    this.watchers.clear();
    for (const cancel of [...this.delays]) cancel();
    this.wakeAll();
  }

  /** A backend for one agent: same servers and store, but `partition(agent)` cuts only it off. */
  connect(agent: string): CatalogBackend {
    return new MemoryBackendView(this, agent);
  }

  // --- fault injection --------------------------------------------------------

  /** Calls and pings to `server` reject at once (a crashed process, connection refused). */
  fail(server: string | Server): void {
    this.setStatus(server, 'failed');
  }
  /** Calls and pings to `server` hang until `heal` or until the caller's signal aborts (SIGSTOP). */
  freeze(server: string | Server): void {
    this.setStatus(server, 'frozen');
  }
  /** `server` serves again; calls parked on it proceed. */
  heal(server: string | Server): void {
    this.setStatus(server, 'up');
  }
  /** Every server fails / heals. */
  failAll(): void {
    for (const name of this.serverStates.keys()) this.setStatus(name, 'failed');
  }
  healAll(): void {
    for (const name of this.serverStates.keys()) this.setStatus(name, 'up');
  }
  /** Calls from `connect(agent)` hang (packets dropped) until `unpartition(agent)` or their signal aborts. */
  partition(agent: string): void {
    this.partitioned.add(agent);
  }
  unpartition(agent: string): void {
    if (this.partitioned.delete(agent)) this.wakeAll();
  }
  status(server: string | Server): ServerStatus | undefined {
    return this.serverStates.get(serverName(server))?.status;
  }

  /** A new server joins (membership event `join`); it serves the shared store at once. */
  addServer(server: string | Server): Server {
    const name = serverName(server);
    if (this.serverStates.has(name)) throw new RangeError(`server ${JSON.stringify(name)} already exists`);
    const state = this.addServerState(server);
    this.announce({ type: 'join', server: { ...state.server } });
    return { ...state.server };
  }
  /** A server leaves (membership event `leave`); calls parked on it reject. Unknown names are a no-op. */
  removeServer(server: string | Server): void {
    const state = this.serverStates.get(serverName(server));
    if (!state) return;
    this.serverStates.delete(state.server.name);
    this.wakeAll();
    this.announce({ type: 'leave', server: { ...state.server } });
  }
  /** Current server names, in order of creation. */
  serverNames(): string[] {
    return [...this.serverStates.keys()];
  }

  // --- drift: changes behind the agents' backs --------------------------------

  /** Removes one entry from the store; true when it existed. */
  deleteEntry(node: string, id: string): boolean {
    const entries = this.store.get(node);
    const existed = entries?.delete(id) ?? false;
    if (entries && entries.size === 0) this.store.delete(node);
    return existed;
  }
  /** Alters one stored entry (default: port + 1 and a `corrupted` meta); true when it existed. */
  corruptEntry(node: string, id: string, mutate?: (service: Service) => Service): boolean {
    const entry = this.store.get(node)?.get(id);
    if (!entry) return false;
    const current = copyService(entry.service);
    entry.service = mutate ? copyService(mutate(current)) : { ...current, port: (current.port % 65_535) + 1, meta: { ...current.meta, corrupted: 'true' } };
    return true;
  }
  /** Writes an entry nobody registered (attached to no live session unless `sessionId` is given). */
  injectEntry(node: string, service: Service, sessionId = 'injected'): void {
    this.entriesOf(node).set(service.id, { service: copyService(service), sessionId });
  }
  /** The stored services of `node`, sorted by id (copies; no latency, no faults). */
  readEntries(node: string): Service[] {
    const entries = this.store.get(node);
    if (!entries) return [];
    return [...entries.keys()].sort().map((id) => copyService((entries.get(id) as StoredEntry).service));
  }
  /** Nodes that have at least one stored entry, sorted. */
  nodes(): string[] {
    return [...this.store.keys()].sort();
  }
  /** Number of live sessions on the servers. */
  sessionCount(): number {
    return this.sessions.size;
  }
  /** Operation counts since construction (completed ones per op, plus failed). */
  stats(): Readonly<Record<MemoryOp | 'failed', number>> {
    return { ...this.counts };
  }

  // --- the serving path (used by MemoryBackendView) ---------------------------

  /** Reaches `server` for `agent` (waiting out freezes/partitions), applies latency, then `apply`. */
  async exec<T>(server: string, agent: string | undefined, op: MemoryOp, signal: AbortSignal, apply: () => T, node?: string, id?: string): Promise<T> {
    try {
      if (signal.aborted) throw abortReason(signal);
      await this.reach(server, agent, signal);
      const ms = this.latency(op, server);
      if (ms > 0) {
        await this.delay(ms, signal);
        await this.reach(server, agent, signal);
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

  listNow(node: string): Service[] {
    return this.readEntries(node);
  }
  putNow(node: string, service: Service, sessionId: string): void {
    if (!this.sessions.has(sessionId)) throw new SessionNotFoundError(sessionId);
    this.entriesOf(node).set(service.id, { service: copyService(service), sessionId });
  }
  countNow(): number {
    return this.sessionsPerNode.size;
  }
  grantNow(node: string, ttlMs: number, client: (id: string) => MemorySession): MemorySession {
    const id = `session-${++this.sessionSeq}`;
    const session: ServerSession = { id, node, ttlMs, expiresAt: clockNow(this.clock) + ttlMs, timer: undefined, client: undefined };
    this.sessions.set(id, session);
    this.sessionsPerNode.set(node, (this.sessionsPerNode.get(node) ?? 0) + 1);
    this.armExpiry(session);
    session.client = client(id);
    return session.client;
  }
  /** Keepalive from a client: false when the servers no longer know the session. */
  renewNow(id: string): boolean {
    const session = this.sessions.get(id);
    if (!session) return false;
    session.expiresAt = clockNow(this.clock) + session.ttlMs;
    return true;
  }
  revokeNow(id: string): void {
    const session = this.sessions.get(id);
    if (!session) return;
    this.clock.clearTimeout(session.timer);
    this.dropSession(session);
  }
  /** A server `agent` can reach right now without waiting (up and not partitioned), preferring `preferred`. */
  reachableNow(agent: string | undefined, preferred: string): string | undefined {
    if (this.closed || (agent !== undefined && this.partitioned.has(agent))) return undefined;
    if (this.serverStates.get(preferred)?.status === 'up') return preferred;
    for (const [name, state] of this.serverStates) if (state.status === 'up') return name;
    return undefined;
  }
  serversNow(): Server[] {
    return [...this.serverStates.values()].map((state) => ({ ...state.server }));
  }

  // --- internals ---------------------------------------------------------------

  private addServerState(server: string | Server): ServerState {
    const name = serverName(server);
    if (typeof name !== 'string' || name.length === 0) throw new TypeError(`server name must be a non-empty string, received ${String(name)}`);
    const full: Server = typeof server === 'string' ? { name, address: `memory://${name}` } : { ...server };
    const state: ServerState = { server: full, status: 'up' };
    this.serverStates.set(name, state);
    return state;
  }

  private setStatus(server: string | Server, status: ServerStatus): void {
    const name = serverName(server);
    const state = this.serverStates.get(name);
    if (!state) throw new RangeError(`unknown server ${JSON.stringify(name)}`);
    state.status = status;
    this.wakeAll();
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

  /** The node's entry map, created on first write. */
  private entriesOf(node: string): Map<string, StoredEntry> {
    let entries = this.store.get(node);
    if (!entries) this.store.set(node, (entries = new Map()));
    return entries;
  }

  private async reach(server: string, agent: string | undefined, signal: AbortSignal): Promise<void> {
    for (;;) {
      if (this.closed) throw new ServerUnavailableError(server, 'cluster closed');
      const state = this.serverStates.get(server);
      if (!state) throw new ServerUnavailableError(server, 'not a member');
      if (state.status === 'failed') throw new ServerUnavailableError(server, 'connection refused');
      if (state.status === 'up' && (agent === undefined || !this.partitioned.has(agent))) return;
      await this.waitChange(signal);
    }
  }

  private waitChange(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.waiters.delete(wake);
        reject(abortReason(signal));
      };
      const wake = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      if (signal.aborted) return reject(abortReason(signal));
      this.waiters.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private wakeAll(): void {
    if (this.waiters.size === 0) return;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  private delay(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const settle = (err?: Error): void => {
        this.delays.delete(cancel);
        signal.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      };
      const cancel = (): void => {
        this.clock.clearTimeout(handle);
        settle(new ServerUnavailableError('*', 'cluster closed'));
      };
      const onAbort = (): void => {
        this.clock.clearTimeout(handle);
        settle(abortReason(signal));
      };
      const handle = this.clock.setTimeout(() => settle(), ms);
      this.delays.add(cancel);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** One timer per session at its expiry; renewals only move `expiresAt`, the timer re-arms lazily. */
  private armExpiry(session: ServerSession): void {
    const waitMs = Math.max(0, session.expiresAt - clockNow(this.clock));
    session.timer = this.clock.setTimeout(() => {
      if (this.sessions.get(session.id) !== session) return;
      if (clockNow(this.clock) < session.expiresAt) return this.armExpiry(session);
      this.dropSession(session);
      this.log.info({ session: session.id, node: session.node }, 'session expired');
      this.emit('sessionExpired', { id: session.id, node: session.node, at: clockNow(this.clock) });
    }, waitMs);
  }

  private dropSession(session: ServerSession): void {
    this.sessions.delete(session.id);
    const left = (this.sessionsPerNode.get(session.node) ?? 1) - 1;
    if (left > 0) this.sessionsPerNode.set(session.node, left);
    else this.sessionsPerNode.delete(session.node);
    const entries = this.store.get(session.node);
    if (!entries) return;
    for (const [id, entry] of entries) if (entry.sessionId === session.id) entries.delete(id);
    if (entries.size === 0) this.store.delete(session.node);
  }
}

/** One connection to the cluster (for one agent, or for anyone). */
class MemoryBackendView implements CatalogBackend {
  private readonly clients = new Map<string, CatalogClient>();
  readonly pinger: Pinger;

  constructor(
    private readonly cluster: MemoryCluster,
    private readonly agent: string | undefined,
  ) {
    this.pinger = { ping: (server, signal) => cluster.exec(server.name, agent, 'ping', signal, () => true) };
  }

  initialServers(): Server[] {
    return this.cluster.serversNow();
  }

  client(server: Server): CatalogClient {
    let client = this.clients.get(server.name);
    if (client) return client;
    const { cluster, agent } = this;
    const name = server.name;
    client = {
      listServices: (node, signal) => cluster.exec(name, agent, 'list', signal, () => cluster.listNow(node), node),
      putService: (node, service, sessionId, signal) => cluster.exec(name, agent, 'put', signal, () => cluster.putNow(node, service, sessionId), node, service.id),
      deleteService: (node, id, signal) => cluster.exec(name, agent, 'delete', signal, () => void cluster.deleteEntry(node, id), node, id),
      countNodes: (signal) => cluster.exec(name, agent, 'count', signal, () => cluster.countNow()),
    };
    this.clients.set(name, client);
    return client;
  }

  watchMembers(listener: (event: MembershipEvent) => void): () => void {
    return this.cluster.watchMembers(listener);
  }

  openSession(server: Server, node: string, ttlMs: number, signal: AbortSignal): Promise<NodeSession> {
    if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
      return Promise.reject(new RangeError(`ttlMs must be a finite number > 0, received ${String(ttlMs)}`));
    }
    const { cluster, agent } = this;
    return cluster.exec(server.name, agent, 'openSession', signal, () =>
      cluster.grantNow(node, ttlMs, (id) => new MemorySession(cluster, agent, server.name, id, ttlMs)),
    node);
  }

  /** The cluster is shared: a view has nothing of its own to release. */
  async close(): Promise<void> {}
}

/**
 * The client half of a session: renews every ttl/3 through any server the agent can
 * reach, and reports loss when the servers no longer know it or when no renewal
 * succeeded for a whole TTL (etcd's keepalive behaves the same way).
 */
export class MemorySession implements NodeSession {
  private readonly listeners: Array<(err: unknown) => void> = [];
  private timer: unknown;
  private lastRenewedAt: number;
  private lostError: Error | undefined;
  private closed = false;

  constructor(
    private readonly cluster: MemoryCluster,
    private readonly agent: string | undefined,
    private readonly server: string,
    readonly id: string,
    private readonly ttlMs: number,
  ) {
    this.lastRenewedAt = clockNow(cluster.clock);
    this.schedule();
  }

  get lost(): boolean {
    return this.lostError !== undefined;
  }

  onLost(listener: (err: unknown) => void): void {
    if (this.lostError) {
      const err = this.lostError;
      queueMicrotask(() => listener(err));
    } else this.listeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopRenewing();
    if (this.lostError) return;
    // Best effort and never waits: if no server is reachable the TTL removes the entries.
    if (this.cluster.reachableNow(this.agent, this.server) !== undefined) this.cluster.revokeNow(this.id);
  }

  stopRenewing(): void {
    this.cluster.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = this.cluster.clock.setTimeout(() => this.renew(), Math.max(1, Math.floor(this.ttlMs / 3)));
  }

  private renew(): void {
    if (this.closed || this.lostError) return;
    const now = clockNow(this.cluster.clock);
    if (this.cluster.reachableNow(this.agent, this.server) !== undefined) {
      if (!this.cluster.renewNow(this.id)) return this.markLost(new SessionLostError(`session ${this.id} expired on the servers`, { cause: new SessionNotFoundError(this.id) }));
      this.lastRenewedAt = now;
    } else if (now - this.lastRenewedAt >= this.ttlMs) {
      return this.markLost(new SessionLostError(`session ${this.id} could not be renewed for ${this.ttlMs} ms`));
    }
    this.schedule();
  }

  private markLost(err: Error): void {
    this.lostError = err;
    this.stopRenewing();
    for (const listener of this.listeners.splice(0)) {
      try {
        listener(err);
      } catch {
        // a listener's failure must not stop the others
      }
    }
  }
}
