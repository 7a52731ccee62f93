// The live server list: primaries (from the cluster: addServer, setServers, heartbeats,
// membership) always before backups (setBackupServers, discover), the health of every
// listed server, the cached choice of the server RPCs go to, and the events that report
// changes. Every change goes through here, so the invariants hold on every path:
// primaries before backups; a failed server never chosen while a healthy one exists;
// a draining one never chosen. Inputs arrive checked, copied and filtered.
import { markDraining, markFailed, markJoined, NEVER, rank, recordFailure, recordSuccess, ServerEntry, snapshot } from './health.js';
import { ServerList } from './serverList.js';
import type { HealthCause, HealthState, RemovalReason, Server, ServerHealth, ServerManagerEvents } from './types.js';

/** Counts list rebuilds, so each can mark the entries it keeps. */
let rebuilds = 0;

export type Emit = <K extends keyof ServerManagerEvents>(event: K, payload: ServerManagerEvents[K]) => void;

/** What the roster needs from its manager. */
export interface RosterHost {
  now(): number;
  emit: Emit;
  /** Called once after every operation that changed the list or a health state. */
  changed(): void;
}

export class Roster {
  primaries: ServerList = ServerList.EMPTY;
  backups: ServerList = ServerList.EMPTY;
  /** True at construction and after a rebalance found no server to use. */
  offline = true;
  #chosen: ServerEntry | undefined;
  #usable = 0;
  #healthy = 0;
  #reachable = 0;

  constructor(
    private readonly health: boolean,
    private readonly failureThreshold: number,
    private readonly host: RosterHost,
  ) {}

  /** The entry RPCs go to: best health rank, primaries before backups, list order. O(1). */
  get chosen(): ServerEntry | undefined {
    return this.#chosen;
  }

  get size(): number {
    return this.primaries.size + this.backups.size;
  }

  /** Servers in state `healthy`. */
  get healthy(): number {
    return this.#healthy;
  }

  /**
   * Servers the rate cap divides by. Health on: the reachable ones, healthy or suspect —
   * one lost call leaves a server in the count (it still takes connections); only a
   * failed one leaves it, so a flaky RPC cannot stretch an agent's wait. Health off:
   * every non-draining one (Consul's count).
   */
  get capServers(): number {
    return this.health ? this.#reachable : this.#usable;
  }

  /** The entry called `name` in either group. */
  find(name: string): ServerEntry | undefined {
    return this.primaries.get(name) ?? this.backups.get(name);
  }

  isBackup(entry: ServerEntry): boolean {
    return this.backups.get(entry.server.name) === entry;
  }

  servers(): Server[] {
    const list = this.primaries.servers();
    for (const e of this.backups.entries) list.push(e.server);
    return list;
  }

  snapshot(): ServerHealth[] {
    const now = this.host.now();
    const out = this.primaries.entries.map((e) => snapshot(e, false, now));
    for (const e of this.backups.entries) out.push(snapshot(e, true, now));
    return out;
  }

  // --- list changes -------------------------------------------------------------

  /** A server the cluster names (addServer, membership): refreshed in place, promoted from the backups, or appended. `joined` re-admits it. */
  upsertPrimary(server: Server, joined: boolean): void {
    const name = server.name;
    let primaries = this.primaries;
    let backups = this.backups;
    let entry = primaries.get(name);
    const now = this.host.now();
    let added = false;
    if (entry === undefined) {
      entry = backups.get(name);
      if (entry !== undefined) backups = backups.without(name);
      else {
        entry = new ServerEntry(server, now);
        entry.listed = true;
        added = true;
      }
      primaries = primaries.with(entry);
    }
    entry.server = server;
    const previous = joined ? markJoined(entry, now) : undefined;
    this.#set(primaries, backups);
    if (added) this.host.emit('serverUp', server);
    if (previous !== undefined) this.#reportHealth(entry, previous, 'membership');
    this.#online();
    this.host.changed();
  }

  /** Removes the server called `name` from either group; false when unknown. */
  remove(name: string, reason: RemovalReason): boolean {
    const entry = this.find(name);
    if (entry === undefined) return false;
    entry.listed = false;
    this.#set(this.primaries.without(name), this.backups.without(name));
    this.host.emit('serverRemoved', { server: entry.server, reason });
    this.host.changed();
    return true;
  }

  /**
   * Installs new lists built from this roster's entries (src/servers/merge.ts): an entry
   * of every name that stays, new entries for new names. Reports what entered and left
   * (`reason`), clears offline when `online` says so (default: when a name entered).
   * Returns true when a name entered.
   */
  install(primaries: ServerList, backups: ServerList, reason: RemovalReason, online?: boolean): boolean {
    const grew = this.#rebuild(primaries, backups, reason);
    if (online ?? grew) this.#online();
    this.host.changed();
    return grew;
  }

  /** The server called `name` moved to the back of its group (a failed RPC). */
  rotate(name: string): void {
    const primaries = this.primaries.moveToBack(name);
    const backups = primaries === this.primaries ? this.backups.moveToBack(name) : this.backups;
    if (primaries === this.primaries && backups === this.backups) return;
    this.#set(primaries, backups);
    this.host.changed();
  }

  /** Puts a rebalance's order in place (already reconciled with the live lists). */
  reorder(primaries: ServerList, backups: ServerList): void {
    this.#set(primaries, backups);
    this.host.changed();
  }

  // --- health -------------------------------------------------------------------

  /** A call or ping to `entry` succeeded. Ignored once the entry left the list. */
  succeeded(entry: ServerEntry, cause: HealthCause): void {
    if (!entry.listed) return;
    const previous = recordSuccess(entry, this.host.now());
    if (previous !== undefined) this.#healthChanged(entry, previous, cause);
  }

  /** A call or ping to `entry` failed. Ignored once the entry left the list. */
  failed(entry: ServerEntry, cause: HealthCause): void {
    if (!entry.listed) return;
    const previous = recordFailure(entry, this.host.now(), this.failureThreshold);
    if (previous !== undefined) this.#healthChanged(entry, previous, cause);
  }

  /** The membership layer says `name` failed (serf member-failed); false when unknown. */
  markFailed(name: string): boolean {
    const entry = this.find(name);
    if (entry === undefined) return false;
    const previous = markFailed(entry, this.host.now());
    if (previous !== undefined) this.#healthChanged(entry, previous, 'membership');
    return true;
  }

  /** `name` is going away: never chosen again, moved to the back of its group at once. False when unknown. */
  drain(name: string, cause: HealthCause): boolean {
    const entry = this.find(name);
    if (entry === undefined) return false;
    const previous = markDraining(entry, this.host.now());
    this.#set(this.primaries.moveToBack(name), this.backups.moveToBack(name));
    if (previous !== undefined) this.#reportHealth(entry, previous, cause);
    this.host.changed();
    return true;
  }

  /**
   * One autopilot-style cleanup round: removes servers `failed` for at least `deadMs`,
   * oldest failure first, at most a minority of the list (⌊(n − 1) / 2⌋), and none at
   * all while no server is healthy (then the agent is more likely cut off than every
   * server dead). Returns the number removed.
   */
  removeDead(deadMs: number): number {
    if (this.#healthy === 0) return 0;
    const now = this.host.now();
    const cap = Math.floor((this.size - 1) / 2);
    if (cap < 1) return 0;
    const dead: ServerEntry[] = [];
    for (const list of [this.primaries, this.backups])
      for (const e of list.entries) if (e.state === 'failed' && now - e.since >= deadMs) dead.push(e);
    dead.sort((a, b) => a.since - b.since);
    const removed = dead.slice(0, cap);
    for (const e of removed) this.remove(e.server.name, 'dead');
    return removed.length;
  }

  /** Sets offline; emits `'offline'`/`'online'` when it changed. */
  setOffline(offline: boolean): void {
    if (this.offline === offline) return;
    this.offline = offline;
    this.host.emit(offline ? 'offline' : 'online', undefined);
  }

  // --- internals ------------------------------------------------------------------

  #online(): void {
    this.setOffline(false);
  }

  #healthChanged(entry: ServerEntry, previous: HealthState, cause: HealthCause): void {
    this.#refresh();
    this.#reportHealth(entry, previous, cause);
    this.host.changed();
  }

  #reportHealth(entry: ServerEntry, previous: HealthState, cause: HealthCause): void {
    this.host.emit('healthChanged', { server: entry.server, previous, state: entry.state, cause });
  }

  /**
   * Installs new lists and reports names that entered (`'serverUp'`) and left
   * (`'serverRemoved'` with `reason`) the whole list. Returns true when a name entered.
   * O(n) and without name lookups: the callers reuse the entry of every name that stays,
   * so an entry not listed yet is a name entering, and an old entry the new lists do
   * not mark is a name leaving.
   */
  #rebuild(primaries: ServerList, backups: ServerList, reason: RemovalReason): boolean {
    const before = [this.primaries, this.backups];
    const mark = ++rebuilds;
    const entered: ServerEntry[] = [];
    for (const list of [primaries, backups])
      for (const e of list.entries) {
        e.mark = mark;
        if (!e.listed) entered.push(e);
      }
    const left: ServerEntry[] = [];
    for (const list of before) for (const e of list.entries) if (e.mark !== mark) left.push(e);
    for (const e of entered) e.listed = true;
    for (const e of left) e.listed = false;
    this.#set(primaries, backups);
    for (const e of entered) this.host.emit('serverUp', e.server);
    for (const e of left) this.host.emit('serverRemoved', { server: e.server, reason });
    return entered.length > 0;
  }

  #set(primaries: ServerList, backups: ServerList): void {
    this.primaries = primaries;
    this.backups = backups;
    this.#refresh();
  }

  /** Recomputes the choice and the counts. O(n); stops early only where nothing else is needed. */
  #refresh(): void {
    let chosen: ServerEntry | undefined;
    let best = NEVER;
    let usable = 0;
    let healthy = 0;
    let reachable = 0;
    for (const list of [this.primaries, this.backups]) {
      for (const e of list.entries) {
        const r = rank(e, this.health);
        if (r === NEVER) continue;
        usable++;
        if (e.state === 'healthy') healthy++;
        if (e.state === 'healthy' || e.state === 'suspect') reachable++;
        if (r < best) {
          best = r;
          chosen = e;
        }
      }
    }
    this.#chosen = chosen;
    this.#usable = usable;
    this.#healthy = healthy;
    this.#reachable = reachable;
  }
}
