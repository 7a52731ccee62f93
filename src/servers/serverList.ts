// The ordered list of servers a manager sends its RPCs to, as an immutable value.
// Every change returns a new list (or the same one when nothing changed), so a
// rebalance can work on a snapshot while joins and leaves replace the live list.
// Servers are identified by `name` only. Pure: no I/O, no time, no global random.
import type { Server } from './types.js';
import { shuffleInPlace } from '../shared/random.js';

const EMPTY_ITEMS: readonly Server[] = Object.freeze([]);

export class ServerList {
  /** The list with no servers (shared: lists are never mutated). */
  static readonly EMPTY: ServerList = new ServerList(EMPTY_ITEMS);

  /** A list holding `servers` in that order. Names must be unique (not checked here). */
  static of(servers: readonly Server[]): ServerList {
    return servers.length === 0 ? ServerList.EMPTY : new ServerList(servers.slice());
  }

  private constructor(private readonly items: readonly Server[]) {}

  get size(): number {
    return this.items.length;
  }

  /** The server RPCs go to: O(1), allocates nothing (the RPC hot path). */
  front(): Server | undefined {
    return this.items[0];
  }

  at(index: number): Server | undefined {
    return this.items[index];
  }

  /** Position of the server called `name`, or −1. Linear: lists hold a handful of servers. */
  indexOf(name: string): number {
    const items = this.items;
    for (let i = 0; i < items.length; i++) if ((items[i] as Server).name === name) return i;
    return -1;
  }

  has(name: string): boolean {
    return this.indexOf(name) >= 0;
  }

  get(name: string): Server | undefined {
    const i = this.indexOf(name);
    return i < 0 ? undefined : this.items[i];
  }

  /** The front server moved to the back; the same list when it holds fewer than two. */
  rotate(): ServerList {
    const items = this.items;
    if (items.length < 2) return this;
    const next = items.slice(1);
    next.push(items[0] as Server);
    return new ServerList(next);
  }

  /**
   * `server` put in place of the known server with its name (same position, new
   * details), or appended when its name is unknown.
   */
  upsert(server: Server): ServerList {
    const i = this.indexOf(server.name);
    const next = this.items.slice();
    if (i < 0) next.push(server);
    else next[i] = server;
    return new ServerList(next);
  }

  /** Without the server called `name`; the same list when it is unknown. */
  remove(name: string): ServerList {
    const i = this.indexOf(name);
    if (i < 0) return this;
    if (this.items.length === 1) return ServerList.EMPTY;
    const next = this.items.slice();
    next.splice(i, 1);
    return new ServerList(next);
  }

  /** Keeps the servers for which `keep` is true, in order; the same list when all are kept. */
  filter(keep: (server: Server) => boolean): ServerList {
    const next = this.items.filter(keep);
    if (next.length === this.items.length) return this;
    return next.length === 0 ? ServerList.EMPTY : new ServerList(next);
  }

  /** This list followed by the servers of `other` whose names it does not hold. */
  concat(other: ServerList): ServerList {
    if (other.size === 0) return this;
    if (this.size === 0) return other;
    const next = this.items.slice();
    for (const s of other.items) if (!this.has(s.name)) next.push(s);
    return new ServerList(next);
  }

  /** A copy in a random order (Fisher–Yates driven by `random`). */
  shuffled(random: () => number): ServerList {
    if (this.items.length < 2) return this;
    return new ServerList(shuffleInPlace(this.items.slice(), random));
  }

  /**
   * Merges this list — a rebalance's shuffled, ping-rotated snapshot — with
   * `live`, the list as it is now after joins and leaves that happened during
   * the pings. Servers still live keep this list's order and take the live
   * details; servers that joined meanwhile are appended in live order; servers
   * that left are dropped. Returns `undefined` when this list's front server
   * (the one the rebalance chose) is no longer live: the caller then keeps
   * `live` as it is ("freeze in place") until the next rebalance.
   */
  reconcile(live: ServerList): ServerList | undefined {
    const chosen = this.items[0];
    if (chosen === undefined || !live.has(chosen.name)) return undefined;
    const next: Server[] = [];
    for (const s of this.items) {
      const current = live.get(s.name);
      if (current !== undefined) next.push(current);
    }
    for (const s of live.items) if (!this.has(s.name)) next.push(s);
    return new ServerList(next);
  }

  /** True when both lists hold exactly the same names, in any order. */
  sameNames(other: ServerList): boolean {
    if (other.size !== this.size) return false;
    for (const s of this.items) if (!other.has(s.name)) return false;
    return true;
  }

  /** The names, in order (for logs and tests). */
  names(): string[] {
    return this.items.map((s) => s.name);
  }

  /** A fresh array of the servers, in order; callers may mutate it. */
  toArray(): Server[] {
    return this.items.slice();
  }
}
