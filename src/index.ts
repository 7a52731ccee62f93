// ae-sync's public API. Named exports only; subpaths: `ae-sync/machines`,
// `ae-sync/testing`, `ae-sync/etcd`.

// --- time, randomness, logging, errors -------------------------------------
export { type Clock, systemClock, clockNow } from './shared/clock.js';
export { scaleFactor, randomStagger, rateScaledInterval, SCALE_THRESHOLD } from './shared/stagger.js';
export { createRandom, shuffleInPlace } from './shared/random.js';
export type { Logger } from './shared/logger.js';
export {
  AeSyncError,
  isAeSyncError,
  NoServersError,
  isNoServersError,
  StoppedError,
  isStoppedError,
  TimeoutError,
  isTimeoutError,
} from './shared/errors.js';

// --- state syncer (issue: anti-entropy syncer) -------------------------------
export {
  StateSyncer,
  statePath,
  type SyncState,
  type StateSyncerOptions,
  type StateSyncerEvents,
  type SyncStats,
  type SyncKind,
} from './syncer/stateSyncer.js';
export { Trigger, type TriggerTarget } from './syncer/trigger.js';
export type { StateSyncerStateName } from '../machines/stateSyncer.machine.js';

// --- server manager and agent (issue: server manager) ------------------------
export type { Server, Pinger } from './servers/types.js';
export {
  ServerManager,
  MIN_REUSE_DURATION_MS,
  JITTER_FRACTION,
  CONNS_PER_SEC_PER_SERVER,
  PING_TIMEOUT_MS,
  API_MISMATCH_LOG_INTERVAL_MS,
  MAX_TIMER_MS,
  type ServerManagerOptions,
  type ServerManagerEvents,
  type RebalancedEvent,
  type Heartbeat,
} from './servers/serverManager.js';
export { MEMBERSHIP_BACKLOG_WARN } from './servers/membershipQueue.js';
export { createSyncAgent, type SyncAgent, type SyncAgentOptions } from './agent.js';

// --- service catalog and embedded cluster (issue: real use) ------------------
export type { Service, CatalogClient, CatalogBackend, NodeSession, MembershipEvent } from './catalog/backend.js';
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
  ServiceRegistry,
  CatalogSyncError,
  diffCatalog,
  type ServiceRegistryOptions,
  type ServerCaller,
  type SyncTriggers,
  type EntryFailure,
  type RegistryStats,
  MemoryCluster,
  MemorySession,
  ServerUnavailableError,
  SessionNotFoundError,
  type MemoryClusterOptions,
  type MemoryClusterEvents,
  type MemoryOp,
  type MemoryOpRecord,
  createCatalogAgent,
  type CatalogAgent,
  type CatalogAgentOptions,
} from './catalog/index.js';
