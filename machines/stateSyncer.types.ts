// The state syncer machine's contract with its environment and its worker: the env
// the runtime provides, the input and context, and the events that flow between the
// machine, its worker and the runtime. Types only.

/**
 * What the machine needs from its environment: the sync work, time, randomness and
 * the cluster size, plus the fixed intervals. One object, shared by reference from
 * the context, so a context stays small and every `assign` copies only a few flags.
 * The runtime (`StateSyncer`) provides it; tests can pass a plain object.
 */
export interface StateSyncerEnv {
  /** Milliseconds between full syncs, before stagger. */
  readonly interval: number;
  /** Upper bound (before scaling) of the wait after a SyncFull trigger. */
  readonly serverUpInterval: number;
  /** Minimum wait (before stagger) after a failed or skipped full sync. */
  readonly retryFailInterval: number;
  /** The user's full sync, called by the worker with its abort signal; `SYNC_SKIPPED` (or a promise of it) when not run. */
  syncFull(signal: AbortSignal): Promise<unknown> | void;
  /** The user's partial sync, called by the worker with its abort signal. */
  syncChanges(signal: AbortSignal): Promise<unknown> | void;
  /**
   * A random wait in `[0, ms × scale)`, whole milliseconds, where `scale` grows by 1
   * per doubling of the cluster above 128 nodes (Consul agent/ae/ae.go, scaleFactor).
   * The runtime owns the cluster size and the random source; the machine only asks.
   */
  stagger(ms: number): number;
  /** Current time in ms on the same clock the actor's timers use. */
  now(): number;
  /**
   * `ms` as a timer can hold it: within `[0, 2^31 − 1]` (a longer Node timer fires
   * after 1 ms). Every delay the machine computes from several terms passes through it.
   */
  clampDelay(ms: number): number;
}

export interface StateSyncerInput {
  env: StateSyncerEnv;
  /** Pause count carried over from before the actor started. */
  paused?: number;
  /** Triggers that arrived before the actor started. */
  fullSyncPending?: boolean;
  changesPending?: boolean;
}

export interface StateSyncerContext {
  env: StateSyncerEnv;
  paused: number;
  fullSyncPending: boolean;
  changesPending: boolean;
  /** Absolute time (ms) at which the next full sync is due. Set on every entry to `fullSync`. */
  deadline: number;
  /** The deadline passed while the machine could not act on it (e.g. `syncChanges` was running). */
  deadlinePassed: boolean;
  /** A full sync was skipped because the syncer was paused; the resume that ends the pause re-triggers it. */
  skippedWhilePaused: boolean;
  /** Id of the latest request sent to the worker; only an answer carrying it completes the sync. */
  request: number;
  /** The retry wait (ms) planned on the latest entry to `retryFullSync.waiting`; 0 before the first. */
  retryDelay: number;
}

/** Which of the environment's two sync methods a request runs. */
export type SyncKind = 'syncFull' | 'syncChanges';

/** What the machine sends its worker: run one sync and answer with the same `id`. */
export type SyncWorkerEvent = { type: 'RUN'; id: number; kind: SyncKind };

/** The worker's answers. */
export type SyncWorkerAnswer =
  | { type: 'SYNC_DONE'; id: number }
  | { type: 'SYNC_FAILED'; id: number; error: unknown }
  /** Not run: the syncer was paused while the request waited for an earlier sync. */
  | { type: 'SYNC_SKIPPED'; id: number };

export type StateSyncerEvent =
  | { type: 'SYNC_FULL' }
  | { type: 'SYNC_CHANGES' }
  | { type: 'PAUSE' }
  | { type: 'RESUME' }
  | { type: 'STOP' }
  | SyncWorkerAnswer;

/** Emitted (xstate `emit`) so the runtime can log, count and notify listeners. */
export type StateSyncerEmitted =
  | { type: 'fullSync.started' }
  | { type: 'fullSync.done' }
  | { type: 'fullSync.failed'; error: unknown }
  | { type: 'fullSync.skipped' }
  | { type: 'syncChanges.started' }
  | { type: 'syncChanges.done' }
  | { type: 'syncChanges.failed'; error: unknown }
  | { type: 'syncChanges.skipped' };
