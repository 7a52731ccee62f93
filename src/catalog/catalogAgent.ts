// An agent that keeps its local service catalog registered in a remote catalog
// cluster: a ServiceRegistry (the SyncState) wired into createSyncAgent's syncer
// and server manager, fed with any CatalogBackend (MemoryCluster, etcd).
import { ServiceRegistry, type ServiceRegistryOptions } from './registry.js';
import { validateNodeName } from './validate.js';
import { createSyncAgent, type SyncAgent, type SyncAgentOptions } from '../agent.js';
import type { SyncState } from '../syncer/stateSyncer.js';
import { StoppedError } from '../shared/errors.js';
import { MAX_TIMER_MS } from '../shared/clock.js';
import { describeValue, durationMs } from '../shared/options.js';
import { guardLogger } from '../shared/logger.js';
import { DEFAULT_CALL_TIMEOUT_MS } from './registryOptions.js';
import { instrumentBackend } from './instrumentedBackend.js';
import { registryTelemetry } from '../telemetry/registry.js';
import { clockNow, systemClock } from '../shared/clock.js';

/**
 * The default `syncTimeout`, as a multiple of `callTimeout` (5 min at the default 5 s).
 * Every remote call is already bounded by `callTimeout`, and a pass stops after
 * `maxConsecutiveFailures` failed writes in a row, so a pass against dead or hung servers
 * ends within callTimeout × (2 + maxConsecutiveFailures × writeAttempts) — 60 s with the
 * defaults. The pass timeout is the backstop for what those bounds cannot see (a backend
 * that answers every call just under its deadline) and must still let a healthy first
 * registration of MAX_SERVICES (10,000 puts) finish in one pass when `writeBurst` lets it
 * (300 s allows 30 ms per put); under the write cap a pass never waits for tokens.
 */
export const SYNC_TIMEOUT_CALL_TIMEOUTS = 60;

/**
 * The agent's options: createSyncAgent's (less the parts the catalog supplies) plus the
 * registry's own — `backend`, `node` and its tuning, documented on ServiceRegistryOptions.
 * `syncTimeout` defaults to 60 × `callTimeout` (5 min with the defaults; see
 * SYNC_TIMEOUT_CALL_TIMEOUTS), where a bare StateSyncer has none.
 */
export interface CatalogAgentOptions
  extends Omit<SyncAgentOptions, 'state' | 'pinger' | 'clusterSize'>,
    Pick<
      ServiceRegistryOptions,
      'backend' | 'node' | 'sessionTtl' | 'callTimeout' | 'clusterSizeRefresh' | 'maxConsecutiveFailures' | 'writeAttempts' | 'readAttempts' | 'blockAfterFailures' | 'blockedWarnInterval' | 'maxBatchOps' | 'checkUpdateInterval' | 'writesPerSecPerServer' | 'writeBurst'
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
  const { backend } = options;
  if (typeof backend !== 'object' || backend === null || typeof backend.initialServers !== 'function' || typeof backend.watchMembers !== 'function') {
    throw new TypeError(`backend must be a CatalogBackend, received ${describeValue(backend)}`);
  }
  const node = validateNodeName(options.node);
  const logger = options.logger && guardLogger(options.logger).child({ node });
  const callTimeoutMs = durationMs('callTimeout', options.callTimeout, DEFAULT_CALL_TIMEOUT_MS);
  const syncTimeout = options.syncTimeout ?? Math.min(MAX_TIMER_MS, callTimeoutMs * SYNC_TIMEOUT_CALL_TIMEOUTS);
  // Metrics and spans of the registry's remote operations (docs/observability.md).
  const clock = options.clock ?? systemClock;
  const telemetry = registryTelemetry(options, () => clockNow(clock));

  // The syncer needs the state and the registry needs the manager: the state
  // forwards to the registry, which exists before anything can call it (start()).
  const state: SyncState = {
    syncFull: (signal) => telemetry.pass(() => registry.syncFull(signal)),
    syncChanges: (signal) => telemetry.pass(() => registry.syncChanges(signal)),
  };
  // Options are forwarded whole: the syncer, the manager and the registry each read the
  // keys they know, so none is copied (or forgotten) here.
  const agent = createSyncAgent({
    ...options,
    syncTimeout,
    logger,
    state,
    pinger: backend.pinger,
    clusterSize: () => registry.clusterSize(),
  });
  const registry: ServiceRegistry = new ServiceRegistry({
    // `logger` is the user's: the registry tags its own lines with the node, and given the
    // agent's child logger every line would carry `node` twice.
    ...options,
    backend: instrumentBackend(backend, telemetry),
    node,
    servers: agent.servers,
    syncer: agent.syncer,
  });

  let started = false;
  /** Set when agent.start() itself threw: the syncer and manager cannot start twice. */
  let broken: unknown;
  let stopping: Promise<void> | undefined;
  let unwatch: (() => void) | undefined;
  const stopWatching = (): void => {
    const off = unwatch;
    unwatch = undefined;
    try {
      off?.();
    } catch (err) {
      logger?.warn({ err }, 'stopping the membership watch failed');
    }
  };
  const catalogAgent: CatalogAgent = {
    node,
    registry,
    agent,
    start() {
      if (stopping) throw new StoppedError(`catalog agent ${node} was stopped and cannot be started again`);
      if (broken !== undefined) throw new StoppedError(`catalog agent ${node} failed to start (${broken instanceof Error ? broken.message : describeValue(broken)}) and cannot be started again; stop() it`);
      if (started) return catalogAgent;
      // Each step is undone if a later one throws, so a failed start leaves nothing
      // running and no timer behind, and (the backend recovered) start() may be called again.
      try {
        // A shuffled copy (Nomad's SetServers), so a fleet starting together spreads over the servers.
        agent.servers.setServers(backend.initialServers());
        const off: unknown = backend.watchMembers((event) => agent.servers.applyMembershipEvent(event));
        if (typeof off !== 'function') throw new TypeError(`backend.watchMembers must return a function, received ${describeValue(off)}`);
        unwatch = off as () => void;
      } catch (err) {
        stopWatching();
        throw err;
      }
      try {
        agent.start();
      } catch (err) {
        // Half-started: stop whatever did start now; stop() awaits it.
        broken = err;
        stopWatching();
        void agent.stop();
        throw err;
      }
      started = true;
      telemetry.started(registry);
      return catalogAgent;
    },
    stop() {
      stopping ??= (async () => {
        stopWatching();
        await agent.stop();
        await registry.close();
        telemetry.stopped(registry);
      })();
      return stopping;
    },
  };
  return catalogAgent;
}
