// The writes of one sync pass: the owed ids grouped into batches (one call each
// when the backend takes batches), a put when the id is registered at the moment
// of the write, else a delete. A failed batch is tried on the next server, then
// split in halves, down to single entries; a single entry that still fails is
// collected per entry (Consul PR #4771) or quarantined (quarantine.ts).
import type { NodeSession, Service, WriteOp } from './backend.js';
import { abortReason } from '../shared/abort.js';
import type { Logger } from '../shared/logger.js';
import { CatalogSyncError, type EntryFailure, isRefusedWriteError } from './errors.js';
import type { Entry, EntryTable } from './entries.js';
import type { Quarantine } from './quarantine.js';
import type { RemoteCall } from './remoteCall.js';

export type { Entry } from './entries.js';

export interface WriteCounters {
  puts: number;
  deletes: number;
  failedWrites: number;
  /** Remote write calls that carried more than one op. */
  batches: number;
}

export interface SyncPassDeps {
  node: string;
  table: EntryTable;
  quarantine: Quarantine;
  counters: WriteCounters;
  log: Logger;
  maxConsecutiveFailures: number;
  writeAttempts: number;
  /** Most ops per write call; 1 sends every write on its own (no `writeBatch`). */
  maxBatchOps: number;
  remote: <T>(signal: AbortSignal, call: RemoteCall<T>) => Promise<T>;
}

/** One op of a batch as sent: the entry and version it was built from. */
interface Planned {
  id: string;
  entry: Entry | undefined;
  version: number | undefined;
  service: Service | undefined;
}

/**
 * Writes what is owed for each id (changes made while the pass runs are honoured).
 * Blocked entries get one attempt each, on their own, after the others. Failures
 * are collected, not fatal, until `maxConsecutiveFailures` failed calls in a row;
 * entries never tried stay dirty. Rejects with CatalogSyncError when any write of
 * an unblocked entry failed; a quarantined entry never fails the pass.
 */
export async function applyWrites(d: SyncPassDeps, ids: readonly string[], session: NodeSession, signal: AbortSignal): Promise<void> {
  const queue: string[][] = [];
  const retries: string[][] = [];
  let batch: string[] = [];
  for (const id of ids) {
    if (d.table.get(id)?.blocked) {
      retries.push([id]);
      continue;
    }
    batch.push(id);
    if (batch.length >= d.maxBatchOps) {
      queue.push(batch);
      batch = [];
    }
  }
  if (batch.length > 0) queue.push(batch);
  queue.push(...retries);

  const failures: EntryFailure[] = [];
  let consecutive = 0;
  while (queue.length > 0 && consecutive < d.maxConsecutiveFailures) {
    const ids = queue.shift() as string[];
    const blocked = ids.length === 1 && d.table.get(ids[0] as string)?.blocked !== undefined;
    const error = await attempts(d, ids, session, signal, blocked ? 1 : d.writeAttempts);
    if (error === undefined) {
      consecutive = 0;
      continue;
    }
    const refused = isRefusedWriteError(error);
    if (!refused) consecutive++;
    const named = refused && error.id !== undefined && ids.length > 1 ? ids.indexOf(error.id) : -1;
    if (named >= 0) {
      // The server said which entry it refused: quarantine that one, resend the rest at once.
      queue.unshift(ids.filter((_, i) => i !== named));
      const entry = d.table.get(ids[named] as string) ?? d.table.create(ids[named] as string);
      d.table.markDirty(entry);
      d.quarantine.failed(entry, error);
      continue;
    }
    if (ids.length > 1) {
      if (consecutive >= d.maxConsecutiveFailures) {
        for (const id of ids) {
          failures.push({ id, op: opOf(d, id), error });
          const entry = d.table.get(id);
          if (entry) d.table.markDirty(entry);
        }
        d.log.warn({ ops: ids.length, first: ids[0], err: error }, 'catalog batch failed; its entries stay dirty');
        continue;
      }
      // Split so the rest lands: halves go back to the front, in order.
      const half = Math.ceil(ids.length / 2);
      queue.unshift(ids.slice(0, half), ids.slice(half));
      d.log.debug({ ops: ids.length, err: error }, 'catalog batch failed; splitting it');
      continue;
    }
    const id = ids[0] as string;
    const op = opOf(d, id);
    const entry = d.table.get(id) ?? d.table.create(id); // an extra remote entry gets a tombstone, so it can be quarantined
    d.table.markDirty(entry);
    if (d.quarantine.failed(entry, error)) continue;
    failures.push({ id, op, error });
    d.log.warn({ id, op, err: error }, 'catalog write failed; entry stays dirty');
  }
  let skipped = 0;
  for (const rest of queue) {
    skipped += rest.length;
    for (const id of rest) {
      const entry = d.table.get(id);
      if (entry) d.table.markDirty(entry);
    }
  }
  if (failures.length > 0) throw new CatalogSyncError(failures, skipped);
}

function opOf(d: SyncPassDeps, id: string): 'put' | 'delete' {
  return d.table.get(id)?.service ? 'put' : 'delete';
}

/** Up to `tries` calls for one batch (a refused one is not retried); the last error, or undefined when it landed. */
async function attempts(d: SyncPassDeps, ids: readonly string[], session: NodeSession, signal: AbortSignal, tries: number): Promise<unknown> {
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) throw abortReason(signal);
    try {
      await send(d, ids, session, signal);
      return undefined;
    } catch (error) {
      if (signal.aborted) throw abortReason(signal);
      d.counters.failedWrites++;
      if (attempt >= tries || isRefusedWriteError(error)) return error;
      d.log.debug({ ops: ids.length, first: ids[0], err: error }, 'catalog write failed; retrying on the next server');
    }
  }
}

/**
 * One remote write call. Every write of a pass goes through here, so a write pacer
 * (a cap on writes per second) belongs just before the call. The ops are built from
 * the entries as they are now: the entry may have changed while the last try ran.
 */
async function send(d: SyncPassDeps, ids: readonly string[], session: NodeSession, signal: AbortSignal): Promise<void> {
  const plan: Planned[] = ids.map((id) => {
    const entry = d.table.get(id);
    return { id, entry, version: entry?.version, service: entry?.service };
  });
  if (plan.length === 1) {
    const { id, service } = plan[0] as Planned;
    if (service) await d.remote(signal, (client, _server, sig) => client.putService(d.node, service, session.id, sig));
    else await d.remote(signal, (client, _server, sig) => client.deleteService(d.node, id, sig));
  } else {
    const ops: WriteOp[] = plan.map((p) => (p.service ? { op: 'put', service: p.service } : { op: 'delete', id: p.id }));
    await d.remote(signal, (client, _server, sig) => {
      if (typeof client.writeBatch !== 'function') throw new TypeError('the backend declares maxBatchOps but its client has no writeBatch()');
      return client.writeBatch(d.node, ops, session.id, sig);
    });
    d.counters.batches++;
  }
  for (const p of plan) landed(d, p, session);
}

function landed(d: SyncPassDeps, p: Planned, session: NodeSession): void {
  const { entry } = p;
  if (p.service) {
    d.counters.puts++;
    if (!entry) return;
    entry.writtenSession = session.id;
    d.quarantine.succeeded(entry);
    if (entry.version === p.version) d.table.markClean(entry);
    return;
  }
  d.counters.deletes++;
  if (!entry) return;
  d.quarantine.succeeded(entry);
  if (entry.version === p.version && d.table.get(p.id) === entry) d.table.remove(entry);
}
