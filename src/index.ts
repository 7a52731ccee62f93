// ae-sync's public API. Named exports only; subpaths: `ae-sync/machines`,
// `ae-sync/testing`, `ae-sync/etcd`.

// --- time, randomness, logging, errors -------------------------------------
export { type Clock, systemClock, clockNow } from './clock.js';
export { scaleFactor, randomStagger, rateScaledInterval, SCALE_THRESHOLD } from './stagger.js';
export { createRandom, shuffleInPlace } from './random.js';
export type { Logger } from './logger.js';
export {
  AeSyncError,
  isAeSyncError,
  NoServersError,
  isNoServersError,
  StoppedError,
  isStoppedError,
  TimeoutError,
  isTimeoutError,
} from './errors.js';

// --- state syncer (issue: anti-entropy syncer) -------------------------------
export {
  StateSyncer,
  statePath,
  type SyncState,
  type StateSyncerOptions,
  type StateSyncerEvents,
  type SyncStats,
  type SyncKind,
} from './stateSyncer.js';
export { Trigger, type TriggerTarget } from './trigger.js';
export type { StateSyncerStateName } from '../machines/stateSyncer.machine.js';

// --- server manager and agent (issue: server manager) ------------------------
export type { Server, Pinger } from './serverTypes.js';

// --- service catalog and embedded cluster (issue: real use) ------------------
export type { Service, CatalogClient, CatalogBackend, NodeSession, MembershipEvent } from './catalog/backend.js';
