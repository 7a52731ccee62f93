// What a StateSyncer reports: its counters (`stats()`) and the events it emits.
import type { StateSyncerStateName } from '../../machines/stateSyncer.machine.js';

export interface SyncStats {
  fullSyncs: number;
  fullSyncFailures: number;
  /** Full syncs skipped because the syncer was paused. */
  fullSyncsSkipped: number;
  partialSyncs: number;
  partialSyncFailures: number;
  /** Failed syncs (full or partial) since the last successful one. */
  consecutiveFailures: number;
  /** Clock time (ms) of the last successful sync of either kind. */
  lastSuccessAt: number | undefined;
  /** The last sync failure, or the failure that stopped the syncer (see the `failed` event). */
  lastError: unknown;
}

export interface StateSyncerEvents {
  fullSync: { durationMs: number };
  fullSyncFailed: { error: unknown; durationMs: number; consecutiveFailures: number };
  fullSyncSkipped: { reason: 'paused' };
  syncChanges: { durationMs: number };
  syncChangesFailed: { error: unknown; durationMs: number; consecutiveFailures: number };
  /** The active state changed; `from`/`to` are top-level names, `path` the full dotted state path. */
  transition: { from: StateSyncerStateName; to: StateSyncerStateName; path: string };
  /**
   * The syncer stopped itself because its own machinery failed: `random` or `clock.now`
   * threw or gave an invalid value. `state` is `'done'` from then on, as after stop().
   * The same name and payload as the server manager's `'fatal'`.
   */
  fatal: Error;
  /**
   * @deprecated Use `'fatal'` (the same moment; its payload is the error itself). Still
   * emitted, after `'fatal'`, until the next major release.
   */
  failed: { error: Error };
}
