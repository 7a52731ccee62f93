// The writes of one sync pass: the owed entries grouped into batches (one call each
// when the backend takes batches), a put when the entry holds a value at the moment
// of the write, else a delete. A failed batch is tried on the next server, then
// split in halves, down to single entries; a single entry that still fails is
// collected per entry (Consul PR #4771) or quarantined (quarantine.ts).
import type { CatalogClient, Check, NodeInfo, NodeSession, Service, WriteOp } from './backend.js';
import { abortReason } from '../shared/abort.js';
import type { Logger } from '../shared/logger.js';
import { CatalogSyncError, type EntryFailure, RefusedWriteError, isRefusedWriteError } from './errors.js';
import type { Entry, EntryKind, EntryTable } from './entries.js';
import type { Quarantine } from './quarantine.js';
import type { RemoteCall } from './remoteCall.js';
import type { WritePacer } from './writePacer.js';

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
  tables: Record<EntryKind, EntryTable>;
  quarantine: Quarantine;
  counters: WriteCounters;
  log: Logger;
  maxConsecutiveFailures: number;
  writeAttempts: number;
  /** Most ops per write call; 1 sends every write on its own (no `writeBatch`). */
  maxBatchOps: number;
  remote: <T>(signal: AbortSignal, call: RemoteCall<T>) => Promise<T>;
  /** The fleet write cap: how many ops may go now, what they cost, the wake for what waits. */
  pacer: Pick<WritePacer, 'allowance' | 'spend' | 'defer' | 'caughtUp'>;
}

/** One op of a batch as sent: the entry and version it was built from. */
interface Planned {
  entry: Entry;
  version: number;
  value: Service | Check | NodeInfo | undefined;
}

const failure = (e: Entry, error: unknown): EntryFailure => ({ id: e.id, op: e.value ? 'put' : 'delete', error });

/** The owed entries in write order: the user's changes, then bulk writes, then quarantined entries. */
interface Plan {
  readonly entries: readonly Entry[];
  /** entries[0, urgentEnd) are the user's changes; [urgentEnd, bulkEnd) bulk; the rest quarantined (one try each, on their own). */
  readonly urgentEnd: number;
  readonly bulkEnd: number;
}

function order(owed: readonly Entry[]): Plan {
  const urgent: Entry[] = [];
  const bulk: Entry[] = [];
  const retries: Entry[] = [];
  for (const entry of owed) (entry.blocked ? retries : entry.urgent ? urgent : bulk).push(entry);
  return { entries: [...urgent, ...bulk, ...retries], urgentEnd: urgent.length, bulkEnd: urgent.length + bulk.length };
}

/**
 * The next call's entries from `plan.entries[from]` on, as many as one call carries and
 * the write cap allows now (one class per call); undefined when the cap says wait.
 */
function admit(d: SyncPassDeps, plan: Plan, from: number): Entry[] | undefined {
  const urgent = from < plan.urgentEnd;
  const end = urgent ? plan.urgentEnd : from < plan.bulkEnd ? plan.bulkEnd : from + 1;
  const allowed = d.pacer.allowance(urgent);
  if (allowed < 1) return undefined;
  return plan.entries.slice(from, Math.min(end, from + Math.min(d.maxBatchOps, allowed)));
}

/**
 * Writes what is owed for each entry (changes made while the pass runs are honoured):
 * the user's changes first, then the bulk writes, each call only when the fleet write
 * cap allows it (writePacer.ts). What the cap holds back stays dirty and the pacer wakes
 * a partial sync for it: the pass does not wait. Blocked entries get one attempt each,
 * on their own, after the others. Failures are collected, not fatal, until
 * `maxConsecutiveFailures` failed calls in a row; entries never tried stay dirty.
 * Rejects with CatalogSyncError when any write of an unblocked entry failed; a
 * quarantined entry never fails the pass.
 */
export async function applyWrites(d: SyncPassDeps, owed: readonly Entry[], session: NodeSession, signal: AbortSignal): Promise<void> {
  const plan = order(owed);
  /** Calls already admitted and still to (re)try: split halves, the rest of a refused batch. */
  const queue: Entry[][] = [];
  let next = 0;
  let paced = false;
  const failures: EntryFailure[] = [];
  let consecutive = 0;
  while (consecutive < d.maxConsecutiveFailures) {
    let entries = queue.shift();
    if (entries === undefined) {
      if (next >= plan.entries.length) break;
      entries = admit(d, plan, next);
      if (entries === undefined) {
        paced = true;
        break;
      }
      next += entries.length;
    }
    const blocked = entries.length === 1 && (entries[0] as Entry).blocked !== undefined;
    const error = await attempts(d, entries, session, signal, blocked ? 1 : d.writeAttempts);
    if (error === undefined) {
      consecutive = 0;
      continue;
    }
    const refused = isRefusedWriteError(error);
    if (!refused) consecutive++;
    const named = refused && error.id !== undefined && entries.length > 1 ? entries.findIndex((e) => e.id === error.id && e.kind === error.kind) : -1;
    if (named >= 0) {
      // The server said which entry it refused: quarantine that one, resend the rest at once.
      queue.unshift(entries.filter((_, i) => i !== named));
      const entry = entries[named] as Entry;
      d.tables[entry.kind].markDirty(entry);
      d.quarantine.failed(entry, error);
      continue;
    }
    if (entries.length > 1) {
      if (consecutive >= d.maxConsecutiveFailures) {
        for (const entry of entries) {
          failures.push(failure(entry, error));
          d.tables[entry.kind].markDirty(entry);
        }
        d.log.warn({ ops: entries.length, first: entries[0]?.id, err: error }, 'catalog batch failed; its entries stay dirty');
        continue;
      }
      // Split so the rest lands: halves go back to the front, in order.
      const half = Math.ceil(entries.length / 2);
      queue.unshift(entries.slice(0, half), entries.slice(half));
      d.log.debug({ ops: entries.length, err: error }, 'catalog batch failed; splitting it');
      continue;
    }
    const entry = entries[0] as Entry;
    d.tables[entry.kind].markDirty(entry);
    if (d.quarantine.failed(entry, error)) continue;
    failures.push(failure(entry, error));
    d.log.warn({ id: entry.id, kind: entry.kind, op: entry.value ? 'put' : 'delete', err: error }, 'catalog write failed; entry stays dirty');
  }
  let skipped = 0;
  for (const rest of queue) {
    skipped += rest.length;
    for (const entry of rest) d.tables[entry.kind].markDirty(entry);
  }
  // Held back by the cap (not skipped: owed, and woken for) or left after too many failures.
  for (let i = next; i < plan.entries.length; i++) {
    const entry = plan.entries[i] as Entry;
    d.tables[entry.kind].markDirty(entry);
  }
  if (paced) {
    const urgent = next < plan.urgentEnd;
    d.pacer.defer((urgent ? plan.urgentEnd : Math.max(plan.bulkEnd, next + 1)) - next, urgent, d.maxBatchOps, plan.entries.length - next);
  } else {
    skipped += plan.entries.length - next;
    if (skipped === 0 && failures.length === 0) d.pacer.caughtUp();
  }
  if (failures.length > 0) throw new CatalogSyncError(failures, skipped);
}

/** Up to `tries` calls for one batch (a refused one is not retried); the last error, or undefined when it landed. */
async function attempts(d: SyncPassDeps, entries: readonly Entry[], session: NodeSession, signal: AbortSignal, tries: number): Promise<unknown> {
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) throw abortReason(signal);
    // Every try reaches a server, so every try is charged to the cap.
    d.pacer.spend(entries.length);
    try {
      await send(d, entries, session, signal);
      return undefined;
    } catch (error) {
      if (signal.aborted) throw abortReason(signal);
      d.counters.failedWrites++;
      if (attempt >= tries || isRefusedWriteError(error)) return error;
      d.log.debug({ ops: entries.length, first: entries[0]?.id, err: error }, 'catalog write failed; retrying on the next server');
    }
  }
}

function opOf(p: Planned): WriteOp {
  // Node info is replaced, never deleted: it leaves with the session.
  if (p.entry.kind === 'node') return { op: 'putNode', info: p.value as NodeInfo };
  if (p.entry.kind === 'check') return p.value ? { op: 'putCheck', check: p.value as Check } : { op: 'deleteCheck', id: p.entry.id };
  return p.value ? { op: 'put', service: p.value as Service } : { op: 'delete', id: p.entry.id };
}

/** One op as its own call. A backend without checks refuses check writes for good (quarantined). */
function single(client: CatalogClient, node: string, op: WriteOp, sessionId: string, signal: AbortSignal): Promise<void> {
  switch (op.op) {
    case 'putNode':
      if (!client.putNodeInfo) throw new RefusedWriteError('invalid', 'this backend stores no node info', { id: node, kind: 'node' });
      return client.putNodeInfo(node, op.info, sessionId, signal);
    case 'put':
      return client.putService(node, op.service, sessionId, signal);
    case 'delete':
      return client.deleteService(node, op.id, signal);
    case 'putCheck':
      if (!client.putCheck) throw new RefusedWriteError('invalid', 'this backend stores no health checks', { id: op.check.id, kind: 'check' });
      return client.putCheck(node, op.check, sessionId, signal);
    case 'deleteCheck':
      if (!client.deleteCheck) throw new RefusedWriteError('invalid', 'this backend stores no health checks', { id: op.id, kind: 'check' });
      return client.deleteCheck(node, op.id, signal);
  }
}

/**
 * One remote write call (admitted by the write cap in applyWrites, charged in attempts).
 * The ops are built from the entries as they are now: an entry may have changed while
 * the last try ran.
 */
async function send(d: SyncPassDeps, entries: readonly Entry[], session: NodeSession, signal: AbortSignal): Promise<void> {
  const plan: Planned[] = entries.map((entry) => ({ entry, version: entry.version, value: entry.value }));
  const ops = plan.map(opOf);
  // A refusal is returned, not thrown, inside the manager's call: the server answered,
  // so it is not held against the server (which would rotate a healthy one away).
  const refused = await d.remote(signal, async (client, _server, sig) => {
    try {
      if (ops.length === 1) await single(client, d.node, ops[0] as WriteOp, session.id, sig);
      else if (typeof client.writeBatch !== 'function') throw new TypeError('the backend declares maxBatchOps but its client has no writeBatch()');
      else await client.writeBatch(d.node, ops, session.id, sig);
      return undefined;
    } catch (err) {
      if (isRefusedWriteError(err)) return err;
      throw err;
    }
  });
  if (refused) throw refused;
  if (ops.length > 1) d.counters.batches++;
  for (const p of plan) landed(d, p, session);
}

function landed(d: SyncPassDeps, p: Planned, session: NodeSession): void {
  const { entry } = p;
  const table = d.tables[entry.kind];
  d.quarantine.succeeded(entry);
  if (p.value) {
    d.counters.puts++;
    entry.writtenSession = session.id;
    if (entry.version === p.version) table.markClean(entry);
    return;
  }
  d.counters.deletes++;
  if (entry.version === p.version) table.remove(entry);
}
