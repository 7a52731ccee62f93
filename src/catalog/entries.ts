// The registry's local entries and the two indexes a sync pass needs without
// walking them all: the dirty set (what a partial sync writes) and the blocked
// set (entries the servers refused, retried only by full syncs).
import type { Check, NodeInfo, Service } from './backend.js';

/** What an entry holds: a service, a health check, or the node's info (each its own table, its own ids). */
export type EntryKind = 'service' | 'check' | 'node';
import { byId } from './diff.js';

/** Why and since when an entry is quarantined. */
export interface Blocked {
  reason: string;
  /** Clock time (ms) of the first refusal of the current content. */
  since: number;
}

/** One local catalog entry. */
export interface Entry {
  kind: EntryKind;
  id: string;
  /** undefined: deregistered, a delete is still owed to the servers (a tombstone). */
  value: Service | Check | NodeInfo | undefined;
  /** A write is owed to the servers (blocked entries included). */
  dirty: boolean;
  /** Bumped on every local change, so a write that raced a change leaves the entry dirty. */
  version: number;
  /** Session the last successful put attached the entry to. */
  writtenSession: string | undefined;
  /** Passes in a row in which this entry's write failed; reset by a success or new content. */
  failedPasses: number;
  /** Set while the servers refuse this content (quarantine): only full syncs retry it. */
  blocked: Blocked | undefined;
  /**
   * The user changed it since it was last in sync: its write goes before any bulk
   * rewrite and is not held to the agent's share of the write cap (writeCap.ts).
   */
  urgent: boolean;
}

export class EntryTable {
  constructor(readonly kind: EntryKind) {}
  readonly byId = new Map<string, Entry>();
  /** Dirty and not blocked: what a partial sync writes. Kept as a set so a partial sync is O(dirty). */
  private readonly dirty = new Set<Entry>();
  private readonly blockedSet = new Set<Entry>();

  get(id: string): Entry | undefined {
    return this.byId.get(id);
  }

  /** A fresh entry (clean, version 0) for `id`. */
  create(id: string): Entry {
    const entry: Entry = { kind: this.kind, id, value: undefined, dirty: false, version: 0, writtenSession: undefined, failedPasses: 0, blocked: undefined, urgent: false };
    this.byId.set(id, entry);
    return entry;
  }

  /** Forgets a tombstone whose delete landed (or was never owed). */
  remove(entry: Entry): void {
    if (this.byId.get(entry.id) === entry) this.byId.delete(entry.id);
    this.dirty.delete(entry);
    this.blockedSet.delete(entry);
  }

  markDirty(entry: Entry): void {
    entry.dirty = true;
    if (!entry.blocked) this.dirty.add(entry);
  }

  markClean(entry: Entry): void {
    entry.dirty = false;
    entry.urgent = false;
    this.dirty.delete(entry);
  }

  block(entry: Entry, blocked: Blocked): void {
    entry.blocked = blocked;
    entry.dirty = true;
    this.dirty.delete(entry);
    this.blockedSet.add(entry);
  }

  /** Lifts the quarantine; the entry keeps its dirty state (and joins the dirty set if it owes a write). */
  unblock(entry: Entry): void {
    if (!entry.blocked) return;
    entry.blocked = undefined;
    this.blockedSet.delete(entry);
    if (entry.dirty) this.dirty.add(entry);
  }

  /** Dirty, unblocked ids, sorted: O(dirty log dirty), never a walk of every entry. */
  dirtyIds(): string[] {
    return this.dirtyEntries().map((e) => e.id);
  }

  /** Dirty, unblocked entries, sorted by id. */
  dirtyEntries(): Entry[] {
    return [...this.dirty].sort((a, b) => byId(a.id, b.id));
  }

  get dirtyCount(): number {
    return this.dirty.size;
  }

  get blockedCount(): number {
    return this.blockedSet.size;
  }

  blocked(): Entry[] {
    return [...this.blockedSet].sort((a, b) => byId(a.id, b.id));
  }
}
