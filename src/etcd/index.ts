// `ae-sync/etcd`: the etcd catalog backend for the service registry, and the key
// layout and value encoding for readers of the catalog it writes.
export { createEtcdBackend, type EtcdBackend } from './backend.js';
export {
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_IDLE_CLOSE_MS,
  DEFAULT_POLL_MEMBERS_MS,
  DEFAULT_SESSION_GRACE,
  DEFAULT_MAX_TXN_OPS,
  MIN_SESSION_TTL_MS,
  DEFAULT_PREFIX,
  type EtcdAuthOptions,
  type EtcdBackendOptions,
  type EtcdTlsOptions,
} from './options.js';
export { KeyLayout, encodeService, decodeService, CORRUPT_META_KEY } from './keys.js';
export { encodeCheck, decodeCheck, encodeNodeInfo, decodeNodeInfo } from './checkCodec.js';
export { StaleReadError, isStaleReadError, type ReadStats } from './readFloor.js';
export { SessionLostError, isSessionLostError, LOST_AFTER_TTLS } from './session.js';
