// The service catalog: the contract with remote catalogs, validation, the local
// registry (SyncState), the embedded MemoryCluster and the agent that wires them.
export type { Service, CatalogClient, CatalogBackend, NodeSession, MembershipEvent } from './backend.js';
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
} from './validate.js';
export {
  ServiceRegistry,
  CatalogSyncError,
  diffCatalog,
  type ServiceRegistryOptions,
  type ServerCaller,
  type SyncTriggers,
  type EntryFailure,
  type RegistryStats,
} from './registry.js';
export {
  MemoryCluster,
  MemorySession,
  ServerUnavailableError,
  SessionNotFoundError,
  type MemoryClusterOptions,
  type MemoryClusterEvents,
  type MemoryOp,
  type MemoryOpRecord,
} from './memory/memoryCluster.js';
export { createCatalogAgent, type CatalogAgent, type CatalogAgentOptions } from './catalogAgent.js';
