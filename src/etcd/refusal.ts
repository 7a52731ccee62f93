// Which etcd errors mean "this write will never succeed as it is": the codes the
// registry quarantines an entry for (RefusedWriteError), told apart from the
// transient ones (no leader, timeouts, a lost lease) that keep today's retries.
import { RefusedWriteError, type RefusalReason } from '../catalog/errors.js';
import { etcd3 } from './client.js';

/**
 * etcd's refusals, by what etcd3 makes of them: `etcdserver: permission denied`
 * (gRPC PERMISSION_DENIED); `etcdserver: request is too large` (over the member's
 * `--max-request-bytes`, 1.5 MiB by default), `too many operations in txn request`
 * (over `--max-txn-ops`) and gRPC's own `larger than max` (RESOURCE_EXHAUSTED); any
 * other INVALID_ARGUMENT. Everything else is transient.
 */
export function refusalOf(err: unknown): RefusalReason | undefined {
  if (err instanceof etcd3.EtcdPermissionDeniedError) return 'permission';
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof etcd3.GRPCResourceExhastedError || /request is too large|larger than max|too many operations in txn/i.test(message)) return 'tooLarge';
  if (err instanceof etcd3.GRPCInvalidArgumentError) return 'invalid';
  return undefined;
}

/** `err` as a RefusedWriteError (cause kept) when etcd refused the write for good, else `err` unchanged. */
export function asRefusal(err: unknown, id?: string, kind: 'service' | 'check' | 'node' = 'service'): unknown {
  const reason = refusalOf(err);
  if (reason === undefined) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new RefusedWriteError(reason, message, id === undefined ? { cause: err } : { cause: err, id, kind });
}
