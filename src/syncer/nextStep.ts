// What a failed sync leads to, read from the machine once the failure has been handled:
// the log line after a failure says when the next attempt happens and why, from the
// wait the machine planned (context.retryDelay) and its full-sync deadline.
import type { StateSyncerContext } from '../../machines/stateSyncer.machine.js';
import { statePath } from './statePath.js';

/** A log line's fields (besides `err`) and message. */
export interface NextStep {
  fields: Record<string, unknown>;
  msg: string;
}

/** A machine snapshot as far as this file reads it. */
export interface MachineView {
  value: unknown;
  context: Pick<StateSyncerContext, 'retryDelay' | 'deadline'>;
}

/** 250 → "250 ms", 22500 → "22.5 s", 90000 → "90 s": for messages people read. */
export function formatWait(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/** After `fullSync.failed`: the machine waits in retryFullSync, on its retry timer or on a pending SyncFull. */
export function afterFullSyncFailure(snapshot: MachineView | undefined): NextStep {
  const path = snapshot ? statePath(snapshot.value) : '';
  if (snapshot && path === 'retryFullSync.waiting') {
    const retryInMs = snapshot.context.retryDelay;
    return { fields: { retryInMs }, msg: `full sync failed; will retry in ${formatWait(retryInMs)} (retryFailInterval plus stagger)` };
  }
  if (path === 'retryFullSync.waitingToSyncFull') {
    return { fields: { retry: 'syncFull' }, msg: 'full sync failed; will retry after the pending syncFull trigger\'s stagger' };
  }
  // Stopped meanwhile (a listener or the failure stopped the syncer): nothing follows.
  return { fields: { retry: 'none' }, msg: `full sync failed; no retry (the syncer is ${path || 'stopped'})` };
}

/**
 * After `syncChanges.failed`: a partial sync is never retried on its own (Consul's
 * agent/ae neither); the changes go out with the next syncChanges trigger or the next
 * full sync, whichever comes first. `now` is the machine's monotonic time.
 */
export function afterPartialSyncFailure(snapshot: MachineView | undefined, now: number): NextStep {
  const path = snapshot ? statePath(snapshot.value) : '';
  if (!snapshot || path === 'done') return { fields: { retry: 'none' }, msg: 'partial sync failed; no retry (the syncer is stopped)' };
  if (path === 'fullSync.syncing') return { fields: { retry: 'fullSync' }, msg: 'partial sync failed; the full sync starting now writes the changes' };
  if (path === 'partialSync.syncingChanges') {
    return { fields: { retry: 'syncChanges' }, msg: 'partial sync failed; retrying now (a syncChanges trigger came while it ran)' };
  }
  if (path === 'partialSync.waitingToSyncFull') {
    return { fields: { retry: 'syncFull' }, msg: 'partial sync failed; the full sync after the pending syncFull trigger\'s stagger writes the changes' };
  }
  const fullSyncInMs = Math.max(0, snapshot.context.deadline - now);
  return {
    fields: { retry: 'nextTrigger', fullSyncInMs },
    msg: `partial sync failed; not retried by itself: the next syncChanges trigger, or the full sync due in ${formatWait(fullSyncInMs)}, writes the changes`,
  };
}
