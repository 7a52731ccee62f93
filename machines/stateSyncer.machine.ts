// The anti-entropy state machine: when to run a full sync, when a partial one,
// and how long to wait after failures and server-up notifications. Pure xstate v5:
// time, randomness and the sync work arrive through the machine's input; the work
// itself runs in one long-lived worker actor (stateSyncer.worker.ts) the machine invokes.
import { and, assign, emit, not, sendTo, setup, stateIn } from 'xstate';
import type {
  StateSyncerContext,
  StateSyncerEmitted,
  StateSyncerEvent,
  StateSyncerInput,
  SyncWorkerEvent,
} from './stateSyncer.types.js';
import { SYNC_SKIPPED, syncWorker } from './stateSyncer.worker.js';

export type * from './stateSyncer.types.js';
export { SYNC_SKIPPED, syncWorker };

// The way into fullSync while paused: the full sync is skipped and retryFullSync is
// (re-)entered with a fresh retry timer. Shared by every transition that would start one.
const skipWhilePaused = {
  guard: 'isPaused',
  target: '#stateSyncer.retryFullSync',
  reenter: true,
  actions: ['markSkippedWhilePaused', 'emitFullSyncSkipped'],
} as const;

const errorOf = (event: StateSyncerEvent): unknown => (event.type === 'SYNC_FAILED' ? event.error : undefined);

// A SyncFull trigger's staggered wait, the same in partialSync and retryFullSync.
const waitingToSyncFull = {
  after: {
    serverUpStagger: [skipWhilePaused, { target: '#stateSyncer.fullSync.syncing' }],
  },
} as const;

export const stateSyncerMachine = setup({
  types: {
    input: {} as StateSyncerInput,
    context: {} as StateSyncerContext,
    events: {} as StateSyncerEvent,
    emitted: {} as StateSyncerEmitted,
  },
  actors: { syncWorker },
  guards: {
    isPaused: ({ context }) => context.paused > 0,
    isDeadlinePassed: ({ context }) => context.deadlinePassed,
    hasChangesPending: ({ context }) => context.changesPending,
    hasFullSyncPending: ({ context }) => context.fullSyncPending,
    // A late or duplicate answer (a replaced worker may send one) never completes a newer request.
    isCurrentRequest: ({ context, event }) => 'id' in event && event.id === context.request,
    // In partialSync, only `idle` can act on the deadline at once; elsewhere it is remembered.
    isBusyInPartialSync: not(stateIn({ partialSync: 'idle' })),
  },
  delays: {
    // Time left until the full-sync deadline fixed on entry to fullSync. Partial syncs never move it (Consul #7020).
    fullSyncDeadline: ({ context: { env, deadline } }) => env.clampDelay(deadline - env.now()),
    // A SyncFull trigger waits a random part of serverUpInterval, scaled by cluster size: no thundering herd.
    serverUpStagger: ({ context: { env } }) => env.clampDelay(env.stagger(env.serverUpInterval)),
    // The wait planned on entry to retryFullSync.waiting (planRetry): kept in context so the
    // runtime can say when the retry happens.
    retryFailDelay: ({ context }) => context.retryDelay,
  },
  actions: {
    // One assign per full sync: the deadline, the triggers it satisfies (partial ones
    // included) and the request id.
    startFullSync: assign(({ context: { env, request } }) => ({
      deadline: env.now() + env.interval + env.stagger(env.interval),
      deadlinePassed: false,
      fullSyncPending: false,
      changesPending: false,
      request: request + 1,
    })),
    startSyncChanges: assign(({ context }) => ({ changesPending: false, request: context.request + 1 })),
    requestFullSync: sendTo('worker', ({ context }): SyncWorkerEvent => ({ type: 'RUN', id: context.request, kind: 'syncFull' })),
    requestSyncChanges: sendTo('worker', ({ context }): SyncWorkerEvent => ({ type: 'RUN', id: context.request, kind: 'syncChanges' })),
    // A full sync slower than the interval must not run back to back: the next one
    // starts no sooner than interval / 2 after this one ended.
    holdFullSyncGap: assign(({ context: { env, deadline } }) => ({
      deadline: Math.max(deadline, env.now() + env.interval / 2),
    })),
    // After a failure: at least retryFailInterval, plus a scaled random part of it. Computed
    // on entry, just before the retry timer is set from it (the same draw, at the same point).
    planRetry: assign(({ context: { env } }) => ({
      retryDelay: env.clampDelay(env.retryFailInterval + env.stagger(env.retryFailInterval)),
    })),
    consumeChangesTrigger: assign({ changesPending: false }),
    markDeadlinePassed: assign({ deadlinePassed: true }),
    rememberFullSyncTrigger: assign({ fullSyncPending: true }),
    rememberChangesTrigger: assign({ changesPending: true }),
    markSkippedWhilePaused: assign({ skippedWhilePaused: true, fullSyncPending: false, deadlinePassed: false }),
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
    emitFullSyncFailed: emit(({ event }) => ({ type: 'fullSync.failed', error: errorOf(event) })),
    emitFullSyncSkipped: emit({ type: 'fullSync.skipped' }),
    emitSyncChangesStarted: emit({ type: 'syncChanges.started' }),
    emitSyncChangesDone: emit({ type: 'syncChanges.done' }),
    emitSyncChangesFailed: emit(({ event }) => ({ type: 'syncChanges.failed', error: errorOf(event) })),
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
    request: 0,
    retryDelay: 0,
  }),
  // The worker lives as long as the machine: no actor is built or stopped per sync.
  invoke: { id: 'worker', src: 'syncWorker', input: ({ context }) => context.env },
  initial: 'fullSync',
  // Triggers that arrive while a state cannot act on them are remembered (at most one
  // of each kind); `partialSync.idle` and `retryFullSync.waiting` act on them as soon as they can.
  on: {
    SYNC_FULL: { actions: 'rememberFullSyncTrigger' },
    SYNC_CHANGES: { actions: 'rememberChangesTrigger' },
    PAUSE: { actions: 'incrementPause' },
    RESUME: { actions: 'decrementPause' },
    STOP: { target: '.done' },
  },
  states: {
    // While paused a full sync is skipped and the machine waits in retryFullSync. Every
    // later way into fullSync makes that choice at its source, in the same transition;
    // only the start goes through the eventless `checking` hop.
    fullSync: {
      initial: 'checking',
      states: {
        checking: {
          always: [skipWhilePaused, { target: 'syncing' }],
        },
        syncing: {
          entry: ['startFullSync', 'emitFullSyncStarted', 'requestFullSync'],
          on: {
            SYNC_DONE: {
              guard: 'isCurrentRequest',
              target: '#stateSyncer.partialSync',
              actions: ['holdFullSyncGap', 'emitFullSyncDone'],
            },
            SYNC_FAILED: { guard: 'isCurrentRequest', target: '#stateSyncer.retryFullSync', actions: 'emitFullSyncFailed' },
            // The runtime skipped the call (paused while it waited for an earlier sync). A resume
            // that came in the meantime already ended the pause: then ask again, staggered.
            SYNC_SKIPPED: [
              { ...skipWhilePaused, guard: and(['isCurrentRequest', 'isPaused']) },
              {
                guard: 'isCurrentRequest',
                target: '#stateSyncer.retryFullSync',
                actions: ['rememberFullSyncTrigger', 'emitFullSyncSkipped'],
              },
            ],
          },
        },
      },
    },
    partialSync: {
      initial: 'idle',
      after: {
        fullSyncDeadline: [
          { guard: 'isBusyInPartialSync', actions: 'markDeadlinePassed' },
          skipWhilePaused,
          { target: '#stateSyncer.fullSync.syncing' },
        ],
      },
      states: {
        idle: {
          // Triggers that find the machine idle are acted on directly, in one transition.
          on: {
            SYNC_CHANGES: [{ guard: 'isPaused', actions: 'emitSyncChangesSkipped' }, { target: 'syncingChanges' }],
            SYNC_FULL: { target: 'waitingToSyncFull', actions: 'rememberFullSyncTrigger' },
          },
          // What was remembered while busy, in order: the deadline, then SyncChanges, then SyncFull.
          always: [
            { ...skipWhilePaused, guard: and(['isDeadlinePassed', 'isPaused']) },
            { guard: 'isDeadlinePassed', target: '#stateSyncer.fullSync.syncing' },
            {
              guard: and(['hasChangesPending', 'isPaused']),
              actions: ['consumeChangesTrigger', 'emitSyncChangesSkipped'],
            },
            { guard: 'hasChangesPending', target: 'syncingChanges' },
            { guard: 'hasFullSyncPending', target: 'waitingToSyncFull' },
          ],
        },
        syncingChanges: {
          entry: ['startSyncChanges', 'emitSyncChangesStarted', 'requestSyncChanges'],
          on: {
            SYNC_DONE: { guard: 'isCurrentRequest', target: 'idle', actions: 'emitSyncChangesDone' },
            SYNC_FAILED: { guard: 'isCurrentRequest', target: 'idle', actions: 'emitSyncChangesFailed' },
            // Skipped while paused: the resume that ends the pause asks for a partial sync anyway.
            SYNC_SKIPPED: { guard: 'isCurrentRequest', target: 'idle', actions: 'emitSyncChangesSkipped' },
          },
        },
        waitingToSyncFull,
      },
    },
    retryFullSync: {
      initial: 'waiting',
      states: {
        waiting: {
          entry: 'planRetry',
          always: { guard: 'hasFullSyncPending', target: 'waitingToSyncFull' },
          after: {
            // Still paused: skip again and wait a fresh retry delay.
            retryFailDelay: [skipWhilePaused, { target: '#stateSyncer.fullSync.syncing' }],
          },
        },
        waitingToSyncFull,
      },
    },
    done: { type: 'final' },
  },
});

export type StateSyncerMachine = typeof stateSyncerMachine;
/** Top-level state names, exactly as Consul's agent/ae names them. */
export type StateSyncerStateName = 'fullSync' | 'partialSync' | 'retryFullSync' | 'done';
