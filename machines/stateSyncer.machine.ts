// The anti-entropy state machine: when to run a full sync, when a partial one,
// and how long to wait after failures and server-up notifications. Pure xstate v5:
// time, randomness and the sync work itself arrive through the machine's input.
import { and, assign, emit, fromPromise, setup } from 'xstate';

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
  /** The user's full sync, handed the invocation's abort signal. */
  syncFull(signal: AbortSignal): Promise<void> | void;
  /** The user's partial sync, handed the invocation's abort signal. */
  syncChanges(signal: AbortSignal): Promise<void> | void;
  /**
   * A random wait in `[0, ms × scale)`, whole milliseconds, where `scale` grows by 1
   * per doubling of the cluster above 128 nodes (Consul agent/ae/ae.go, scaleFactor).
   * The runtime owns the cluster size and the random source; the machine only asks.
   */
  stagger(ms: number): number;
  /** Current time in ms on the same clock the actor's timers use. */
  now(): number;
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
}

export type StateSyncerEvent =
  | { type: 'SYNC_FULL' }
  | { type: 'SYNC_CHANGES' }
  | { type: 'PAUSE' }
  | { type: 'RESUME' }
  | { type: 'STOP' };

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

/** Which of the environment's two sync methods an invocation runs. */
export interface SyncInvocation {
  env: StateSyncerEnv;
  kind: 'syncFull' | 'syncChanges';
}

const runSync = fromPromise<void, SyncInvocation>(async ({ input, signal }) => {
  await input.env[input.kind](signal);
});

export const stateSyncerMachine = setup({
  types: {
    input: {} as StateSyncerInput,
    context: {} as StateSyncerContext,
    events: {} as StateSyncerEvent,
    emitted: {} as StateSyncerEmitted,
  },
  actors: {
    syncFull: runSync,
    syncChanges: runSync,
  },
  guards: {
    isPaused: ({ context }) => context.paused > 0,
    isDeadlinePassed: ({ context }) => context.deadlinePassed,
    hasChangesPending: ({ context }) => context.changesPending,
    hasFullSyncPending: ({ context }) => context.fullSyncPending,
  },
  delays: {
    // Time left until the full-sync deadline fixed on entry to fullSync. Partial syncs never move it (Consul #7020).
    fullSyncDeadline: ({ context }) => Math.max(0, context.deadline - context.env.now()),
    // A SyncFull trigger waits a random part of serverUpInterval, scaled by cluster size: no thundering herd.
    serverUpStagger: ({ context }) => context.env.stagger(context.env.serverUpInterval),
    // After a failure: at least retryFailInterval, plus a scaled random part of it.
    retryFailDelay: ({ context }) => context.env.retryFailInterval + context.env.stagger(context.env.retryFailInterval),
  },
  actions: {
    setFullSyncDeadline: assign(({ context: { env } }) => ({
      deadline: env.now() + env.interval + env.stagger(env.interval),
      deadlinePassed: false,
    })),
    // A full sync that starts satisfies every trigger that came before it, partial ones included.
    consumeTriggersForFullSync: assign({ fullSyncPending: false, changesPending: false }),
    consumeChangesTrigger: assign({ changesPending: false }),
    markDeadlinePassed: assign({ deadlinePassed: true }),
    rememberFullSyncTrigger: assign({ fullSyncPending: true }),
    rememberChangesTrigger: assign({ changesPending: true }),
    markSkippedWhilePaused: assign({ skippedWhilePaused: true, fullSyncPending: false }),
    incrementPause: assign(({ context }) => ({ paused: context.paused + 1 })),
    // The resume that ends a pause triggers SyncChanges (as Consul does) and, if a
    // full sync was skipped meanwhile, SyncFull too (Consul leaves it for the retry timer).
    decrementPause: assign(({ context }) => {
      const paused = Math.max(0, context.paused - 1);
      if (paused > 0) return { paused };
      return {
        paused,
        changesPending: true,
        fullSyncPending: context.fullSyncPending || context.skippedWhilePaused,
        skippedWhilePaused: false,
      };
    }),
    emitFullSyncStarted: emit({ type: 'fullSync.started' }),
    emitFullSyncDone: emit({ type: 'fullSync.done' }),
    emitFullSyncFailed: emit(({ event }) => ({ type: 'fullSync.failed', error: (event as { error?: unknown }).error })),
    emitFullSyncSkipped: emit({ type: 'fullSync.skipped' }),
    emitSyncChangesStarted: emit({ type: 'syncChanges.started' }),
    emitSyncChangesDone: emit({ type: 'syncChanges.done' }),
    emitSyncChangesFailed: emit(({ event }) => ({
      type: 'syncChanges.failed',
      error: (event as { error?: unknown }).error,
    })),
    emitSyncChangesSkipped: emit({ type: 'syncChanges.skipped' }),
  },
}).createMachine({
  id: 'stateSyncer',
  context: ({ input }) => ({
    env: input.env,
    paused: input.paused ?? 0,
    fullSyncPending: input.fullSyncPending ?? false,
    changesPending: input.changesPending ?? false,
    deadline: 0,
    deadlinePassed: false,
    skippedWhilePaused: false,
  }),
  initial: 'fullSync',
  // Triggers that arrive while a state cannot act on them are remembered (at most one
  // of each kind); the `always` transitions below act on them as soon as they can.
  on: {
    SYNC_FULL: { actions: 'rememberFullSyncTrigger' },
    SYNC_CHANGES: { actions: 'rememberChangesTrigger' },
    PAUSE: { actions: 'incrementPause' },
    RESUME: { actions: 'decrementPause' },
    STOP: { target: '.done' },
  },
  states: {
    fullSync: {
      entry: 'setFullSyncDeadline',
      initial: 'checking',
      states: {
        checking: {
          always: [
            {
              guard: 'isPaused',
              target: '#stateSyncer.retryFullSync',
              actions: ['markSkippedWhilePaused', 'emitFullSyncSkipped'],
            },
            { target: 'syncing' },
          ],
        },
        syncing: {
          entry: ['consumeTriggersForFullSync', 'emitFullSyncStarted'],
          invoke: {
            src: 'syncFull',
            input: ({ context }: { context: StateSyncerContext }): SyncInvocation => ({ env: context.env, kind: 'syncFull' }),
            onDone: { target: '#stateSyncer.partialSync', actions: 'emitFullSyncDone' },
            onError: { target: '#stateSyncer.retryFullSync', actions: 'emitFullSyncFailed' },
          },
        },
      },
    },
    partialSync: {
      initial: 'idle',
      after: {
        fullSyncDeadline: { actions: 'markDeadlinePassed' },
      },
      states: {
        idle: {
          always: [
            { guard: 'isDeadlinePassed', target: '#stateSyncer.fullSync' },
            {
              guard: and(['hasChangesPending', 'isPaused']),
              actions: ['consumeChangesTrigger', 'emitSyncChangesSkipped'],
            },
            { guard: 'hasChangesPending', target: 'syncingChanges' },
            { guard: 'hasFullSyncPending', target: 'waitingToSyncFull' },
          ],
        },
        syncingChanges: {
          entry: ['consumeChangesTrigger', 'emitSyncChangesStarted'],
          invoke: {
            src: 'syncChanges',
            input: ({ context }: { context: StateSyncerContext }): SyncInvocation => ({ env: context.env, kind: 'syncChanges' }),
            onDone: { target: 'idle', actions: 'emitSyncChangesDone' },
            onError: { target: 'idle', actions: 'emitSyncChangesFailed' },
          },
        },
        waitingToSyncFull: {
          after: { serverUpStagger: { target: '#stateSyncer.fullSync' } },
        },
      },
    },
    retryFullSync: {
      initial: 'waiting',
      states: {
        waiting: {
          always: { guard: 'hasFullSyncPending', target: 'waitingToSyncFull' },
          after: { retryFailDelay: { target: '#stateSyncer.fullSync' } },
        },
        waitingToSyncFull: {
          after: { serverUpStagger: { target: '#stateSyncer.fullSync' } },
        },
      },
    },
    done: { type: 'final' },
  },
});

export type StateSyncerMachine = typeof stateSyncerMachine;
/** Top-level state names, exactly as Consul's agent/ae names them. */
export type StateSyncerStateName = 'fullSync' | 'partialSync' | 'retryFullSync' | 'done';
