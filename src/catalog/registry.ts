// The local service catalog an agent owns, and its anti-entropy SyncState: a full
// sync diffs the node's remote entries against the local ones and writes only the
// differences (syncPass.ts); a partial sync pushes only what changed locally.
import type { Check, CheckStatus, NodeInfo, NodeSession, Service } from './backend.js';
import { MAX_SERVICES, servicesEqual, validateService, validateServiceId } from './validate.js';
import { type Clock, monotonicNow } from '../shared/clock.js';
import { usableClusterSize } from '../shared/clusterSize.js';
import { StoppedError } from '../shared/errors.js';
import { CatalogSyncError, type EntryFailure, RefusedWriteError, isRefusedWriteError, type RefusalReason } from './errors.js';
import { type Logger, componentLogger } from '../shared/logger.js';
import { byId, diffCatalog } from './diff.js';
import { EntryTable, type Entry } from './entries.js';
import { Quarantine } from './quarantine.js';
import { CheckBook, type CheckRegistration } from './checkBook.js';
import { checksEqual, nodeInfoEqual, validateNodeInfo } from './validateCheck.js';
import { callRemote, type RemoteCall } from './remoteCall.js';
import { callRetrying, type RetryCaller } from './retryCall.js';
import { resolveRegistryOptions, type ServerCaller, type ServiceRegistryOptions, type SyncTriggers } from './registryOptions.js';
import { SessionKeeper } from './sessionKeeper.js';
import { applyWrites, type SyncPassDeps } from './syncPass.js';
import { WritePacer } from './writePacer.js';

export type { CheckRegistration };
export { CatalogSyncError, RefusedWriteError, isRefusedWriteError, diffCatalog, type EntryFailure, type RefusalReason, type ServerCaller, type ServiceRegistryOptions, type SyncTriggers };

/** A quarantined entry, as `stats().blockedEntries` lists it. */
export interface BlockedEntry {
  id: string;
  kind: 'service' | 'check' | 'node';
  /** Why: the refusal (`permission: …`, `tooLarge: …`, `invalid: …`) or `failed N passes in a row: …`. */
  reason: string;
  /** Clock time (ms) of the first refusal of the current content. */
  since: number;
}

/** Counters for status views and tests. */
export interface RegistryStats {
  services: number;
  /** Entries a partial sync would write (quarantined ones not included). */
  dirty: number;
  /** Quarantined entries: refused by the servers, retried once per full sync. */
  blocked: number;
  /** The quarantined entries, sorted by id. */
  blockedEntries: BlockedEntry[];
  /** Registered health checks. */
  checks: number;
  /** Checks a partial sync would write. */
  dirtyChecks: number;
  /** Checks whose output-only change waits for its deferred write (`checkUpdateInterval`). */
  deferredChecks: number;
  /** Entries written, services and checks (each op of a batch counts). */
  puts: number;
  deletes: number;
  /** Remote write calls that carried more than one op. */
  batches: number;
  /** Failed write calls (a failed batch counts once). */
  failedWrites: number;
  /**
   * syncFull passes started, each counted once whether it succeeds or fails. Not the
   * syncer's `stats().fullSyncs`, which counts only successful full syncs.
   */
  fullSyncPasses: number;
  /** syncChanges passes started (successful or not, with or without anything to write). */
  partialSyncPasses: number;
  sessionsOpened: number;
  sessionsLost: number;
  /** Session opens refused because another live session held this node name (NodeConflictError). */
  nodeConflicts: number;
  session: string | undefined;
  clusterSize: number;
}

/** Servers the write cap divides by: the caller's count when it gives one (at least 1), else 1. */
function reachable(servers: ServerCaller): number {
  let n: unknown;
  try {
    n = servers.reachableServers?.();
  } catch {
    return 1;
  }
  return typeof n === 'number' && n >= 1 && Number.isFinite(n) ? Math.floor(n) : 1;
}

/** Local catalog + SyncState. Give it to a StateSyncer as `state`, then `attach(syncer)`. */
export class ServiceRegistry {
  readonly node: string;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly refreshMs: number;
  private readonly readAttempts: number;
  private readonly caller: RetryCaller;
  private readonly pass: SyncPassDeps;
  private readonly sessions: SessionKeeper;
  private readonly pacer: WritePacer;
  private readonly table = new EntryTable('service');
  private readonly checkTable = new EntryTable('check');
  private readonly nodeTable = new EntryTable('node');
  private readonly quarantine: Quarantine;
  private readonly checkBook: CheckBook;
  private liveCount = 0;
  private triggers: SyncTriggers | undefined;
  private closed = false;
  private readonly background = new AbortController();
  private cachedClusterSize = 1;
  private lastRefreshMs = -Infinity;
  private refreshing = false;
  private readonly counters = { puts: 0, deletes: 0, batches: 0, failedWrites: 0, fullSyncPasses: 0, partialSyncPasses: 0, sessionsOpened: 0, sessionsLost: 0, nodeConflicts: 0 };

  constructor(options: ServiceRegistryOptions) {
    const o = resolveRegistryOptions(options);
    this.node = o.node;
    this.clock = o.clock;
    this.refreshMs = o.clusterSizeRefreshMs;
    this.readAttempts = o.readAttempts;
    // Without a logger, every registry shares one silent logger: a simulation of ten
    // thousand agents must not build ten thousand pino instances.
    this.log = options.logger ? componentLogger(options.logger, 'registry').child({ node: this.node }) : componentLogger(undefined, 'registry');
    this.triggers = options.syncer;
    this.caller = { servers: o.servers, backend: o.backend, clock: o.clock, callTimeoutMs: o.callTimeoutMs, random: o.random };
    const remote = <T>(signal: AbortSignal, call: RemoteCall<T>): Promise<T> => callRemote(this.caller, signal, call);
    // A session open changes state on the servers: retried on another server only when the
    // backend says the error proves it never applied (a second grant would leave a stray
    // session holding the node name). Entry writes are idempotent and have writeAttempts.
    const { backend } = o;
    const openRemote = <T>(signal: AbortSignal, call: RemoteCall<T>): Promise<T> =>
      callRetrying(this.caller, signal, call, (error) => backend.notApplied?.(error) === true);
    const { node, table, checkTable, nodeTable, counters, log } = this;
    const tables = { service: table, check: checkTable, node: nodeTable };
    this.quarantine = new Quarantine(tables, { blockAfterFailures: o.blockAfterFailures, warnIntervalMs: o.blockedWarnIntervalMs, clock: o.clock, log });
    const { quarantine } = this;
    this.checkBook = new CheckBook({
      table: checkTable,
      clock: o.clock,
      random: o.random,
      intervalMs: o.checkUpdateIntervalMs,
      changed: (entry) => this.markChanged(entry),
      hasService: (id) => this.table.get(id)?.value !== undefined,
    });
    const { servers } = o;
    this.pacer = new WritePacer({
      settings: { writesPerSecPerServer: o.writesPerSecPerServer, writeBurst: o.writeBurst },
      clock: o.clock,
      random: o.random,
      // The cached size (the syncer keeps it fresh): reading it here sends no count query.
      counts: () => ({ nodes: this.cachedClusterSize, servers: reachable(servers) }),
      wake: () => this.triggers?.syncChanges.trigger(),
      log,
    });
    const { pacer } = this;
    this.pass = { node, tables, quarantine, counters, log, remote, pacer, maxConsecutiveFailures: o.maxConsecutiveFailures, writeAttempts: o.writeAttempts, maxBatchOps: o.maxBatchOps };
    this.sessions = new SessionKeeper({ node, ttlMs: o.sessionTtlMs, backend: o.backend, clock: o.clock, log, counters, remote: openRemote, onLost: () => this.sessionLost() });
  }

  /**
   * Sets what the catalog records about this node (address, meta), written first in
   * every full sync and in the next partial sync when it changed. True when it changed;
   * TypeError/RangeError before changing anything.
   */
  setNodeInfo(info: NodeInfo): boolean {
    if (this.closed) throw new StoppedError('registry is closed');
    const valid = validateNodeInfo(info);
    const entry = this.nodeTable.get(this.node) ?? this.nodeTable.create(this.node);
    if (entry.value && nodeInfoEqual(entry.value as NodeInfo, valid)) return false;
    entry.value = valid;
    this.markChanged(entry);
    return true;
  }

  /** The node info set with `setNodeInfo`, if any. */
  nodeInfo(): NodeInfo | undefined {
    return this.nodeTable.get(this.node)?.value as NodeInfo | undefined;
  }

  /** Connects the syncer whose triggers local changes and session loss pull. */
  attach(syncer: SyncTriggers): this {
    this.triggers = syncer;
    return this;
  }

  // --- the local catalog ---------------------------------------------------------

  /**
   * Adds or replaces a service; true when something changed (then it is dirty and a
   * partial sync is triggered). Throws TypeError/RangeError before changing anything.
   */
  register(service: Service): boolean {
    if (this.closed) throw new StoppedError('registry is closed');
    const valid = validateService(service);
    let entry = this.table.get(valid.id);
    const previous = entry?.value as Service | undefined;
    if (previous && servicesEqual(previous, valid)) return false;
    if (!previous && this.liveCount >= MAX_SERVICES) {
      throw new RangeError(`registry holds at most ${MAX_SERVICES} services; refusing ${JSON.stringify(valid.id)}`);
    }
    entry ??= this.table.create(valid.id);
    if (!previous) this.liveCount++;
    entry.value = valid;
    this.markChanged(entry);
    return true;
  }

  /**
   * Removes a service and the checks bound to it; true when it was registered (then
   * the deletes are owed and a partial sync triggered).
   */
  deregister(id: string): boolean {
    if (this.closed) throw new StoppedError('registry is closed');
    validateServiceId(id);
    const entry = this.table.get(id);
    if (!entry?.value) return false;
    this.checkBook.deregisterBound(id);
    entry.value = undefined;
    this.liveCount--;
    this.markChanged(entry);
    return true;
  }

  /**
   * Adds or replaces a health check (bound to a registered service when `serviceId` is
   * set); true when something changed (then it is written by a partial sync). Throws
   * TypeError/RangeError before changing anything.
   */
  registerCheck(check: CheckRegistration): boolean {
    if (this.closed) throw new StoppedError('registry is closed');
    return this.checkBook.register(check);
  }

  /**
   * New status (and output) of a check. A status change is written by a partial sync at
   * once; an output-only change waits up to `checkUpdateInterval` (the first output does
   * not wait). True when something changed; RangeError for an unknown id.
   */
  updateCheck(id: string, status: CheckStatus, output?: string): boolean {
    if (this.closed) throw new StoppedError('registry is closed');
    return this.checkBook.update(id, status, output);
  }

  /** Removes a check; true when it was registered (then a delete is owed and a partial sync triggered). */
  deregisterCheck(id: string): boolean {
    if (this.closed) throw new StoppedError('registry is closed');
    return this.checkBook.deregister(id);
  }

  /** The registered checks, sorted by id (frozen objects), with their local (possibly not yet written) output. */
  checks(): Check[] {
    const list: Check[] = [];
    for (const entry of this.checkTable.byId.values()) if (entry.value) list.push(entry.value as Check);
    return list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  getCheck(id: string): Check | undefined {
    return this.checkTable.get(id)?.value as Check | undefined;
  }

  /** Check ids a partial sync would write, sorted. */
  dirtyCheckIds(): string[] {
    return this.checkTable.dirtyIds();
  }

  /** The registered services, sorted by id (frozen objects). */
  services(): Service[] {
    const list: Service[] = [];
    for (const entry of this.table.byId.values()) if (entry.value) list.push(entry.value as Service);
    return list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get(id: string): Service | undefined {
    return this.table.get(id)?.value as Service | undefined;
  }

  get size(): number {
    return this.liveCount;
  }

  /**
   * Ids a partial sync would write (puts and deletes still owed), sorted. Quarantined
   * entries are listed in `stats().blockedEntries` instead. O(dirty), whatever the size.
   */
  dirtyIds(): string[] {
    return this.table.dirtyIds();
  }

  stats(): RegistryStats {
    return {
      ...this.counters,
      services: this.liveCount,
      dirty: this.table.dirtyCount,
      checks: this.checkBook.size,
      dirtyChecks: this.checkTable.dirtyCount,
      deferredChecks: this.checkBook.deferredCount,
      blocked: this.quarantine.count(),
      blockedEntries: this.quarantine.blocked().map((e) => ({ id: e.id, kind: e.kind, reason: e.blocked?.reason ?? '', since: e.blocked?.since ?? 0 })),
      session: this.sessions.id,
      clusterSize: this.cachedClusterSize,
    };
  }

  /**
   * Number of registered nodes, for the syncer's stagger: the cached result of a
   * count-only query, refreshed in the background at most once per `clusterSizeRefresh`.
   * Always ≥ 1 (this node counts even before its first registration).
   */
  clusterSize(): number {
    const now = monotonicNow(this.clock);
    if (!this.closed && !this.refreshing && now - this.lastRefreshMs >= this.refreshMs) {
      this.lastRefreshMs = now;
      this.refreshing = true;
      this.read(this.background.signal, (client, _server, signal) => client.countNodes(signal)).then(
        (count) => {
          this.refreshing = false;
          const size = usableClusterSize(count);
          if (size !== undefined) this.cachedClusterSize = Math.floor(size);
          else this.log.warn({ value: count }, 'the catalog counted an unusable number of nodes; keeping the last size');
        },
        (err: unknown) => {
          this.refreshing = false;
          this.log.debug({ err }, 'cluster size refresh failed');
        },
      );
    }
    return this.cachedClusterSize;
  }

  // --- SyncState -------------------------------------------------------------------

  /** Reads the node's remote entries and writes only what differs: missing, changed, extra, or left on an old session. */
  async syncFull(signal: AbortSignal): Promise<void> {
    this.counters.fullSyncPasses++;
    const session = await this.sessions.ensure(signal);
    const remote = await this.read(signal, (client, _server, sig) => client.listServices(this.node, sig));
    // Checks are listed only by a registry that has had some: one call less per full sync
    // for the many agents without checks. Checks left by an earlier run hang off its
    // session and vanish with it. A backend without checks has none to list.
    const remoteChecks =
      this.checkTable.byId.size === 0
        ? []
        : await this.read(signal, (client, _server, sig) => (client.listChecks ? client.listChecks(this.node, sig) : Promise.resolve([])));
    // Node info first (as Consul's full sync), then services, then checks: a check bound to a service lands after it.
    const owed = [...(await this.nodeOwed(session, signal)), ...this.owedAfterDiff(this.table, remote, session), ...this.owedAfterDiff(this.checkTable, remoteChecks, session)];
    await applyWrites(this.pass, owed, session, signal);
  }

  /** Pushes only the dirty entries (puts for registered ones, deletes for deregistered ones). */
  async syncChanges(signal: AbortSignal): Promise<void> {
    this.counters.partialSyncPasses++;
    if (this.nodeTable.dirtyCount + this.table.dirtyCount + this.checkTable.dirtyCount === 0) return;
    const dirty = [...this.nodeTable.dirtyEntries(), ...this.table.dirtyEntries(), ...this.checkTable.dirtyEntries()];
    const session = await this.sessions.ensure(signal);
    await applyWrites(this.pass, dirty, session, signal);
  }

  /** Revokes the session (its entries vanish) and stops background work. Never rejects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.background.abort(new StoppedError('registry closed'));
    this.checkBook.cancelAll();
    this.pacer.close();
    await this.sessions.close();
  }

  // --- internals -------------------------------------------------------------------

  /**
   * A read (list, count, node info): it changes nothing, so any failure is retried on the
   * next server within the call's deadline (retryCall.ts) — a server that dies mid-pass,
   * or cannot serve reads, costs a retry, not a failed full sync.
   */
  private read<T>(signal: AbortSignal, call: RemoteCall<T>): Promise<T> {
    return callRetrying(this.caller, signal, call, () => true, this.readAttempts);
  }

  private markChanged(entry: Entry): void {
    entry.version++;
    // The user's change: written before any bulk rewrite, ahead of the agent's write share.
    entry.urgent = true;
    // New content: what the servers refused is no longer what is owed.
    this.quarantine.reset(entry);
    (entry.kind === 'check' ? this.checkTable : entry.kind === 'node' ? this.nodeTable : this.table).markDirty(entry);
    this.triggers?.syncChanges.trigger();
  }

  /**
   * The entries of `table` whose remote copy is missing, different, extra, or written
   * under another session, in id order. A remote extra becomes a local tombstone, so its
   * delete is tracked (and can be quarantined) like any other write. A check whose only
   * difference is its output while its deferred write is pending is left to that write
   * (Consul agent/local/state.go does the same).
   */
  private owedAfterDiff(table: EntryTable, remote: unknown, session: NodeSession): Entry[] {
    const remoteById = new Map<string, Service | Check>();
    for (const item of Array.isArray(remote) ? (remote as Array<Service | Check>) : []) {
      if (item && typeof item.id === 'string') remoteById.set(item.id, item);
      else this.log.warn({ entry: item, kind: table.kind }, 'ignoring malformed remote entry');
    }
    // Local entries, then remote extras: one walk, no sort of every id.
    const owed: Entry[] = [];
    for (const entry of [...table.byId.values()]) {
      const found = remoteById.get(entry.id);
      if (entry.value) {
        if (found && entry.writtenSession === session.id && this.sameRemote(entry, found)) {
          table.markClean(entry);
          this.quarantine.succeeded(entry); // the servers hold it after all
        } else owed.push(entry);
      } else if (found) {
        owed.push(entry);
      } else {
        table.remove(entry); // deregistered and already absent remotely: nothing owed
      }
    }
    for (const id of remoteById.keys()) {
      if (table.get(id)) continue;
      const tombstone = table.create(id);
      table.markDirty(tombstone);
      owed.push(tombstone);
    }
    return owed.sort((x, y) => byId(x.id, y.id)); // only the differences are sorted, in id order like Consul's diff
  }

  /** The node info entry when the stored info differs or hangs off another session (read only when info was set). */
  private async nodeOwed(session: NodeSession, signal: AbortSignal): Promise<Entry[]> {
    const entry = this.nodeTable.get(this.node);
    if (!entry?.value) return [];
    const stored = await this.read(signal, (client, _server, sig) => (client.getNodeInfo ? client.getNodeInfo(this.node, sig) : Promise.resolve(undefined)));
    if (stored && entry.writtenSession === session.id && nodeInfoEqual(stored, entry.value as NodeInfo)) {
      this.nodeTable.markClean(entry);
      this.quarantine.succeeded(entry);
      return [];
    }
    this.nodeTable.markDirty(entry);
    return [entry];
  }

  private sameRemote(entry: Entry, found: Service | Check): boolean {
    if (entry.kind === 'service') return servicesEqual(found as Service, entry.value as Service);
    return checksEqual(found as Check, entry.value as Check, this.checkBook.isDeferred(entry.id));
  }

  /** The servers dropped our session (and its entries): rewrite everything under a new one. */
  private sessionLost(): void {
    if (this.closed) return;
    // Every agent that lost its session now is likely to rewrite everything now: no burst.
    this.pacer.restart();
    for (const entry of this.table.byId.values()) if (entry.value) this.table.markDirty(entry);
    for (const entry of this.checkTable.byId.values()) if (entry.value) this.checkTable.markDirty(entry);
    for (const entry of this.nodeTable.byId.values()) if (entry.value) this.nodeTable.markDirty(entry);
    this.triggers?.syncFull.trigger();
  }
}
