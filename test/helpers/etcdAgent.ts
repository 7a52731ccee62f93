// Agent-level helpers for the etcd integration tests: a catalog agent on the
// etcd backend with short real-time intervals, and the "nothing lost" check
// comparing the local catalog with etcd.
import type { Etcd3 } from 'etcd3';
import { createEtcdBackend, decodeService, type EtcdBackend } from '../../src/etcd/index.js';
import { createCatalogAgent, type CatalogAgent } from '../../src/catalog/catalogAgent.js';
import type { ServiceRegistry } from '../../src/catalog/registry.js';
import type { ServerManager } from '../../src/servers/serverManager.js';
import type { StateSyncer } from '../../src/syncer/stateSyncer.js';
import type { Service } from '../../src/catalog/backend.js';
import type { Logger } from '../../src/shared/logger.js';

export interface TestAgent {
  backend: EtcdBackend;
  catalog: CatalogAgent;
  registry: ServiceRegistry;
  syncer: StateSyncer;
  servers: ServerManager;
  /** Stops the agent (revoking its session), then closes the backend unless it was shared in. */
  stop(): Promise<void>;
}

export interface TestAgentOptions {
  endpoints: string[];
  node: string;
  prefix: string;
  /** Full-sync interval, ms. */
  intervalMs?: number;
  sessionTtlMs?: number;
  callTimeoutMs?: number;
  /** The syncer's bound on one sync pass, ms. Default 20 s. */
  syncTimeoutMs?: number;
  /** The server manager's floor between rebalances, ms. Default 5 s. */
  minReuseDurationMs?: number;
  /** The backend's idle close of member clients, ms. Default: the backend's (127 s). */
  idleCloseMs?: number;
  logger?: Logger;
  /** An existing backend to share with other agents (the agent's stop leaves it open). Default: a backend of its own. */
  backend?: EtcdBackend;
  /** The backend's `staleReads`. Default: the backend's (true). */
  staleReads?: boolean;
}

/** A catalog agent on its own etcd backend, with intervals short enough for real-time tests. */
export function startTestAgent(options: TestAgentOptions): TestAgent {
  const callTimeoutMs = options.callTimeoutMs ?? 1000;
  const logger = options.logger ? { logger: options.logger } : {};
  const idle = options.idleCloseMs === undefined ? {} : { idleClose: options.idleCloseMs };
  const stale = options.staleReads === undefined ? {} : { staleReads: options.staleReads };
  const backend = options.backend ?? createEtcdBackend({ endpoints: options.endpoints, prefix: options.prefix, callTimeout: callTimeoutMs, pollMembersInterval: 500, ...idle, ...stale, ...logger });
  const catalog = createCatalogAgent({
    backend,
    node: options.node,
    interval: options.intervalMs ?? 2000,
    sessionTtl: options.sessionTtlMs ?? 3000,
    callTimeout: callTimeoutMs + 500,
    clusterSizeRefresh: 2000,
    serverUpInterval: 200,
    retryFailInterval: 500,
    syncTimeout: options.syncTimeoutMs ?? 20_000,
    stopTimeout: 5000,
    pingTimeout: callTimeoutMs,
    minReuseDuration: options.minReuseDurationMs ?? 5000,
    ...logger,
  }).start();
  return {
    backend,
    catalog,
    registry: catalog.registry,
    syncer: catalog.agent.syncer,
    servers: catalog.agent.servers,
    async stop() {
      await catalog.stop();
      if (options.backend === undefined) await backend.close();
    },
  };
}

/** Every service etcd holds for `node`, decoded and sorted by id (read via `admin`, bypassing the agent). */
export async function remoteServices(admin: Etcd3, prefix: string, node: string): Promise<Service[]> {
  const base = `${prefix}/nodes/${encodeURIComponent(node)}/services/`;
  const values = await admin.getAll().prefix(base).strings();
  return Object.entries(values)
    .map(([key, value]) => decodeService(decodeURIComponent(key.slice(base.length)), value).service)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Waits (bounded, polling) until etcd holds exactly the agent's local catalog; returns how long it took. */
export async function waitConverged(admin: Etcd3, agent: TestAgent, prefix: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let last: { local: Service[]; remote: Service[] } | undefined;
  while (Date.now() - started < timeoutMs) {
    try {
      const local = agent.registry.services();
      const remote = await remoteServices(admin, prefix, agent.registry.node);
      if (JSON.stringify(local) === JSON.stringify(remote) && agent.registry.dirtyIds().length === 0) return Date.now() - started;
      last = { local, remote };
    } catch {
      // the cluster may still be electing; keep polling
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `etcd did not converge to the local catalog within ${timeoutMs} ms: local ${last?.local.length ?? '?'} ids [${last?.local.map((s) => s.id).join(',')}], ` +
      `remote ${last?.remote.length ?? '?'} ids [${last?.remote.map((s) => s.id).join(',')}], dirty [${agent.registry.dirtyIds().join(',')}]`,
  );
}

export const service = (id: string, port = 8080): Service => ({ id, name: 'web', address: '10.1.0.1', port, tags: ['v1'], meta: { zone: 'a' } });

