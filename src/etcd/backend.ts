// The etcd implementation of CatalogBackend: one etcd3 client per member (so a
// call, a ping and a failure each concern exactly one member), services stored
// as JSON under the node's prefix and attached to the node's lease, a node held by
// one live lease at a time, membership from the endpoints given plus a polled member list. Connections open
// on the first call and close after `idleClose` unused (pool.ts).
import type { Etcd3 } from 'etcd3';
import type { CatalogBackend, CatalogClient, MembershipEvent, NodeSession } from '../catalog/backend.js';
import { componentLogger, type Logger } from '../shared/logger.js';
import type { Pinger, Server } from '../catalog/backend.js';
import { boundedCall, createMemberClient, etcd3 } from './client.js';
import { StoppedError } from '../shared/errors.js';
import { KeyLayout } from './keys.js';
import { createCatalogClient, ForeignKeys } from './catalogClient.js';
import { DEFAULT_PAGE_SIZE } from './paging.js';
import { watchMemberList } from './memberWatch.js';
import { claimNode } from './owner.js';
import { MemberPool } from './pool.js';
import { MIN_SESSION_TTL_MS, resolveOptions, type EtcdBackendOptions, type ResolvedOptions } from './options.js';
import { isNodeConflictError } from '../catalog/errors.js';
import { MAX_TIMER_MS } from '../shared/clock.js';
import { EtcdSession } from './session.js';
import { redactingLogger } from './redact.js';
import { WriteRevisions, type HasRevision, type ReadStats } from './readFloor.js';

export { REDACT_PATHS } from './redact.js';

/** The etcd CatalogBackend, plus what the tests and tools around it need. */
export interface EtcdBackend extends CatalogBackend {
  /** The key layout in use (`<prefix>/nodes/<node>/services/<id>`, `<prefix>/sessions/<node>`). */
  readonly keys: KeyLayout;
  /**
   * The raw etcd3 client of one member (created on first use, closed after `idleClose`
   * unused): an `Etcd3` of the `etcd3` package, typed here as {@link EtcdMemberClient} so
   * that ae-sync's declarations never need etcd3's. With etcd3 installed,
   * `backend.memberClient(server) as unknown as Etcd3` gives its whole API.
   */
  memberClient(server: Server): EtcdMemberClient;
  /** Names of the members this backend holds an open client for, sorted. */
  openMembers(): string[];
  /** The shortest session TTL this backend accepts, ms (the registry refuses a shorter `sessionTtl` at construction). */
  readonly minSessionTtlMs: number;
  /** Most writes per transaction (`maxTxnOps`). */
  readonly maxBatchOps: number;
  /** How the catalog reads went so far (`staleReads`): a copy. */
  readStats(): ReadStats;
  /** True when `error` proves the call was never sent: gRPC UNAVAILABLE with no connection established. */
  notApplied(error: unknown): boolean;
}

/**
 * The raw client of one etcd member, as {@link EtcdBackend.memberClient} returns it: an
 * `Etcd3` instance of the `etcd3` package, declared here by the one member ae-sync's
 * types promise so that a project without etcd3 installed still typechecks.
 */
export interface EtcdMemberClient {
  /** etcd3's `close()`. The backend's own `close()` closes every member's client. */
  close(): void;
}

/** How many granted lease ids a backend remembers as its own (for taking its node over after a local loss). */
const MAX_REMEMBERED_LEASES = 64;

function isLeaseNotFound(err: unknown): boolean {
  return err instanceof etcd3.EtcdLeaseInvalidError || /lease not found/i.test(String((err as Error | undefined)?.message));
}

class EtcdCatalogBackend implements EtcdBackend {
  readonly keys: KeyLayout;
  readonly pinger: Pinger;
  readonly minSessionTtlMs = MIN_SESSION_TTL_MS;
  readonly maxBatchOps: number;
  private readonly log: Logger;
  private readonly pool: MemberPool;
  private readonly catalogs = new Map<string, CatalogClient>();
  private readonly foreign = new ForeignKeys();
  private readonly revisions = new WriteRevisions();
  private readonly reads: ReadStats = { stale: 0, behind: 0, linearizable: 0 };
  /** Every server seen (endpoints and polled members), by name: the keepalive may renew through any of them. */
  private readonly known = new Map<string, Server>();
  private readonly sessions = new Map<string, EtcdSession>();
  /** Leases this backend granted (most recent last, bounded): a node key held by one of them is ours to take over once its session has ended here. */
  private readonly granted = new Set<string>();
  private readonly stopWatchers = new Set<() => void>();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: ResolvedOptions) {
    this.keys = new KeyLayout(options.prefix);
    this.maxBatchOps = options.maxTxnOps;
    this.log = redactingLogger(componentLogger(options.logger, 'etcd'));
    for (const server of this.initialServers()) this.known.set(server.name, server);
    this.pinger = { ping: (server, signal) => this.ping(server, signal) };
    this.pool = new MemberPool({
      clock: options.clock,
      idleCloseMs: options.idleCloseMs,
      log: this.log,
      create: (server) =>
        createMemberClient({ endpoint: { address: server.address, secure: server.useTLS === true }, callTimeoutMs: options.callTimeoutMs, auth: options.auth, tls: options.tls }),
    });
    // The effective configuration, credentials redacted by the paths above (and tested so);
    // TLS only as a flag: PEM buffers would serialize to kilobytes of numbers.
    this.log.debug(
      { options: { endpoints: options.endpoints, prefix: options.prefix, callTimeout: options.callTimeoutMs, pollMembers: options.pollMembers, pollMembersInterval: options.pollMembersMs, idleClose: options.idleCloseMs, staleReads: options.staleReads, sessionGrace: options.sessionGrace, auth: options.auth, tls: options.tls !== undefined } },
      'etcd backend created',
    );
    if (options.auth && options.insecureAuth && options.endpoints.some((e) => !e.secure)) {
      this.log.warn({ endpoints: options.endpoints.filter((e) => !e.secure).map((e) => e.address) }, 'etcd auth over plain http://: the password crosses the network in clear text (insecureAuth: true)');
    }
  }

  initialServers(): Server[] {
    return this.options.endpoints.map((e) => (e.secure ? { name: e.address, address: e.address, useTLS: true } : { name: e.address, address: e.address }));
  }

  memberClient(server: Server): Etcd3 {
    this.assertOpen();
    if (!this.known.has(server.name)) this.known.set(server.name, server);
    return this.pool.get(server);
  }

  openMembers(): string[] {
    return this.pool.openMembers();
  }

  readStats(): ReadStats {
    return { ...this.reads };
  }

  client(server: Server): CatalogClient {
    let catalog = this.catalogs.get(server.name);
    if (catalog === undefined) {
      catalog = createCatalogClient({
        keys: this.keys,
        etcd: () => {
          this.pool.lastCallServer = server.name;
          return this.memberClient(server);
        },
        callTimeoutMs: this.options.callTimeoutMs,
        clock: this.options.clock,
        pageSize: DEFAULT_PAGE_SIZE,
        maxTxnOps: this.options.maxTxnOps,
        foreign: this.foreign,
        log: this.log,
        isLeaseNotFound,
        onLeaseNotFound: (sessionId, err) => this.sessions.get(sessionId)?.markLost(err),
        staleReads: this.options.staleReads,
        revisions: this.revisions,
        readStats: this.reads,
      });
      this.catalogs.set(server.name, catalog);
    }
    return catalog;
  }

  /** A member is healthy when it answers a status call in time and knows a leader. */
  private async ping(server: Server, signal: AbortSignal): Promise<boolean> {
    const status = await boundedCall(signal, this.options.callTimeoutMs, (o) => this.memberClient(server).maintenance.status(o), this.options.clock);
    return status.leader !== '0' && status.leader !== '';
  }

  async openSession(server: Server, node: string, ttlMs: number, signal: AbortSignal): Promise<NodeSession> {
    if (typeof node !== 'string' || node.length === 0) throw new TypeError(`node must be a non-empty string, received ${JSON.stringify(node)}`);
    if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs < MIN_SESSION_TTL_MS || ttlMs > MAX_TIMER_MS) {
      throw new RangeError(`ttlMs must be a finite number in [${MIN_SESSION_TTL_MS}, ${MAX_TIMER_MS}] (etcd leases are whole seconds), received ${String(ttlMs)}`);
    }
    const etcd = this.memberClient(server);
    // Chubby-style: the lease (server side) lasts TTL × grace; the client gives up after one TTL.
    const leaseSec = Math.max(1, Math.ceil((ttlMs * this.options.sessionGrace) / 1000));
    const { callTimeoutMs: timeoutMs, clock } = this.options;
    const call = <T>(run: (o: { deadline: number }) => Promise<T>): Promise<T> => boundedCall(signal, timeoutMs, run, clock);
    const grant = await call((o) => etcd.leaseClient.leaseGrant({ TTL: leaseSec }, o));
    const id = String(grant.ID);
    this.remember(id);
    const session = new EtcdSession(id, node, ttlMs, {
      clients: (preferred) => this.clientsPreferring(preferred),
      grantedVia: server.name,
      callTimeoutMs: timeoutMs,
      clock,
      log: this.log,
      onEnd: (s) => {
        if (this.sessions.get(s.id) === s) this.sessions.delete(s.id);
      },
      revoked: (response) => this.revisions.note(node, response as HasRevision),
    });
    this.sessions.set(id, session);
    try {
      const value = JSON.stringify({ node, lease: id, ttlSec: leaseSec });
      const claim = await claimNode({ etcd, key: this.keys.sessionKey(node), value, lease: id, node, call, ours: (lease) => this.isGivenUp(lease) });
      // The claim follows every write an earlier run of this node had acknowledged, so
      // after a restart the first full sync reads no older than those either.
      if (claim.response) this.revisions.note(node, claim.response);
      if (claim.takenOver !== undefined) this.log.info({ node, session: id, previous: claim.takenOver }, 'took the node over from our own earlier session');
    } catch (err) {
      // Revoke in the background: the caller should not wait out a frozen member twice.
      void session.close();
      if (isNodeConflictError(err)) this.log.error({ node, holder: err.holder, server: server.name }, 'node held by another live session: two agents share this node name');
      throw err;
    }
    this.log.info({ node, session: id, leaseSec, ttlMs, server: server.name }, 'session opened');
    return session;
  }

  /**
   * A lease this backend granted whose session has since ended locally (lost or
   * closed) but may still live in etcd: ours to take over. A lease of a session that
   * is still live belongs to another agent sharing this backend (one backend can
   * serve several agents), which holds the node: that is a conflict, not a takeover.
   */
  private isGivenUp(lease: string): boolean {
    return this.granted.has(lease) && !this.sessions.has(lease);
  }

  private remember(lease: string): void {
    this.granted.add(lease);
    if (this.granted.size > MAX_REMEMBERED_LEASES) this.granted.delete(this.granted.values().next().value as string);
  }

  /**
   * Member clients for the keepalive and the revoke, as getters (a member is only
   * connected to when it is tried): the registry's current member first (one
   * connection per agent when it can), then `first`, then every other known server.
   */
  private clientsPreferring(first: string): Array<{ name: string; client: () => Etcd3 }> {
    if (this.closing) return [];
    const names = [...this.known.keys()].sort();
    const current = this.pool.lastCallServer;
    const head = current !== undefined && current !== first && this.known.has(current) ? [current, first] : [first];
    const ordered = [...head, ...names.filter((n) => !head.includes(n))];
    return ordered.flatMap((name) => {
      const server = this.known.get(name);
      return server ? [{ name, client: () => this.memberClient(server) }] : [];
    });
  }

  watchMembers(listener: (event: MembershipEvent) => void): () => void {
    this.assertOpen();
    const { clock, pollMembers, pollMembersMs, callTimeoutMs } = this.options;
    if (!pollMembers) return () => undefined; // exactly the endpoints given: nothing ever changes
    const stop = watchMemberList(
      {
        initial: this.initialServers(),
        known: this.known,
        // Not memberClient: a member that has not answered yet is no keepalive candidate.
        client: (server) => {
          this.assertOpen();
          return this.pool.get(server);
        },
        firstChoice: () => this.pool.lastCallServer,
        tls: this.options.tls !== undefined,
        clock,
        pollMembersMs,
        callTimeoutMs,
        log: this.log,
      },
      listener,
    );
    const stopOnce = (): void => {
      stop();
      this.stopWatchers.delete(stopOnce);
    };
    this.stopWatchers.add(stopOnce);
    return stopOnce;
  }

  /**
   * True when `error` proves the call was never sent: gRPC UNAVAILABLE with no connection
   * established (the member refused the connection, or the channel has none). grpc-js fails
   * such a call before writing it to any connection; UNAVAILABLE after a connection was
   * up (a reset mid-call) may have applied and is not counted.
   */
  notApplied(error: unknown): boolean {
    return error instanceof etcd3.GRPCUnavailableError && /No connection established|ECONNREFUSED/.test(error.message);
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    // Revoke leases first: closing the clients under a live keepalive stalls process exit.
    const sessions = [...this.sessions.values()];
    await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
    for (const stop of [...this.stopWatchers]) stop();
    this.pool.closeAll();
    this.log.debug('etcd backend closed');
  }

  private assertOpen(): void {
    if (this.closing) throw new StoppedError('etcd backend is closed');
  }
}

/**
 * Creates the etcd catalog backend. Synchronous: options are validated here
 * (TypeError/RangeError naming the value) and connections open on first use.
 */
export function createEtcdBackend(options: EtcdBackendOptions): EtcdBackend {
  return new EtcdCatalogBackend(resolveOptions(options));
}
