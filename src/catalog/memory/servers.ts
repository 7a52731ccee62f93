// The serving side of a MemoryCluster: the in-process servers' network, shared store and
// session table, and the one path every remote operation takes (reach the server for the
// agent, wait out latency, apply, count, report). Connections and client sessions use
// it; the public MemoryCluster drives its faults. Not exported from the package.
import type { Check, NodeInfo, Service, WriteOp } from '../backend.js';
import { CheckStore } from './checkStore.js';
import type { Server } from '../../servers/types.js';
import { abortReason } from '../../shared/abort.js';
import { type Clock, clockNow } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import { NodeConflictError, RefusedWriteError, ServerUnavailableError, SessionNotFoundError } from '../errors.js';
import type { MemoryNetwork } from './network.js';
import { MemorySession, type SessionHost } from './session.js';
import type { ServerSession, SessionTable } from './sessionTable.js';
import type { EntryStore } from './store.js';
import type { MemoryClusterEvents, MemoryOp } from './types.js';

function copyNodeInfo(info: NodeInfo): NodeInfo {
  return info.meta === undefined ? { address: info.address } : { address: info.address, meta: { ...info.meta } };
}

/** The operations `refuseReads` refuses: those that change nothing. */
const READS: ReadonlySet<MemoryOp> = new Set<MemoryOp>(['list', 'listChecks', 'getNode', 'count']);

export interface MemoryServersParts {
  clock: Clock;
  log: Logger;
  network: MemoryNetwork;
  store: EntryStore;
  sessions: SessionTable;
  latency: (op: MemoryOp, server: string) => number;
  /** Largest stored entry accepted, bytes of JSON. */
  maxEntryBytes: number;
  emit: <K extends keyof MemoryClusterEvents>(event: K, payload: MemoryClusterEvents[K]) => void;
}

export class MemoryServers implements SessionHost {
  readonly clock: Clock;
  readonly network: MemoryNetwork;
  readonly store: EntryStore;
  readonly sessions: SessionTable;
  readonly checks = new CheckStore();
  /** Each node's info and the session that wrote it. */
  readonly #nodeInfos = new Map<string, { info: NodeInfo; sessionId: string }>();
  readonly #maxEntryBytes: number;
  readonly #log: Logger;
  readonly #latency: (op: MemoryOp, server: string) => number;
  readonly #emit: MemoryServersParts['emit'];
  /** Client halves of live sessions, so close() can stop their renewal timers. */
  readonly #clients = new Map<string, MemorySession>();
  readonly #counts: Record<MemoryOp | 'failed' | 'batched', number> = {
    list: 0,
    put: 0,
    delete: 0,
    listChecks: 0,
    putCheck: 0,
    deleteCheck: 0,
    getNode: 0,
    putNode: 0,
    batch: 0,
    batched: 0,
    count: 0,
    ping: 0,
    openSession: 0,
    failed: 0,
  };

  constructor(parts: MemoryServersParts) {
    this.clock = parts.clock;
    this.#log = parts.log;
    this.network = parts.network;
    this.store = parts.store;
    this.sessions = parts.sessions;
    this.#latency = parts.latency;
    this.#maxEntryBytes = parts.maxEntryBytes;
    this.#emit = parts.emit;
  }

  /** Reaches `server` for `agent` (waiting out freezes/partitions), applies latency, then `apply`. */
  async exec<T>(server: string, agent: string | undefined, op: MemoryOp, signal: AbortSignal, apply: () => T, node?: string, id?: string): Promise<T> {
    try {
      if (signal.aborted) throw abortReason(signal);
      await this.network.reach(server, agent, signal);
      if (READS.has(op) && this.network.refusesReads(server)) throw new ServerUnavailableError(server, 'refusing reads');
      const ms = this.#latency(op, server);
      if (ms > 0) {
        await this.network.delay(ms, signal);
        await this.network.reach(server, agent, signal);
      }
      const result = apply();
      this.#counts[op]++;
      this.#emit('op', { op, server, agent, node, id, at: clockNow(this.clock), ok: true });
      return result;
    } catch (err) {
      this.#counts.failed++;
      this.#emit('op', { op, server, agent, node, id, at: clockNow(this.clock), ok: false });
      throw err;
    }
  }

  /** Operation counts since construction (see MemoryCluster.stats). */
  counts(): Readonly<Record<MemoryOp | 'failed' | 'batched', number>> {
    return { ...this.#counts };
  }

  put(node: string, service: Service, sessionId: string): void {
    this.#checkSession(sessionId);
    this.#checkSize(service);
    this.store.put(node, service, sessionId);
  }

  putCheck(node: string, check: Check, sessionId: string): void {
    this.#checkSession(sessionId);
    this.#checkSize(check);
    this.checks.put(node, check, sessionId);
  }

  putNodeInfo(node: string, info: NodeInfo, sessionId: string): void {
    this.#checkSession(sessionId);
    this.#nodeInfos.set(node, { info: copyNodeInfo(info), sessionId });
  }

  /** The stored info of `node` (a copy), undefined when none. */
  nodeInfo(node: string): NodeInfo | undefined {
    const stored = this.#nodeInfos.get(node);
    return stored ? copyNodeInfo(stored.info) : undefined;
  }

  /** Applies every op or none: the session and every size are checked before anything is written. */
  batch(server: string, agent: string | undefined, node: string, ops: readonly WriteOp[], sessionId: string): void {
    this.#checkSession(sessionId);
    for (const op of ops) if (op.op === 'put' || op.op === 'putCheck') this.#checkSize(op.op === 'put' ? op.service : op.check);
    const at = clockNow(this.clock);
    for (const op of ops) {
      const id = op.op === 'put' ? op.service.id : op.op === 'putCheck' ? op.check.id : op.op === 'putNode' ? node : op.id;
      if (op.op === 'putNode') this.#nodeInfos.set(node, { info: copyNodeInfo(op.info), sessionId });
      else if (op.op === 'put') this.store.put(node, op.service, sessionId);
      else if (op.op === 'putCheck') this.checks.put(node, op.check, sessionId);
      else if (op.op === 'delete') this.store.delete(node, id);
      else this.checks.delete(node, id);
      this.#counts[op.op]++;
      this.#counts.batched++;
      this.#emit('op', { op: op.op, server, agent, node, id, batch: ops.length, at, ok: true });
    }
  }

  #checkSession(sessionId: string): void {
    if (!this.sessions.has(sessionId)) throw new SessionNotFoundError(sessionId);
  }

  #checkSize(entry: Service | Check): void {
    const bytes = Buffer.byteLength(JSON.stringify(entry), 'utf8');
    if (bytes > this.#maxEntryBytes) {
      const kind = 'status' in entry ? 'check' : 'service';
      throw new RefusedWriteError('tooLarge', `${kind} ${entry.id} is ${bytes} bytes, over the servers' limit of ${this.#maxEntryBytes}`, { id: entry.id, kind });
    }
  }

  countNodes(): number {
    return this.sessions.nodeCount;
  }

  /** Grants a session for `node`, refused with NodeConflictError while another live session holds it. */
  grant(node: string, ttlMs: number, agent: string | undefined, server: string): MemorySession {
    const holder = this.sessions.holder(node);
    if (holder) throw new NodeConflictError(node, holder.id);
    const granted = this.sessions.grant(node, ttlMs);
    const client = new MemorySession(this, this.#log, agent, server, granted.id, ttlMs);
    this.#clients.set(granted.id, client);
    return client;
  }

  // --- SessionHost ---------------------------------------------------------------

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
  servers(): Server[] {
    return this.network.servers();
  }

  // --- session ends ----------------------------------------------------------------

  /** A session's entries go with it. */
  ended(session: ServerSession): void {
    this.#clients.delete(session.id);
    this.store.dropSession(session.node, session.id);
    this.checks.dropSession(session.node, session.id);
    if (this.#nodeInfos.get(session.node)?.sessionId === session.id) this.#nodeInfos.delete(session.node);
  }

  expired(session: ServerSession): void {
    this.ended(session);
    this.#log.info({ session: session.id, node: session.node }, 'session expired');
    this.#emit('sessionExpired', { id: session.id, node: session.node, at: clockNow(this.clock) });
  }

  /** Stops every client session's renewal timer and forgets the sessions. */
  close(): void {
    for (const client of this.#clients.values()) client.stopRenewing();
    this.#clients.clear();
    this.sessions.clear();
    this.network.close();
  }
}
