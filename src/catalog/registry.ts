// The local service catalog an agent owns, and its anti-entropy SyncState: a full
// sync diffs the node's remote entries against the local ones and writes only the
// differences; a partial sync pushes only what changed locally. Every remote call
// goes through the server manager's `call`, so a failing server is rotated away.
import type { CatalogBackend, CatalogClient, NodeSession, Service } from './backend.js';
import type { Server } from '../servers/types.js';
import { MAX_SERVICES, servicesEqual, validateNodeName, validateService, validateServiceId } from './validate.js';
import { type Clock, systemClock, clockNow } from '../shared/clock.js';
import { abortReason } from '../shared/abort.js';
import { usableClusterSize } from '../shared/clusterSize.js';
import { deadline } from '../shared/deadline.js';
import { StoppedError, TimeoutError } from '../shared/errors.js';
import { CatalogSyncError, type EntryFailure } from './errors.js';
import { type Logger, componentLogger } from '../shared/logger.js';
import { optionalPositiveNumber } from '../shared/options.js';

/** The part of a ServerManager the registry uses: the RPC path with failover. */
export interface ServerCaller {
  call<T>(fn: (server: Server, signal: AbortSignal) => Promise<T>): Promise<T>;
}

/** The part of a StateSyncer the registry pokes: its two coalescing triggers. */
export interface SyncTriggers {
  syncFull: { trigger(): void };
  syncChanges: { trigger(): void };
}

export interface ServiceRegistryOptions {
  backend: CatalogBackend;
  servers: ServerCaller;
  /** This agent's node name (a key segment: letters, digits, `._:@-`). */
  node: string;
  /** Session TTL in ms: how long entries outlive an agent that stopped renewing. Defaults to 10 s. */
  sessionTtl?: number;
  /** Deadline of each remote call in ms, on the clock. Defaults to 5 s. */
  callTimeout?: number;
  /** Cluster-size cache lifetime in ms: at most one count query per this period. Defaults to 30 s. */
  clusterSizeRefresh?: number;
  /**
   * A sync pass gives up after this many writes failed in a row, retries included (the rest stay dirty):
   * with every server down there is no point walking 1 000 entries. One bad entry
   * among good ones never reaches it. Defaults to 5.
   */
  maxConsecutiveFailures?: number;
  /**
   * Tries per write within one pass. A failed call has already rotated its server to
   * the back, so a second try goes to the next server: a write caught by a server
   * failure lands at once instead of waiting for the next sync (Consul tries once:
   * set 1 for that). A write every server refuses costs this many calls. Defaults to 2.
   */
  writeAttempts?: number;
  /** The syncer's triggers; can also be set later with `attach()`. */
  syncer?: SyncTriggers;
  clock?: Clock;
  logger?: Logger;
}

export { CatalogSyncError, type EntryFailure };

/** Counters for status views and tests. */
export interface RegistryStats {
  services: number;
  dirty: number;
  puts: number;
  deletes: number;
  failedWrites: number;
  fullSyncs: number;
  partialSyncs: number;
  sessionsOpened: number;
  sessionsLost: number;
  session: string | undefined;
  clusterSize: number;
}

interface Entry {
  id: string;
  /** undefined: deregistered, a delete is still owed to the servers (a tombstone). */
  service: Service | undefined;
  dirty: boolean;
  /** Bumped on every local change, so a write that raced a change leaves the entry dirty. */
  version: number;
  /** Session the last successful put attached the entry to. */
  writtenSession: string | undefined;
}


const DEFAULT_SESSION_TTL_MS = 10_000;
const DEFAULT_CALL_TIMEOUT_MS = 5_000;
const DEFAULT_CLUSTER_SIZE_REFRESH_MS = 30_000;
const DEFAULT_MAX_CONSECUTIVE_FAILURES = 5;
const DEFAULT_WRITE_ATTEMPTS = 2;


function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Local catalog + SyncState. Give it to a StateSyncer as `state`, then `attach(syncer)`. */
export class ServiceRegistry {
  readonly node: string;
  private readonly backend: CatalogBackend;
  private readonly servers: ServerCaller;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly sessionTtlMs: number;
  private readonly callTimeoutMs: number;
  private readonly refreshMs: number;
  private readonly maxConsecutiveFailures: number;
  private readonly writeAttempts: number;
  private readonly entries = new Map<string, Entry>();
  private liveCount = 0;
  private triggers: SyncTriggers | undefined;
  private session: NodeSession | undefined;
  private opening: Promise<NodeSession> | undefined;
  private closed = false;
  private readonly background = new AbortController();
  private cachedClusterSize = 1;
  private lastRefreshMs = -Infinity;
  private refreshing = false;
  private readonly counters = { puts: 0, deletes: 0, failedWrites: 0, fullSyncs: 0, partialSyncs: 0, sessionsOpened: 0, sessionsLost: 0 };

  constructor(options: ServiceRegistryOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('ServiceRegistry options must be an object');
    if (typeof options.backend !== 'object' || options.backend === null) throw new TypeError('backend must be a CatalogBackend');
    if (typeof options.backend.client !== 'function' || typeof options.backend.openSession !== 'function') {
      throw new TypeError('backend must be a CatalogBackend (client() and openSession() missing)');
    }
    if (typeof options.servers?.call !== 'function') throw new TypeError('servers must have a call() method');
    this.node = validateNodeName(options.node);
    this.backend = options.backend;
    this.servers = options.servers;
    this.sessionTtlMs = optionalPositiveNumber('sessionTtl', options.sessionTtl, DEFAULT_SESSION_TTL_MS);
    // Refused here, once, rather than by every openSession of every sync.
    const minTtlMs = options.backend.minSessionTtlMs;
    if (typeof minTtlMs === 'number' && this.sessionTtlMs < minTtlMs) {
      throw new RangeError(`sessionTtl must be ≥ ${minTtlMs} ms for this backend, received ${this.sessionTtlMs}`);
    }
    this.callTimeoutMs = optionalPositiveNumber('callTimeout', options.callTimeout, DEFAULT_CALL_TIMEOUT_MS);
    this.refreshMs = optionalPositiveNumber('clusterSizeRefresh', options.clusterSizeRefresh, DEFAULT_CLUSTER_SIZE_REFRESH_MS);
    this.maxConsecutiveFailures = optionalPositiveNumber('maxConsecutiveFailures', options.maxConsecutiveFailures, DEFAULT_MAX_CONSECUTIVE_FAILURES);
    this.writeAttempts = Math.floor(optionalPositiveNumber('writeAttempts', options.writeAttempts, DEFAULT_WRITE_ATTEMPTS));
    if (this.writeAttempts < 1) throw new RangeError(`writeAttempts must be ≥ 1, received ${String(options.writeAttempts)}`);
    this.clock = options.clock ?? systemClock;
    // Without a logger, every registry shares one silent logger: a simulation of ten
    // thousand agents must not build ten thousand pino instances.
    this.log = options.logger ? componentLogger(options.logger, 'registry').child({ node: this.node }) : componentLogger(undefined, 'registry');
    this.triggers = options.syncer;
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
    let entry = this.entries.get(valid.id);
    if (entry?.service && servicesEqual(entry.service, valid)) return false;
    if (!entry?.service && this.liveCount >= MAX_SERVICES) {
      throw new RangeError(`registry holds at most ${MAX_SERVICES} services; refusing ${JSON.stringify(valid.id)}`);
    }
    if (!entry) {
      entry = { id: valid.id, service: undefined, dirty: false, version: 0, writtenSession: undefined };
      this.entries.set(valid.id, entry);
    }
    if (!entry.service) this.liveCount++;
    entry.service = valid;
    this.markChanged(entry);
    return true;
  }

  /** Removes a service; true when it was registered (then a delete is owed and a partial sync triggered). */
  deregister(id: string): boolean {
    if (this.closed) throw new StoppedError('registry is closed');
    validateServiceId(id);
    const entry = this.entries.get(id);
    if (!entry?.service) return false;
    entry.service = undefined;
    this.liveCount--;
    this.markChanged(entry);
    return true;
  }

  /** The registered services, sorted by id (frozen objects). */
  services(): Service[] {
    const list: Service[] = [];
    for (const id of [...this.entries.keys()].sort(byId)) {
      const service = (this.entries.get(id) as Entry).service;
      if (service) list.push(service);
    }
    return list;
  }

  get(id: string): Service | undefined {
    return this.entries.get(id)?.service;
  }

  get size(): number {
    return this.liveCount;
  }

  /** Ids with a write still owed to the servers (puts and deletes), sorted. */
  dirtyIds(): string[] {
    return [...this.entries.values()].filter((e) => e.dirty).map((e) => e.id).sort(byId);
  }

  stats(): RegistryStats {
    return {
      ...this.counters,
      services: this.liveCount,
      dirty: this.dirtyIds().length,
      session: this.session?.id,
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
      this.callRemote(this.background.signal, (client, _server, signal) => client.countNodes(signal)).then(
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
    this.counters.fullSyncs++;
    const session = await this.ensureSession(signal);
    const remote = await this.callRemote(signal, (client, _server, sig) => client.listServices(this.node, sig));
    const remoteById = new Map<string, Service>();
    for (const service of Array.isArray(remote) ? remote : []) {
      if (service && typeof service.id === 'string') remoteById.set(service.id, service);
      else this.log.warn({ entry: service }, 'ignoring malformed remote entry');
    }
    const ids = new Set([...this.entries.keys(), ...remoteById.keys()]);
    const owed: string[] = [];
    for (const id of [...ids].sort(byId)) {
      const entry = this.entries.get(id);
      const found = remoteById.get(id);
      if (entry?.service) {
        if (found && entry.writtenSession === session.id && servicesEqual(found, entry.service)) entry.dirty = false;
        else owed.push(id);
      } else if (found) {
        owed.push(id);
      } else if (entry) {
        this.entries.delete(id); // deregistered and already absent remotely: nothing owed
      }
    }
    await this.apply(owed, session, signal);
  }

  /** Pushes only the dirty entries (puts for registered ones, deletes for deregistered ones). */
  async syncChanges(signal: AbortSignal): Promise<void> {
    this.counters.partialSyncs++;
    const dirty = this.dirtyIds();
    if (dirty.length === 0) return;
    const session = await this.ensureSession(signal);
    await this.apply(dirty, session, signal);
  }

  /** Revokes the session (its entries vanish) and stops background work. Never rejects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.background.abort(new StoppedError('registry closed'));
    const session = this.session;
    this.session = undefined;
    if (session) await session.close().catch((err: unknown) => this.log.warn({ err }, 'closing the session failed'));
  }

  // --- internals -------------------------------------------------------------------

  private markChanged(entry: Entry): void {
    entry.version++;
    entry.dirty = true;
    this.triggers?.syncChanges.trigger();
  }

  /**
   * Writes what is owed for each id, in order: a put when the id is registered at the
   * moment of the write, else a delete (so changes made while the pass runs are
   * honoured). Failures are collected, not fatal, until too many happen in a row.
   */
  private async apply(ids: readonly string[], session: NodeSession, signal: AbortSignal): Promise<void> {
    const failures: EntryFailure[] = [];
    let consecutive = 0;
    let index = 0;
    for (; index < ids.length && consecutive < this.maxConsecutiveFailures; index++) {
      const id = ids[index] as string;
      let op: 'put' | 'delete' = 'put';
      for (let attempt = 1; ; attempt++) {
        if (signal.aborted) throw abortReason(signal);
        // Re-read at each attempt: the entry may have changed while the last one ran.
        const entry = this.entries.get(id);
        op = entry?.service ? 'put' : 'delete';
        try {
          if (entry?.service) await this.put(entry, entry.service, session, signal);
          else await this.remove(id, entry, signal);
          consecutive = 0;
          break;
        } catch (error) {
          if (signal.aborted) throw abortReason(signal);
          this.counters.failedWrites++;
          if (entry) entry.dirty = true;
          if (attempt < this.writeAttempts) {
            this.log.debug({ id, op, err: error }, 'catalog write failed; retrying on the next server');
            continue;
          }
          consecutive++;
          failures.push({ id, op, error });
          this.log.warn({ id, op, err: error }, 'catalog write failed; entry stays dirty');
          break;
        }
      }
    }
    // Entries never tried stay dirty so the next partial sync picks them up.
    for (let i = index; i < ids.length; i++) {
      const entry = this.entries.get(ids[i] as string);
      if (entry) entry.dirty = true;
    }
    if (failures.length > 0) throw new CatalogSyncError(failures, ids.length - index);
  }

  private async put(entry: Entry, service: Service, session: NodeSession, signal: AbortSignal): Promise<void> {
    const version = entry.version;
    await this.callRemote(signal, (client, _server, sig) => client.putService(this.node, service, session.id, sig));
    this.counters.puts++;
    entry.writtenSession = session.id;
    if (entry.version === version) entry.dirty = false;
  }

  private async remove(id: string, entry: Entry | undefined, signal: AbortSignal): Promise<void> {
    const version = entry?.version;
    await this.callRemote(signal, (client, _server, sig) => client.deleteService(this.node, id, sig));
    this.counters.deletes++;
    if (entry && entry.version === version && this.entries.get(id) === entry) this.entries.delete(id);
  }

  /** The current session, opening one (through the manager) when there is none. */
  private async ensureSession(signal: AbortSignal): Promise<NodeSession> {
    if (this.session) return this.session;
    if (this.closed) throw new StoppedError('registry is closed');
    this.opening ??= this.callRemote(signal, (_client, server, sig) => this.backend.openSession(server, this.node, this.sessionTtlMs, sig)).finally(() => {
      this.opening = undefined;
    });
    const session = await this.opening;
    if (this.session) return this.session;
    if (this.closed) {
      await session.close();
      throw new StoppedError('registry is closed');
    }
    this.session = session;
    this.counters.sessionsOpened++;
    this.log.info({ session: session.id }, 'session opened');
    session.onLost((err) => this.sessionLost(session, err));
    return session;
  }

  /** The servers dropped our session (and its entries): open a new one and rewrite everything. */
  private sessionLost(session: NodeSession, err: unknown): void {
    if (this.session !== session || this.closed) return;
    this.session = undefined;
    this.counters.sessionsLost++;
    this.log.warn({ session: session.id, err }, 'session lost; re-registering');
    for (const entry of this.entries.values()) if (entry.service) entry.dirty = true;
    session.close().catch(() => undefined);
    this.triggers?.syncFull.trigger();
  }

  /** One remote call through the manager, bounded by `callTimeout` and by the caller's and the manager's signals. */
  private callRemote<T>(outer: AbortSignal, call: (client: CatalogClient, server: Server, signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.servers.call(async (server, managerSignal) => {
      if (outer.aborted) throw abortReason(outer);
      const timeoutMs = this.callTimeoutMs;
      const limit = deadline(
        this.clock,
        timeoutMs,
        () => new TimeoutError(`call to server ${server.name} timed out after ${timeoutMs} ms`),
        outer,
        managerSignal,
      );
      try {
        return await call(this.backend.client(server), server, limit.signal);
      } catch (err) {
        // A call that ignored its signal still reports why it was cut short.
        throw limit.signal.aborted ? abortReason(limit.signal) : err;
      } finally {
        limit.dispose();
      }
    });
  }
}

/** How two catalogs differ (by id): what `remote` lacks, holds extra, or holds differently. */
export function diffCatalog(local: readonly Service[], remote: readonly Service[]): { missing: string[]; extra: string[]; different: string[] } {
  const remoteById = new Map(remote.map((s) => [s.id, s]));
  const localIds = new Set(local.map((s) => s.id));
  const missing: string[] = [];
  const different: string[] = [];
  for (const service of local) {
    const found = remoteById.get(service.id);
    if (!found) missing.push(service.id);
    else if (!servicesEqual(found, service)) different.push(service.id);
  }
  const extra = remote.filter((s) => !localIds.has(s.id)).map((s) => s.id);
  return { missing: missing.sort(byId), extra: extra.sort(byId), different: different.sort(byId) };
}
