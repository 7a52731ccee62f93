// The servers' half of MemoryCluster sessions (Chubby's master-side leases): one live
// session per node, each expiring TTL × grace after its grant, its last renewal or the
// last leader failover — never sooner than the TTL the client asked for.
import type { Clock } from '../../shared/clock.js';
import { clampDelay, monotonicNow } from '../../shared/clock.js';

export interface ServerSession {
  readonly id: string;
  readonly node: string;
  readonly ttlMs: number;
  /** Clock time at which the servers drop the session unless something extends it first. */
  expiresAt: number;
  timer: unknown;
}

export class SessionTable {
  private readonly sessions = new Map<string, ServerSession>();
  /** The live session holding each node: a second one is refused (NodeConflictError). */
  private readonly holders = new Map<string, ServerSession>();
  private seq = 0;

  /**
   * `graceFactor` ≥ 1 multiplies every TTL on the server side. `onExpired` runs after
   * an expired session has left the table (the cluster drops its entries).
   */
  constructor(
    private readonly clock: Clock,
    private readonly graceFactor: number,
    private readonly onExpired: (session: ServerSession) => void,
  ) {}

  get size(): number {
    return this.sessions.size;
  }
  /** Nodes holding a live session (the count-only query): O(1). */
  get nodeCount(): number {
    return this.holders.size;
  }
  has(id: string): boolean {
    return this.sessions.has(id);
  }
  /** The live session holding `node`, if any. */
  holder(node: string): ServerSession | undefined {
    return this.holders.get(node);
  }

  /** Grants a session for `node`; the caller checked `holder(node)` first. */
  grant(node: string, ttlMs: number): ServerSession {
    const session: ServerSession = { id: `session-${++this.seq}`, node, ttlMs, expiresAt: 0, timer: undefined };
    this.extend(session);
    this.sessions.set(session.id, session);
    this.holders.set(node, session);
    this.arm(session);
    return session;
  }

  /** A keepalive: false when the servers no longer know the session. */
  renew(id: string): boolean {
    const session = this.sessions.get(id);
    if (!session) return false;
    this.extend(session);
    return true;
  }

  /** A new leader refreshes every lease (etcd and Chubby do): no session expires for TTL × grace from now. */
  failover(): number {
    for (const session of this.sessions.values()) this.extend(session);
    return this.sessions.size;
  }

  /** Ends a session at once; returns it (undefined when unknown). */
  revoke(id: string): ServerSession | undefined {
    const session = this.sessions.get(id);
    if (!session) return undefined;
    this.clock.clearTimeout(session.timer);
    this.remove(session);
    return session;
  }

  /** Stops every expiry timer and forgets every session. */
  clear(): void {
    for (const session of this.sessions.values()) this.clock.clearTimeout(session.timer);
    this.sessions.clear();
    this.holders.clear();
  }

  private extend(session: ServerSession): void {
    session.expiresAt = Math.max(session.expiresAt, monotonicNow(this.clock) + session.ttlMs * this.graceFactor);
  }

  private remove(session: ServerSession): void {
    this.sessions.delete(session.id);
    if (this.holders.get(session.node) === session) this.holders.delete(session.node);
  }

  /** One timer per session at its expiry; extensions only move `expiresAt`, the timer re-arms lazily. */
  private arm(session: ServerSession): void {
    // Clamped: TTL × grace may exceed the longest timer; the lazy re-arm covers the rest.
    const waitMs = clampDelay(Math.min(session.expiresAt - monotonicNow(this.clock), session.ttlMs * this.graceFactor));
    session.timer = this.clock.setTimeout(() => {
      if (this.sessions.get(session.id) !== session) return;
      if (monotonicNow(this.clock) < session.expiresAt) return this.arm(session);
      this.remove(session);
      this.onExpired(session);
    }, waitMs);
  }
}
