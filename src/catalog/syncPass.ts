// The writes of one sync pass: for each owed id, in order, a put when the id is
// registered at the moment of the write, else a delete, retried on the next server
// and collected per entry (Consul PR #4771) until too many fail in a row.
import type { NodeSession, Service } from './backend.js';
import { abortReason } from '../shared/abort.js';
import type { Logger } from '../shared/logger.js';
import { CatalogSyncError, type EntryFailure } from './errors.js';
import type { RemoteCall } from './remoteCall.js';

/** One local catalog entry. */
export interface Entry {
  id: string;
  /** undefined: deregistered, a delete is still owed to the servers (a tombstone). */
  service: Service | undefined;
  dirty: boolean;
  /** Bumped on every local change, so a write that raced a change leaves the entry dirty. */
  version: number;
  /** Session the last successful put attached the entry to. */
  writtenSession: string | undefined;
}

export interface WriteCounters {
  puts: number;
  deletes: number;
  failedWrites: number;
}

export interface SyncPassDeps {
  node: string;
  entries: Map<string, Entry>;
  counters: WriteCounters;
  log: Logger;
  maxConsecutiveFailures: number;
  writeAttempts: number;
  remote: <T>(signal: AbortSignal, call: RemoteCall<T>) => Promise<T>;
}

/**
 * Writes what is owed for each id (changes made while the pass runs are honoured).
 * Failures are collected, not fatal, until `maxConsecutiveFailures` happen in a row;
 * entries never tried stay dirty. Rejects with CatalogSyncError when any write failed.
 */
export async function applyWrites(d: SyncPassDeps, ids: readonly string[], session: NodeSession, signal: AbortSignal): Promise<void> {
  const failures: EntryFailure[] = [];
  let consecutive = 0;
  let index = 0;
  for (; index < ids.length && consecutive < d.maxConsecutiveFailures; index++) {
    const id = ids[index] as string;
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) throw abortReason(signal);
      // Re-read at each attempt: the entry may have changed while the last one ran.
      const entry = d.entries.get(id);
      const op: 'put' | 'delete' = entry?.service ? 'put' : 'delete';
      try {
        if (entry?.service) await put(d, entry, entry.service, session, signal);
        else await remove(d, id, entry, signal);
        consecutive = 0;
        break;
      } catch (error) {
        if (signal.aborted) throw abortReason(signal);
        d.counters.failedWrites++;
        if (entry) entry.dirty = true;
        if (attempt < d.writeAttempts) {
          d.log.debug({ id, op, err: error }, 'catalog write failed; retrying on the next server');
          continue;
        }
        consecutive++;
        failures.push({ id, op, error });
        d.log.warn({ id, op, err: error }, 'catalog write failed; entry stays dirty');
        break;
      }
    }
  }
  for (let i = index; i < ids.length; i++) {
    const entry = d.entries.get(ids[i] as string);
    if (entry) entry.dirty = true;
  }
  if (failures.length > 0) throw new CatalogSyncError(failures, ids.length - index);
}

async function put(d: SyncPassDeps, entry: Entry, service: Service, session: NodeSession, signal: AbortSignal): Promise<void> {
  const version = entry.version;
  await d.remote(signal, (client, _server, sig) => client.putService(d.node, service, session.id, sig));
  d.counters.puts++;
  entry.writtenSession = session.id;
  if (entry.version === version) entry.dirty = false;
}

async function remove(d: SyncPassDeps, id: string, entry: Entry | undefined, signal: AbortSignal): Promise<void> {
  const version = entry?.version;
  await d.remote(signal, (client, _server, sig) => client.deleteService(d.node, id, sig));
  d.counters.deletes++;
  if (entry && entry.version === version && d.entries.get(id) === entry) d.entries.delete(id);
}
