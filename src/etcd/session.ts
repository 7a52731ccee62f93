// A node's registration session: an etcd lease renewed by our own keepalive
// loop. The loop renews through any member (the registry's current one first), so
// losing one member does not lose the lease; each attempt is bounded. Chubby-style,
// the lease is granted for TTL × grace (the server side) and the client gives the
// session up after one TTL without a successful renewal, so it re-registers before
// etcd could have dropped its entries; etcd says the lease is gone → lost at once.
import type { Etcd3 } from 'etcd3';
import type { NodeSession } from '../catalog/backend.js';
import type { Clock } from '../shared/clock.js';
import { monotonicNow } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { isSessionLostError, SessionLostError } from '../catalog/errors.js';
import { boundedCall } from './client.js';
import { LOST_AFTER_TTLS } from './lostAfter.js';

const never = new AbortController().signal;

export interface SessionDeps {
  /** Member clients to renew/revoke through, `preferred` (a server name) among the first; opened only when called. */
  clients: (preferred: string) => Array<{ name: string; client: () => Etcd3 }>;
  /** The server the lease was granted through: the first one tried. */
  grantedVia: string;
  callTimeoutMs: number;
  clock: Clock;
  log: Logger;
  /** Called once when the session ends (closed or lost), so the backend forgets it. */
  onEnd: (session: EtcdSession) => void;
  /**
   * The revoke was acknowledged, with this response: it is a write of the node (its
   * entries leave), so later stale reads must not be older than it (the read floor).
   */
  revoked?: (response: unknown) => void;
}

export { LOST_AFTER_TTLS };

export { SessionLostError, isSessionLostError };

/** Renews once through `client`; resolves the TTL etcd reports (≤ 0: lease gone). */
function keepAliveOnce(client: Etcd3, id: string, timeoutMs: number, clock: Clock): Promise<number> {
  // Opening the stream is bounded too (it may wait for a connection): the whole attempt costs at most about two bounds.
  return boundedCall(never, timeoutMs, (o) => client.leaseClient.leaseKeepAlive(o), clock).then(
    (stream) =>
      new Promise<number>((resolve, reject) => {
        let settled = false;
        const finish = (fn: () => void): void => {
          if (settled) return;
          settled = true;
          clock.clearTimeout(timer);
          try {
            stream.cancel();
          } catch {
            // already closed
          }
          fn();
        };
        const timer = clock.setTimeout(() => finish(() => reject(new Error(`lease keepalive timed out after ${timeoutMs} ms`))), timeoutMs);
        stream.on('error', (err) => finish(() => reject(err)));
        stream.on('data', (res) => finish(() => resolve(Number(res.TTL))));
        stream.write({ ID: id });
      }),
  );
}

export class EtcdSession implements NodeSession {
  private readonly listeners: Array<(err: unknown) => void> = [];
  private ended = false;
  private lostError: unknown;
  private timer: unknown;
  /** Fires LOST_AFTER_TTLS TTLs after the last successful renewal, even while an attempt is still running. */
  private lossTimer: unknown;
  /** Monotonic time (`monotonicNow`) of the last successful renewal: a wall-clock step neither ages nor rejuvenates it. */
  private lastRenewMs: number;
  private renewing: Promise<void> | undefined;
  /** The member the last renewal went through; tried first next time, so a dead member costs one attempt, not one per renewal. */
  private preferred: string;
  /** Members whose last attempt failed: tried after the others, so a frozen member does not cost every renewal a deadline. */
  private readonly failing = new Set<string>();

  constructor(
    readonly id: string,
    readonly node: string,
    readonly ttlMs: number,
    private readonly deps: SessionDeps,
  ) {
    this.lastRenewMs = monotonicNow(deps.clock);
    this.preferred = deps.grantedVia;
    this.armLoss();
    this.schedule();
  }

  private armLoss(): void {
    if (this.lossTimer !== undefined) this.deps.clock.clearTimeout(this.lossTimer);
    this.lossTimer = this.deps.clock.setTimeout(() => {
      this.lossTimer = undefined;
      this.giveUpIfSilent();
    }, LOST_AFTER_TTLS * this.ttlMs);
  }

  get closed(): boolean {
    return this.ended;
  }

  onLost(listener: (err: unknown) => void): void {
    if (this.lostError !== undefined) {
      const err = this.lostError;
      // Late listeners run like the others: a throw is logged, never escapes to the process.
      queueMicrotask(() => this.callListener(listener, err));
      return;
    }
    if (!this.ended) this.listeners.push(listener);
  }

  /** Marks the session lost (e.g. a put was refused because the lease is gone). */
  markLost(err: unknown): void {
    if (this.ended) return;
    this.end();
    this.lostError = err;
    this.deps.log.warn({ session: this.id, node: this.node, err }, 'session lost');
    for (const listener of this.listeners.splice(0)) this.callListener(listener, err);
  }

  private callListener(listener: (err: unknown) => void, err: unknown): void {
    try {
      listener(err);
    } catch (listenerErr) {
      this.deps.log.error({ err: listenerErr }, 'session lost listener threw');
    }
  }

  async close(): Promise<void> {
    if (this.ended) return;
    this.end();
    await this.renewing?.catch(() => undefined);
    // Revoke through the first member that answers, each attempt bounded.
    for (const { client } of this.deps.clients(this.preferred)) {
      try {
        const response = await boundedCall(never, this.deps.callTimeoutMs, (o) => client().leaseClient.leaseRevoke({ ID: this.id }, o), this.deps.clock);
        this.deps.revoked?.(response);
        return;
      } catch (err) {
        if (/lease not found/i.test(String((err as Error).message))) return;
        this.deps.log.debug({ session: this.id, err }, 'lease revoke failed on one member');
      }
    }
    this.deps.log.warn({ session: this.id }, 'could not revoke lease; it expires with its TTL');
  }

  private end(): void {
    this.ended = true;
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    if (this.lossTimer !== undefined) this.deps.clock.clearTimeout(this.lossTimer);
    this.timer = undefined;
    this.lossTimer = undefined;
    this.deps.onEnd(this);
  }

  /** Renew every TTL/3 (the official Go client's cadence). */
  private schedule(): void {
    if (this.ended) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      this.renewing = this.renew().finally(() => {
        this.renewing = undefined;
        this.schedule();
      });
    }, Math.max(1, Math.floor(this.ttlMs / 3)));
  }

  private async renew(): Promise<void> {
    const attemptMs = Math.min(this.deps.callTimeoutMs, Math.max(1, Math.floor(this.ttlMs / 3)));
    const candidates = this.deps.clients(this.preferred);
    const ordered = [...candidates.filter((c) => !this.failing.has(c.name)), ...candidates.filter((c) => this.failing.has(c.name))];
    for (const { name, client } of ordered) {
      if (this.ended || this.giveUpIfSilent()) return;
      try {
        const ttlSec = await keepAliveOnce(client(), this.id, attemptMs, this.deps.clock);
        if (this.ended) return;
        if (ttlSec <= 0) {
          this.markLost(new SessionLostError(`lease ${this.id} of node ${this.node} expired or was revoked`));
          return;
        }
        this.lastRenewMs = monotonicNow(this.deps.clock);
        this.armLoss();
        this.preferred = name;
        this.failing.delete(name);
        return;
      } catch (err) {
        this.failing.add(name);
        this.deps.log.debug({ session: this.id, err }, 'lease keepalive failed on one member');
      }
    }
    this.giveUpIfSilent();
  }

  /** Marks the session lost once no renewal has succeeded for LOST_AFTER_TTLS TTLs; true if it did. */
  private giveUpIfSilent(): boolean {
    const silentMs = monotonicNow(this.deps.clock) - this.lastRenewMs;
    if (this.ended || silentMs < LOST_AFTER_TTLS * this.ttlMs) return false;
    this.markLost(new SessionLostError(`lease ${this.id} of node ${this.node} not renewed for ${silentMs} ms (TTL ${this.ttlMs} ms)`));
    return true;
  }
}
