// `ae-sync/etcd`: the etcd catalog backend for the service registry, and the key
// layout and value encoding for readers of the catalog it writes.

/**
 * The etcd catalog backend and the key layout and value encoding of the catalog it writes. Needs the optional peer `etcd3`.
 *
 * @module ae-sync/etcd
 */
export { createEtcdBackend, type EtcdBackend } from './backend.js';
export {
  DEFAULT_ETCD_CALL_TIMEOUT_MS,
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
export { SessionLostError, isSessionLostError } from '../catalog/errors.js';
export { LOST_AFTER_TTLS } from './lostAfter.js';
export type { EtcdMemberClient } from './backend.js';
export { StaleReadError, isStaleReadError, type ReadStats } from './readFloor.js';
