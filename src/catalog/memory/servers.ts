// The serving side of a MemoryCluster: the in-process servers' network, shared store and
// session table, and the one path every remote operation takes (reach the server for the
// agent, wait out latency, apply, count, report). Connections and client sessions use
// it; the public MemoryCluster drives its faults. Not exported from the package.
import type { Service } from '../backend.js';
import type { Server } from '../../servers/types.js';
import { abortReason } from '../../shared/abort.js';
import { type Clock, clockNow } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import { NodeConflictError, SessionNotFoundError } from '../errors.js';
import type { MemoryNetwork } from './network.js';
import { MemorySession, type SessionHost } from './session.js';
import type { ServerSession, SessionTable } from './sessionTable.js';
import type { EntryStore } from './store.js';
import type { MemoryClusterEvents, MemoryOp } from './types.js';

export interface MemoryServersParts {
  clock: Clock;
  log: Logger;
  network: MemoryNetwork;
  store: EntryStore;
  sessions: SessionTable;
  latency: (op: MemoryOp, server: string) => number;
  emit: <K extends keyof MemoryClusterEvents>(event: K, payload: MemoryClusterEvents[K]) => void;
}

export class MemoryServers implements SessionHost {
  readonly clock: Clock;
  readonly network: MemoryNetwork;
  readonly store: EntryStore;
  readonly sessions: SessionTable;
  readonly #log: Logger;
  readonly #latency: (op: MemoryOp, server: string) => number;
  readonly #emit: MemoryServersParts['emit'];
  /** Client halves of live sessions, so close() can stop their renewal timers. */
  readonly #clients = new Map<string, MemorySession>();
  readonly #counts: Record<MemoryOp | 'failed', number> = { list: 0, put: 0, delete: 0, count: 0, ping: 0, openSession: 0, failed: 0 };

  constructor(parts: MemoryServersParts) {
    this.clock = parts.clock;
    this.#log = parts.log;
    this.network = parts.network;
    this.store = parts.store;
    this.sessions = parts.sessions;
    this.#latency = parts.latency;
    this.#emit = parts.emit;
  }

  /** Reaches `server` for `agent` (waiting out freezes/partitions), applies latency, then `apply`. */
  async exec<T>(server: string, agent: string | undefined, op: MemoryOp, signal: AbortSignal, apply: () => T, node?: string, id?: string): Promise<T> {
    try {
      if (signal.aborted) throw abortReason(signal);
      await this.network.reach(server, agent, signal);
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

  /** Operation counts since construction (completed ones per op, plus failed). */
  counts(): Readonly<Record<MemoryOp | 'failed', number>> {
    return { ...this.#counts };
  }

  put(node: string, service: Service, sessionId: string): void {
    if (!this.sessions.has(sessionId)) throw new SessionNotFoundError(sessionId);
    this.store.put(node, service, sessionId);
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
