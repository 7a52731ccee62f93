// The local service catalog an agent owns, and its anti-entropy SyncState: a full
// sync diffs the node's remote entries against the local ones and writes only the
// differences (syncPass.ts); a partial sync pushes only what changed locally.
import type { NodeSession, Service } from './backend.js';
import { MAX_SERVICES, servicesEqual, validateService, validateServiceId } from './validate.js';
import { type Clock, clockNow } from '../shared/clock.js';
import { usableClusterSize } from '../shared/clusterSize.js';
import { StoppedError } from '../shared/errors.js';
import { CatalogSyncError, type EntryFailure, RefusedWriteError, isRefusedWriteError, type RefusalReason } from './errors.js';
import { type Logger, componentLogger } from '../shared/logger.js';
import { byId, diffCatalog } from './diff.js';
import { EntryTable, type Entry } from './entries.js';
import { Quarantine } from './quarantine.js';
import { callRemote, type RemoteCall, type RemoteCaller } from './remoteCall.js';
import { resolveRegistryOptions, type ServerCaller, type ServiceRegistryOptions, type SyncTriggers } from './registryOptions.js';
import { SessionKeeper } from './sessionKeeper.js';
import { applyWrites, type SyncPassDeps } from './syncPass.js';

export { CatalogSyncError, RefusedWriteError, isRefusedWriteError, diffCatalog, type EntryFailure, type RefusalReason, type ServerCaller, type ServiceRegistryOptions, type SyncTriggers };

/** A quarantined entry, as `stats().blockedEntries` lists it. */
export interface BlockedEntry {
  id: string;
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
  /** Entries written (each op of a batch counts). */
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

/** Local catalog + SyncState. Give it to a StateSyncer as `state`, then `attach(syncer)`. */
export class ServiceRegistry {
  readonly node: string;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly refreshMs: number;
  private readonly caller: RemoteCaller;
  private readonly pass: SyncPassDeps;
  private readonly sessions: SessionKeeper;
  private readonly table = new EntryTable();
  private readonly quarantine: Quarantine;
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
    // Without a logger, every registry shares one silent logger: a simulation of ten
    // thousand agents must not build ten thousand pino instances.
    this.log = options.logger ? componentLogger(options.logger, 'registry').child({ node: this.node }) : componentLogger(undefined, 'registry');
    this.triggers = options.syncer;
    this.caller = { servers: o.servers, backend: o.backend, clock: o.clock, callTimeoutMs: o.callTimeoutMs };
    const remote = <T>(signal: AbortSignal, call: RemoteCall<T>): Promise<T> => callRemote(this.caller, signal, call);
    const { node, table, counters, log } = this;
    this.quarantine = new Quarantine(table, { blockAfterFailures: o.blockAfterFailures, warnIntervalMs: o.blockedWarnIntervalMs, clock: o.clock, log });
    const { quarantine } = this;
    this.pass = { node, table, quarantine, counters, log, remote, maxConsecutiveFailures: o.maxConsecutiveFailures, writeAttempts: o.writeAttempts, maxBatchOps: o.maxBatchOps };
    this.sessions = new SessionKeeper({ node, ttlMs: o.sessionTtlMs, backend: o.backend, clock: o.clock, log, counters, remote, onLost: () => this.sessionLost() });
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
    if (entry?.service && servicesEqual(entry.service, valid)) return false;
    if (!entry?.service && this.liveCount >= MAX_SERVICES) {
      throw new RangeError(`registry holds at most ${MAX_SERVICES} services; refusing ${JSON.stringify(valid.id)}`);
    }
    entry ??= this.table.create(valid.id);
    if (!entry.service) this.liveCount++;
    entry.service = valid;
    this.markChanged(entry);
    return true;
  }

  /** Removes a service; true when it was registered (then a delete is owed and a partial sync triggered). */
  deregister(id: string): boolean {
    if (this.closed) throw new StoppedError('registry is closed');
    validateServiceId(id);
    const entry = this.table.get(id);
    if (!entry?.service) return false;
    entry.service = undefined;
    this.liveCount--;
    this.markChanged(entry);
    return true;
  }

  /** The registered services, sorted by id (frozen objects). */
  services(): Service[] {
    const list: Service[] = [];
    for (const entry of this.table.byId.values()) if (entry.service) list.push(entry.service);
    return list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get(id: string): Service | undefined {
    return this.table.get(id)?.service;
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
      blocked: this.table.blockedCount,
      blockedEntries: this.table.blocked().map((e) => ({ id: e.id, reason: e.blocked?.reason ?? '', since: e.blocked?.since ?? 0 })),
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
    const now = clockNow(this.clock);
    if (!this.closed && !this.refreshing && now - this.lastRefreshMs >= this.refreshMs) {
      this.lastRefreshMs = now;
      this.refreshing = true;
      callRemote(this.caller, this.background.signal, (client, _server, signal) => client.countNodes(signal)).then(
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
    const remote = await callRemote(this.caller, signal, (client, _server, sig) => client.listServices(this.node, sig));
    await applyWrites(this.pass, this.owedAfterDiff(remote, session), session, signal);
  }

  /** Pushes only the dirty entries (puts for registered ones, deletes for deregistered ones). */
  async syncChanges(signal: AbortSignal): Promise<void> {
    this.counters.partialSyncPasses++;
    const dirty = this.dirtyIds();
    if (dirty.length === 0) return;
    const session = await this.sessions.ensure(signal);
    await applyWrites(this.pass, dirty, session, signal);
  }

  /** Revokes the session (its entries vanish) and stops background work. Never rejects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.background.abort(new StoppedError('registry closed'));
    await this.sessions.close();
  }

  // --- internals -------------------------------------------------------------------

  private markChanged(entry: Entry): void {
    entry.version++;
    // New content: what the servers refused is no longer what is owed.
    this.quarantine.reset(entry);
    this.table.markDirty(entry);
    this.triggers?.syncChanges.trigger();
  }

  /** The ids whose remote entry is missing, different, extra, or written under another session, in id order. */
  private owedAfterDiff(remote: unknown, session: NodeSession): string[] {
    const remoteById = new Map<string, Service>();
    for (const service of Array.isArray(remote) ? (remote as Service[]) : []) {
      if (service && typeof service.id === 'string') remoteById.set(service.id, service);
      else this.log.warn({ entry: service }, 'ignoring malformed remote entry');
    }
    // Local entries, then remote extras: one walk, no sort of every id.
    const owed: string[] = [];
    for (const entry of [...this.table.byId.values()]) {
      const found = remoteById.get(entry.id);
      if (entry.service) {
        if (found && entry.writtenSession === session.id && servicesEqual(found, entry.service)) {
          this.table.markClean(entry);
          this.quarantine.succeeded(entry); // the servers hold it after all
        } else owed.push(entry.id);
      } else if (found) {
        owed.push(entry.id);
      } else {
        this.table.remove(entry); // deregistered and already absent remotely: nothing owed
      }
    }
    for (const id of remoteById.keys()) if (!this.table.get(id)) owed.push(id);
    return owed.sort(byId); // only the differences are sorted, in id order like Consul's diff
  }

  /** The servers dropped our session (and its entries): rewrite everything under a new one. */
  private sessionLost(): void {
    if (this.closed) return;
    for (const entry of this.table.byId.values()) if (entry.service) this.table.markDirty(entry);
    this.triggers?.syncFull.trigger();
  }
}
