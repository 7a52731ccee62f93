// An agent that keeps its local service catalog registered in a remote catalog
// cluster: a ServiceRegistry (the SyncState) wired into createSyncAgent's syncer
// and server manager, fed with any CatalogBackend (MemoryCluster, etcd).
import { ServiceRegistry, type ServiceRegistryOptions } from './registry.js';
import { validateNodeName } from './validate.js';
import { createSyncAgent, type SyncAgent, type SyncAgentOptions } from '../agent.js';
import type { SyncState } from '../syncer/stateSyncer.js';
import { StoppedError } from '../shared/errors.js';
import { describeValue } from '../shared/options.js';

/**
 * The agent's options: createSyncAgent's (less the parts the catalog supplies) plus the
 * registry's own — `backend`, `node` and its tuning, documented on ServiceRegistryOptions.
 */
export interface CatalogAgentOptions
  extends Omit<SyncAgentOptions, 'state' | 'pinger' | 'clusterSize'>,
    Pick<
      ServiceRegistryOptions,
      'backend' | 'node' | 'sessionTtl' | 'callTimeout' | 'clusterSizeRefresh' | 'maxConsecutiveFailures' | 'writeAttempts'
    > {}

export interface CatalogAgent {
  readonly node: string;
  /** The local catalog: register/deregister here. */
  readonly registry: ServiceRegistry;
  /** The syncer and server manager. */
  readonly agent: SyncAgent;
  /** Seeds the manager with the backend's servers (shuffled), watches membership, starts manager then syncer. */
  start(): CatalogAgent;
  /**
   * Stops watching membership, stops syncer and manager, then closes the registry (which
   * revokes the session: the node's entries leave the catalog). Never rejects; safe to repeat.
   */
  stop(): Promise<void>;
}

export function createCatalogAgent(options: CatalogAgentOptions): CatalogAgent {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`createCatalogAgent options must be an object, received ${describeValue(options)}`);
  }
  const { backend, sessionTtl, callTimeout, clusterSizeRefresh, maxConsecutiveFailures, writeAttempts, ...rest } = options;
  if (typeof backend !== 'object' || backend === null || typeof backend.initialServers !== 'function' || typeof backend.watchMembers !== 'function') {
    throw new TypeError(`backend must be a CatalogBackend, received ${describeValue(backend)}`);
  }
  const node = validateNodeName(options.node);
  const logger = options.logger?.child({ node });

  // The syncer needs the state and the registry needs the manager: the state
  // forwards to the registry, which exists before anything can call it (start()).
  const state: SyncState = {
    syncFull: (signal) => registry.syncFull(signal),
    syncChanges: (signal) => registry.syncChanges(signal),
  };
  const agent = createSyncAgent({
    ...rest,
    logger,
    state,
    pinger: backend.pinger,
    clusterSize: () => registry.clusterSize(),
  });
  const registry: ServiceRegistry = new ServiceRegistry({
    backend,
    servers: agent.servers,
    node,
    sessionTtl,
    callTimeout,
    clusterSizeRefresh,
    maxConsecutiveFailures,
    writeAttempts,
    clock: options.clock,
    // The registry tags its own lines with the node: given the agent's child logger, every line would carry `node` twice.
    logger: options.logger,
    syncer: agent.syncer,
  });

  let started = false;
  let stopping: Promise<void> | undefined;
  let unwatch: (() => void) | undefined;
  const catalogAgent: CatalogAgent = {
    node,
    registry,
    agent,
    start() {
      if (stopping) throw new StoppedError(`catalog agent ${node} was stopped and cannot be started again`);
      if (started) return catalogAgent;
      started = true;
      // A shuffled copy (Nomad's SetServers), so a fleet starting together spreads over the servers.
      agent.servers.setServers(backend.initialServers());
      unwatch = backend.watchMembers((event) => agent.servers.applyMembershipEvent(event));
      agent.start();
      return catalogAgent;
    },
    stop() {
      stopping ??= (async () => {
        try {
          unwatch?.();
        } catch (err) {
          logger?.warn({ err }, 'stopping the membership watch failed');
        }
        await agent.stop();
        await registry.close();
      })();
      return stopping;
    },
  };
  return catalogAgent;
}
