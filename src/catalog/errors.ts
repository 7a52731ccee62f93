// The catalog's typed errors, shared by every backend: a sync pass with failed
// writes, a server that refused a call, a session the servers no longer know,
// and a session the client gave up on. Guards check the brand (src/shared/errors.ts).
import { AeSyncError, brandGuard } from '../shared/errors.js';

/** One failed remote write of a sync pass. */
export interface EntryFailure {
  id: string;
  op: 'put' | 'delete';
  error: unknown;
}

/** A sync pass in which some writes failed; the failed entries stay dirty. */
export class CatalogSyncError extends AeSyncError {
  constructor(
    readonly failures: readonly EntryFailure[],
    readonly skipped: number,
  ) {
    const ids = failures.map((f) => f.id).join(', ');
    const tail = skipped > 0 ? `; ${skipped} more skipped` : '';
    super('ERR_CATALOG_SYNC', `${failures.length} catalog write(s) failed (${ids})${tail}`, { cause: failures[0]?.error });
  }
}
export const isCatalogSyncError = brandGuard<CatalogSyncError>('ERR_CATALOG_SYNC');

/** A server refused or dropped a call (failed, removed, partitioned, or the cluster is closed). */
export class ServerUnavailableError extends AeSyncError {
  constructor(
    readonly server: string,
    reason: string,
  ) {
    super('ERR_SERVER_UNAVAILABLE', `server ${server} unavailable: ${reason}`);
  }
}
export const isServerUnavailableError = brandGuard<ServerUnavailableError>('ERR_SERVER_UNAVAILABLE');

/** A write referred to a session the servers no longer know (expired or revoked). */
export class SessionNotFoundError extends AeSyncError {
  constructor(readonly sessionId: string) {
    super('ERR_SESSION_NOT_FOUND', `session ${sessionId} not found`);
  }
}
export const isSessionNotFoundError = brandGuard<SessionNotFoundError>('ERR_SESSION_NOT_FOUND');

/**
 * A node's session is gone: the servers expired or revoked it, or the client could
 * not renew it for long enough. What every backend hands a session's `onLost` listeners.
 */
export class SessionLostError extends AeSyncError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SESSION_LOST', message, options);
  }
}
export const isSessionLostError = brandGuard<SessionLostError>('ERR_SESSION_LOST');

/**
 * Another live session already holds this node name: two agents were started with
 * the same node and would delete each other's entries (Consul refuses a node-ID
 * conflict the same way). Backends reject `openSession` with it; the registry retries
 * (the other holder may be a dead agent whose session has not expired yet) and logs
 * it loudly. `holder` is the other session's id where the backend knows it.
 */
export class NodeConflictError extends AeSyncError {
  constructor(
    readonly node: string,
    readonly holder?: string,
  ) {
    super('ERR_NODE_CONFLICT', `node ${node} is already held by another live session${holder === undefined ? '' : ` (${holder})`}: two agents share a node name`);
  }
}
export const isNodeConflictError = brandGuard<NodeConflictError>('ERR_NODE_CONFLICT');

/** Why a server refused a write for good: retrying the same content cannot succeed. */
export type RefusalReason = 'permission' | 'tooLarge' | 'invalid';

/**
 * A server refused a write that will never succeed as it is: no permission on the
 * key, a value (or a batch) over the server's request limit, or content the server
 * calls invalid. Backends map their own codes to it (etcd: permission denied,
 * request too large, invalid argument); the registry quarantines the entry instead
 * of failing the sync. A batch refused this way is split, so `id` (the entry the
 * server named, when it did) is optional.
 */
export class RefusedWriteError extends AeSyncError {
  readonly id: string | undefined;
  /** Whether `id` names a service, a health check or the node's info. */
  readonly kind: 'service' | 'check' | 'node';
  constructor(
    readonly reason: RefusalReason,
    message: string,
    options?: { cause?: unknown; id?: string; kind?: 'service' | 'check' | 'node' },
  ) {
    super('ERR_WRITE_REFUSED', `write refused (${reason}): ${message}`, options);
    this.id = options?.id;
    this.kind = options?.kind ?? 'service';
  }
}
export const isRefusedWriteError = brandGuard<RefusedWriteError>('ERR_WRITE_REFUSED');
