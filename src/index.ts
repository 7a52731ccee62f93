// ae-sync's public API: every name a user imports from 'ae-sync', listed once,
// here. Subpath entries: 'ae-sync/machines' (the pure machines), 'ae-sync/testing'
// (fake clock, deterministic random, test doubles), 'ae-sync/etcd' (the etcd backend),
// 'ae-sync/view' (the live view of running machines).
// test/exports.test.ts snapshots this list: a change to it shows as a diff.

/**
 * The main entry: the state syncer, the server manager, the agents that wire them, the service registry with its embedded cluster, and the typed errors.
 *
 * @module ae-sync
 */

// --- errors (guards check a brand, never the name) ---------------------------
export {
  AeSyncError,
  isAeSyncError,
  NoServersError,
  isNoServersError,
  StoppedError,
  isStoppedError,
  TimeoutError,
  isTimeoutError,
  NotPausedError,
  isNotPausedError,
} from './shared/errors.js';
export {
  CatalogSyncError,
  isCatalogSyncError,
  ServerUnavailableError,
  isServerUnavailableError,
  SessionNotFoundError,
  isSessionNotFoundError,
  SessionLostError,
  isSessionLostError,
  NodeConflictError,
  isNodeConflictError,
  RefusedWriteError,
  isRefusedWriteError,
  type RefusalReason,
  type EntryFailure,
} from './catalog/errors.js';
export { MissingPeerError, isMissingPeerError } from './shared/peer.js';

// --- time, jitter and rate scaling ---------------------------------------------
export type { Clock } from './shared/clock.js';
export { MAX_TIMER_MS } from './shared/clock.js';
export { scaleFactor, randomStagger, rateScaledInterval, SCALE_THRESHOLD } from './shared/stagger.js';
export { fromConsole, silentLogger, type Logger, type LogFn, type ConsoleLike } from './shared/logger.js';
export type { Listener } from './shared/emitter.js';

// --- state syncer ------------------------------------------------------------------
export {
  StateSyncer,
  type SyncState,
  type StateSyncerOptions,
  type StateSyncerEvents,
  type SyncStats,
  type SyncKind,
} from './syncer/stateSyncer.js';
export type { Trigger } from './syncer/trigger.js';
export { whenSynced, type WaitOptions } from './syncer/whenSynced.js';
export type { StateSyncerStateName } from '../machines/stateSyncer.machine.js';

// --- server manager and agent --------------------------------------------------------
export type { Server, Pinger, MembershipEvent, HealthCause } from './servers/types.js';
export type { ActorView } from './shared/actorHost.js';
export {
  ServerManager,
  MIN_REUSE_DURATION_MS,
  JITTER_FRACTION,
  CONNS_PER_SEC_PER_SERVER,
  PING_TIMEOUT_MS,
  API_MISMATCH_LOG_INTERVAL_MS,
  FAILURE_THRESHOLD,
  DEAD_SERVER_TIMEOUT_MS,
  DISCOVER_INTERVAL_MS,
  DISCOVER_TIMEOUT_MS,
  type ServerManagerOptions,
  type ServerManagerEvents,
  type RebalancedEvent,
  type Heartbeat,
  type CallOptions,
  type HealthState,
  type ServerHealth,
  type HealthChangedEvent,
  type ServerRemovedEvent,
  type RemovalReason,
} from './servers/serverManager.js';
export { MEMBERSHIP_BACKLOG_WARN } from './servers/membershipQueue.js';
export { createSyncAgent, type SyncAgent, type SyncAgentOptions } from './agent.js';
export type { FullSyncOnServerUp } from './wiring.js';

// --- service catalog, its contract and the embedded cluster ------------------------------
export type { Service, Check, CheckStatus, NodeInfo, WriteOp, CatalogClient, CatalogBackend, NodeSession } from './catalog/backend.js';
export { validateCheck, validateNodeInfo, checksEqual, MAX_CHECK_OUTPUT_BYTES, MAX_CHECK_NOTES_LENGTH, MAX_CHECKS } from './catalog/validateCheck.js';
export {
  validateService,
  validateServiceId,
  validateNodeName,
  servicesEqual,
  MAX_ID_LENGTH,
  MAX_NAME_LENGTH,
  MAX_ADDRESS_LENGTH,
  MAX_TAGS,
  MAX_TAG_LENGTH,
  MAX_META_PAIRS,
  MAX_META_KEY_LENGTH,
  MAX_META_VALUE_LENGTH,
  MAX_SERVICE_BYTES,
  MAX_SERVICES,
} from './catalog/validate.js';
export {
  ServiceRegistry,
  diffCatalog,
  type ServiceRegistryOptions,
  type ServerCaller,
  type SyncTriggers,
  type RegistryStats,
  type BlockedEntry,
  type CheckRegistration,
} from './catalog/registry.js';
export { MemoryCluster } from './catalog/memory/cluster.js';
export type { MemoryClusterOptions, MemoryClusterEvents, MemoryOp, MemoryOpRecord, ServerStatus } from './catalog/memory/types.js';
export { createCatalogAgent, SYNC_TIMEOUT_CALL_TIMEOUTS, type CatalogAgent, type CatalogAgentOptions } from './catalog/catalogAgent.js';
export { whenWritten } from './catalog/whenWritten.js';
export { DEFAULT_CALL_TIMEOUT_MS } from './catalog/registryOptions.js';
