// The etcd implementation of CatalogBackend: one etcd3 client per member (so a
// call, a ping and a failure each concern exactly one member), services stored
// as JSON under the node's prefix and attached to the node's lease, membership
// from a polled member list. Connections are opened lazily by the first call.
import type { Etcd3 } from 'etcd3';
import type { CatalogBackend, CatalogClient, MembershipEvent, NodeSession, Service } from '../catalog/backend.js';
import { componentLogger, type Logger } from '../shared/logger.js';
import type { Pinger, Server } from '../catalog/backend.js';
import { boundedCall, createMemberClient, etcd3 } from './client.js';
import { StoppedError } from '../shared/errors.js';
import { KeyLayout, decodeService, encodeService } from './keys.js';
import { diffServers, membersToServers } from './members.js';
import { resolveOptions, type EtcdBackendOptions, type ResolvedOptions } from './options.js';
import { EtcdSession } from './session.js';

/** pino redaction paths: credentials can never reach a log line, even if someone logs the options. */
export const REDACT_PATHS = [
  'password',
  'auth.password',
  'auth.username',
  '*.password',
  '*.auth.password',
  '*.auth.username',
  'privateKey',
  'tls.privateKey',
  '*.privateKey',
  '*.tls.privateKey',
];

/** The etcd CatalogBackend, plus what the tests and tools around it need. */
export interface EtcdBackend extends CatalogBackend {
  /** The key layout in use (`<prefix>/nodes/<node>/services/<id>`, `<prefix>/sessions/<node>`). */
  readonly keys: KeyLayout;
  /** The raw etcd3 client of one member (created on first use). */
  memberClient(server: Server): Etcd3;
}

function isLeaseNotFound(err: unknown): boolean {
  return err instanceof etcd3.EtcdLeaseInvalidError || /lease not found/i.test(String((err as Error | undefined)?.message));
}

function byId(a: Service, b: Service): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

class EtcdCatalogBackend implements EtcdBackend {
  readonly keys: KeyLayout;
  readonly pinger: Pinger;
  private readonly log: Logger;
  private readonly etcd = new Map<string, Etcd3>();
  private readonly catalogs = new Map<string, CatalogClient>();
  /** Every server seen (endpoints and polled members), by name: the keepalive may renew through any of them. */
  private readonly known = new Map<string, Server>();
  private readonly sessions = new Map<string, EtcdSession>();
  private readonly stopWatchers = new Set<() => void>();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: ResolvedOptions) {
    this.keys = new KeyLayout(options.prefix);
    this.log = componentLogger(options.logger, 'etcd').child({}, { redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
    for (const server of this.initialServers()) this.known.set(server.name, server);
    this.pinger = { ping: (server, signal) => this.ping(server, signal) };
    this.log.debug(
      { endpoints: options.endpoints.map((e) => e.address), prefix: options.prefix, callTimeoutMs: options.callTimeoutMs, auth: options.auth !== undefined, tls: options.tls !== undefined },
      'etcd backend created',
    );
  }

  initialServers(): Server[] {
    return this.options.endpoints.map((e) => (e.secure ? { name: e.address, address: e.address, useTLS: true } : { name: e.address, address: e.address }));
  }

  memberClient(server: Server): Etcd3 {
    this.assertOpen();
    let client = this.etcd.get(server.name);
    if (client === undefined) {
      client = createMemberClient({
        endpoint: { address: server.address, secure: server.useTLS === true || this.options.tls !== undefined },
        callTimeoutMs: this.options.callTimeoutMs,
        auth: this.options.auth,
        tls: this.options.tls,
      });
      this.etcd.set(server.name, client);
      if (!this.known.has(server.name)) this.known.set(server.name, server);
    }
    return client;
  }

  client(server: Server): CatalogClient {
    let catalog = this.catalogs.get(server.name);
    if (catalog === undefined) {
      catalog = this.createCatalogClient(server);
      this.catalogs.set(server.name, catalog);
    }
    return catalog;
  }

  private createCatalogClient(server: Server): CatalogClient {
    const timeoutMs = this.options.callTimeoutMs;
    const keys = this.keys;
    const etcd = (): Etcd3 => this.memberClient(server);
    return {
      listServices: async (node, signal) => {
        const prefix = keys.servicesPrefix(node);
        const values = await boundedCall(signal, timeoutMs, (o) => etcd().getAll().prefix(prefix).options(o).strings());
        const services: Service[] = [];
        for (const [key, value] of Object.entries(values)) {
          const decoded = decodeService(keys.serviceIdOf(node, key), value);
          if (decoded.corrupt) this.log.warn({ node, key }, 'corrupt service entry; the next full sync replaces it');
          services.push(decoded.service);
        }
        return services.sort(byId);
      },
      putService: async (node, service, sessionId, signal) => {
        const key = keys.serviceKey(node, service.id);
        try {
          await boundedCall(signal, timeoutMs, (o) => etcd().put(key).value(encodeService(service)).lease(sessionId).options(o).exec());
        } catch (err) {
          if (isLeaseNotFound(err)) this.sessions.get(sessionId)?.markLost(err);
          throw err;
        }
      },
      deleteService: async (node, id, signal) => {
        const key = keys.serviceKey(node, id);
        await boundedCall(signal, timeoutMs, (o) => etcd().delete().key(key).options(o).exec());
      },
      countNodes: (signal) =>
        boundedCall(signal, timeoutMs, (o) => etcd().getAll().prefix(keys.sessionsPrefix()).options(o).count()),
    };
  }

  /** A member is healthy when it answers a status call in time and knows a leader. */
  private async ping(server: Server, signal: AbortSignal): Promise<boolean> {
    const status = await boundedCall(signal, this.options.callTimeoutMs, (o) => this.memberClient(server).maintenance.status(o));
    return status.leader !== '0' && status.leader !== '';
  }

  async openSession(server: Server, node: string, ttlMs: number, signal: AbortSignal): Promise<NodeSession> {
    if (typeof node !== 'string' || node.length === 0) throw new TypeError(`node must be a non-empty string, received ${JSON.stringify(node)}`);
    if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs < 1000) {
      throw new RangeError(`ttlMs must be a finite number ≥ 1000 (etcd leases are in whole seconds), received ${String(ttlMs)}`);
    }
    const etcd = this.memberClient(server);
    const ttlSec = Math.max(1, Math.round(ttlMs / 1000));
    const timeoutMs = this.options.callTimeoutMs;
    const grant = await boundedCall(signal, timeoutMs, (o) => etcd.leaseClient.leaseGrant({ TTL: ttlSec }, o));
    const id = String(grant.ID);
    const session = new EtcdSession(id, node, ttlSec * 1000, {
      clients: (preferred) => this.clientsPreferring(preferred),
      grantedVia: server.name,
      callTimeoutMs: timeoutMs,
      clock: this.options.clock,
      log: this.log,
      onEnd: (s) => {
        if (this.sessions.get(s.id) === s) this.sessions.delete(s.id);
      },
    });
    this.sessions.set(id, session);
    try {
      const value = JSON.stringify({ node, lease: id, ttlSec });
      await boundedCall(signal, timeoutMs, (o) => etcd.put(this.keys.sessionKey(node)).value(value).lease(id).options(o).exec());
    } catch (err) {
      // Revoke in the background: the caller should not wait out a frozen member twice.
      void session.close();
      throw err;
    }
    this.log.info({ node, session: id, ttlSec, server: server.name }, 'session opened');
    return session;
  }

  /** The member clients, `first` first, then every other known server in name order. */
  private clientsPreferring(first: string): Array<{ name: string; client: Etcd3 }> {
    if (this.closing) return [];
    const names = [...this.known.keys()].sort();
    const ordered = [first, ...names.filter((n) => n !== first)];
    return ordered.flatMap((name) => {
      const server = this.known.get(name);
      return server ? [{ name, client: this.memberClient(server) }] : [];
    });
  }

  watchMembers(listener: (event: MembershipEvent) => void): () => void {
    this.assertOpen();
    const { clock, pollMembersMs, callTimeoutMs } = this.options;
    let current = this.initialServers();
    let stopped = false;
    let timer: unknown;
    let startAt = 0;
    const tls = this.options.tls !== undefined;
    const poll = async (): Promise<void> => {
      const candidates = [...current, ...[...this.known.values()].filter((k) => !current.some((c) => c.name === k.name))];
      for (let i = 0; i < candidates.length && !stopped; i++) {
        const server = candidates[(startAt + i) % candidates.length];
        if (server === undefined) continue;
        try {
          const res = await this.memberClient(server).cluster.memberList({}, { deadline: Date.now() + callTimeoutMs });
          if (stopped) return;
          startAt = (startAt + i) % candidates.length;
          const next = membersToServers(res.members, tls);
          if (next.length === 0) return; // never turn an odd answer into "everyone left"
          const events = diffServers(current, next);
          current = next;
          for (const s of next) this.known.set(s.name, s);
          // A removed member is no longer worth a keepalive attempt; its client closes with the backend.
          for (const e of events) if (e.type === 'leave') this.known.delete(e.server.name);
          for (const event of events) {
            this.log.info({ type: event.type, server: event.server.name, member: event.server.meta?.memberName }, 'membership change');
            try {
              listener(event);
            } catch (err) {
              this.log.error({ err }, 'membership listener threw');
            }
          }
          return;
        } catch (err) {
          this.log.debug({ server: server.name, err }, 'member list failed on one member');
        }
      }
      if (!stopped) this.log.warn({ tried: candidates.length }, 'member list unavailable from every member');
    };
    const loop = (delayMs: number): void => {
      timer = clock.setTimeout(() => {
        poll()
          .catch((err: unknown) => this.log.error({ err }, 'member poll failed'))
          .finally(() => {
            if (!stopped) loop(pollMembersMs);
          });
      }, delayMs);
    };
    loop(0);
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      clock.clearTimeout(timer);
      this.stopWatchers.delete(stop);
    };
    this.stopWatchers.add(stop);
    return stop;
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
    for (const client of this.etcd.values()) {
      try {
        client.close();
      } catch (err) {
        this.log.debug({ err }, 'closing an etcd client failed');
      }
    }
    this.etcd.clear();
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
