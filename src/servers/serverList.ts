// An ordered list of server entries as an immutable value. Every change returns a
// new list (or the same one when nothing changed), so a rebalance can work on a
// snapshot while joins and leaves replace the live list. Entries are identified by
// their server's name. Lookups scan small lists (an agent lists a handful of
// servers) and use a name index, built on first need, for large ones: every
// operation on a list of n servers is O(n), never O(n²). Pure: no I/O, no time.
import type { ServerEntry } from './health.js';
import type { Server } from './types.js';
import { shuffleInPlace } from '../shared/random.js';

/** Lists up to this size are scanned; larger ones get a name index. */
const SCAN_LIMIT = 8;

const NO_ENTRIES: readonly ServerEntry[] = Object.freeze([]);

export class ServerList {
  /** The list with no servers (shared: lists are never mutated). */
  static readonly EMPTY: ServerList = new ServerList(NO_ENTRIES);

  /** A list holding `entries` in that order (the array is taken over, not copied). Names must be unique. */
  static of(entries: ServerEntry[]): ServerList {
    return entries.length === 0 ? ServerList.EMPTY : new ServerList(entries);
  }

  readonly #items: readonly ServerEntry[];
  #index: Map<string, number> | undefined;

  private constructor(items: readonly ServerEntry[]) {
    this.#items = items;
  }

  get size(): number {
    return this.#items.length;
  }

  /** The entries in order. Read-only view of the list's own array: do not keep it past a change. */
  get entries(): readonly ServerEntry[] {
    return this.#items;
  }

  /** Position of the server called `name`, or −1. */
  indexOf(name: string): number {
    const items = this.#items;
    if (items.length > SCAN_LIMIT) {
      let index = this.#index;
      if (index === undefined) {
        index = new Map();
        for (let i = 0; i < items.length; i++) index.set((items[i] as ServerEntry).server.name, i);
        this.#index = index;
      }
      return index.get(name) ?? -1;
    }
    for (let i = 0; i < items.length; i++) if ((items[i] as ServerEntry).server.name === name) return i;
    return -1;
  }

  has(name: string): boolean {
    return this.indexOf(name) >= 0;
  }

  get(name: string): ServerEntry | undefined {
    const i = this.indexOf(name);
    return i < 0 ? undefined : this.#items[i];
  }

  /** This list with `entry` appended (its name must be new to the list). */
  with(entry: ServerEntry): ServerList {
    // A spread allocates exactly n + 1 slots; slice() + push() would leave ~16 spare (a fleet pays them per list).
    return new ServerList([...this.#items, entry]);
  }

  /** Without the server called `name`; the same list when it is unknown. */
  without(name: string): ServerList {
    const i = this.indexOf(name);
    if (i < 0) return this;
    if (this.#items.length === 1) return ServerList.EMPTY;
    const next = this.#items.slice();
    next.splice(i, 1);
    return new ServerList(next);
  }

  /** The server called `name` moved to the back; the same list when it is unknown or already last. */
  moveToBack(name: string): ServerList {
    const i = this.indexOf(name);
    const items = this.#items;
    if (i < 0 || i === items.length - 1) return this;
    return new ServerList([...items.slice(0, i), ...items.slice(i + 1), items[i] as ServerEntry]);
  }

  /** Keeps the entries for which `keep` is true, in order; the same list when all are kept. */
  filter(keep: (entry: ServerEntry) => boolean): ServerList {
    const next = this.#items.filter(keep);
    if (next.length === this.#items.length) return this;
    return ServerList.of(next);
  }

  /** A copy in a random order (Fisher–Yates driven by `random`). */
  shuffled(random: () => number): ServerList {
    if (this.#items.length < 2) return this;
    return new ServerList(shuffleInPlace(this.#items.slice(), random));
  }

  /**
   * This list's order merged with `live`, the list as it is now: servers still live
   * keep this list's order and take the live entry; servers only in `live` are
   * appended in live order; servers no longer live are dropped. O(n).
   */
  reconcile(live: ServerList): ServerList {
    const next: ServerEntry[] = [];
    for (const entry of this.#items) {
      const current = live.get(entry.server.name);
      if (current !== undefined) next.push(current);
    }
    for (const entry of live.#items) if (!this.has(entry.server.name)) next.push(entry);
    return ServerList.of(next);
  }

  /** True when both lists hold exactly the same names, in any order. */
  sameNames(other: ServerList): boolean {
    if (other.size !== this.size) return false;
    for (const entry of this.#items) if (!other.has(entry.server.name)) return false;
    return true;
  }

  /** The names, in order (for logs and tests). */
  names(): string[] {
    return this.#items.map((e) => e.server.name);
  }

  /** A fresh array of the servers, in order; callers may mutate it. */
  servers(): Server[] {
    return this.#items.map((e) => e.server);
  }
}
