// The backend's member clients: one etcd3 client per member, created on first use
// and closed after `idleCloseMs` without use, then created again on demand. The
// server manager spreads the agents' *choice* of server; without the idle close,
// every member an agent ever used (after a few rebalances: all of them) would keep
// a connection from that agent for the agent's whole life.
import type { Etcd3 } from 'etcd3';
import type { Server } from '../catalog/backend.js';
import { monotonicNow, type Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';

interface Slot {
  client: Etcd3;
  lastUsedMs: number;
}

export interface PoolDeps {
  create: (server: Server) => Etcd3;
  clock: Clock;
  idleCloseMs: number;
  log: Logger;
}

export class MemberPool {
  private readonly slots = new Map<string, Slot>();
  private timer: unknown;
  private timerAtMs = Infinity;
  /** The member the registry's last catalog call went to: the session and the member poll use it first. */
  lastCallServer: string | undefined;

  constructor(private readonly deps: PoolDeps) {}

  /**
   * The client of `server`, opened if needed. Every use counts as activity: a call is
   * bounded by callTimeoutMs, which is shorter than idleCloseMs, so a client is never
   * closed under a call that started on it.
   */
  get(server: Server): Etcd3 {
    const now = monotonicNow(this.deps.clock);
    let slot = this.slots.get(server.name);
    if (slot === undefined) {
      slot = { client: this.deps.create(server), lastUsedMs: now };
      this.slots.set(server.name, slot);
      this.deps.log.debug({ server: server.name }, 'member client opened');
    }
    slot.lastUsedMs = now;
    this.arm(now + this.deps.idleCloseMs);
    return slot.client;
  }

  /** Names of the members with an open client, sorted. */
  openMembers(): string[] {
    return [...this.slots.keys()].sort();
  }

  /** Closes every client (the backend is closing). */
  closeAll(): void {
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAtMs = Infinity;
    for (const [name, slot] of this.slots) this.closeSlot(name, slot);
    this.slots.clear();
  }

  /**
   * One timer for the whole pool, at the earliest moment a client can have gone idle.
   * Times are monotonic; the delay is never more than `idleCloseMs` (a sweep early re-arms).
   */
  private arm(atMs: number): void {
    if (this.timer !== undefined && this.timerAtMs <= atMs) return;
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timerAtMs = atMs;
    this.timer = this.deps.clock.setTimeout(() => this.sweep(), Math.min(this.deps.idleCloseMs, Math.max(0, atMs - monotonicNow(this.deps.clock))));
    // Housekeeping only: it must not keep a process alive that has nothing else to do.
    (this.timer as { unref?: () => void } | undefined)?.unref?.();
  }

  private sweep(): void {
    this.timer = undefined;
    this.timerAtMs = Infinity;
    const now = monotonicNow(this.deps.clock);
    let next = Infinity;
    for (const [name, slot] of [...this.slots]) {
      const idleAt = slot.lastUsedMs + this.deps.idleCloseMs;
      if (idleAt <= now) {
        this.slots.delete(name);
        this.closeSlot(name, slot);
      } else {
        next = Math.min(next, idleAt);
      }
    }
    if (next !== Infinity) this.arm(next);
  }

  private closeSlot(name: string, slot: Slot): void {
    try {
      slot.client.close();
      this.deps.log.debug({ server: name }, 'member client closed');
    } catch (err) {
      this.deps.log.debug({ server: name, err }, 'closing a member client failed');
    }
  }
}
