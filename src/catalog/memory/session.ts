// The client half of a MemoryCluster session: renews every TTL/3 through any server
// the agent can reach, and reports the loss when the servers no longer know it or
// when no renewal succeeded for a whole TTL (etcd's keepalive behaves the same way).
import type { NodeSession } from '../backend.js';
import { type Clock, monotonicNow } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import { SessionLostError, SessionNotFoundError } from '../errors.js';

/** What a client session needs from its cluster. */
export interface SessionHost {
  readonly clock: Clock;
  /** A server `agent` can reach now without waiting, preferring `preferred`; undefined when none. */
  reachableNow(agent: string | undefined, preferred: string): string | undefined;
  /** Keepalive: false when the servers no longer know the session. */
  renewNow(id: string): boolean;
  revokeNow(id: string): void;
}

/**
 * The client gives up after one TTL without a successful renewal, while the servers
 * keep the session for TTL × grace: the agent learns of a loss before its entries can
 * have vanished, never after (Chubby's conservative client-side lease).
 */
export class MemorySession implements NodeSession {
  private readonly listeners: Array<(err: unknown) => void> = [];
  private timer: unknown;
  private lastRenewedAt: number;
  private lostError: Error | undefined;
  private closed = false;

  constructor(
    private readonly host: SessionHost,
    private readonly log: Logger,
    private readonly agent: string | undefined,
    private readonly server: string,
    readonly id: string,
    private readonly ttlMs: number,
  ) {
    this.lastRenewedAt = monotonicNow(host.clock);
    this.schedule();
  }

  get lost(): boolean {
    return this.lostError !== undefined;
  }

  onLost(listener: (err: unknown) => void): void {
    const err = this.lostError;
    if (err === undefined) {
      this.listeners.push(listener);
      return;
    }
    // Late: called on a microtask, so outside any try of the caller's; a throw must
    // be caught here or it would crash the process.
    queueMicrotask(() => this.notify(listener, err));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopRenewing();
    if (this.lostError) return;
    // Best effort and never waits: if no server is reachable the TTL removes the entries.
    if (this.host.reachableNow(this.agent, this.server) !== undefined) this.host.revokeNow(this.id);
  }

  stopRenewing(): void {
    this.host.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = this.host.clock.setTimeout(() => this.renew(), Math.max(1, Math.floor(this.ttlMs / 3)));
  }

  private renew(): void {
    if (this.closed || this.lostError) return;
    const now = monotonicNow(this.host.clock);
    if (this.host.reachableNow(this.agent, this.server) !== undefined) {
      if (!this.host.renewNow(this.id)) return this.markLost(new SessionLostError(`session ${this.id} expired on the servers`, { cause: new SessionNotFoundError(this.id) }));
      this.lastRenewedAt = now;
    } else if (now - this.lastRenewedAt >= this.ttlMs) {
      return this.markLost(new SessionLostError(`session ${this.id} could not be renewed for ${this.ttlMs} ms`));
    }
    this.schedule();
  }

  private markLost(err: Error): void {
    this.lostError = err;
    this.stopRenewing();
    for (const listener of this.listeners.splice(0)) this.notify(listener, err);
  }

  /** One listener's failure must stop neither the others nor the process. */
  private notify(listener: (err: unknown) => void, err: Error): void {
    try {
      listener(err);
    } catch (listenerErr) {
      this.log.error({ err: listenerErr, session: this.id }, 'a session onLost listener threw');
    }
  }
}
