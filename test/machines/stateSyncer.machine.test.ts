// The state syncer machine on its own, under plain `createActor` (no ae-sync runtime):
// its worker contract (RUN → SYNC_DONE / SYNC_FAILED with the request's id), what it
// ignores (stale and late answers), what the inspector sees, and how many transitions
// a sync cycle takes.
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, type InspectionEvent } from 'xstate';
import {
  stateSyncerMachine,
  type StateSyncerEmitted,
  type StateSyncerEnv,
  type SyncWorkerAnswer,
  type SyncWorkerEvent,
} from '../../machines/stateSyncer.machine.js';
import { statePath } from '../../src/syncer/statePath.js';
import { createTestClock, type TestClock } from '../../src/testing.js';

const INTERVAL = 60_000;

/** A plain environment: half of every stagger, the test clock's time, no cap on delays. */
function plainEnv(clock: TestClock, work: Partial<Pick<StateSyncerEnv, 'syncFull' | 'syncChanges'>> = {}): StateSyncerEnv {
  return {
    interval: INTERVAL,
    serverUpInterval: 3_000,
    retryFailInterval: 15_000,
    syncFull: work.syncFull ?? (() => undefined),
    syncChanges: work.syncChanges ?? (() => undefined),
    stagger: (ms) => Math.floor(ms / 2),
    now: () => clock.now,
    clampDelay: (ms) => Math.max(0, ms),
  };
}

/** A worker provided in place of the default one: records requests, answers when told. */
function scriptedWorker() {
  const requests: SyncWorkerEvent[] = [];
  let sendBack: ((answer: SyncWorkerAnswer) => void) | undefined;
  const logic = fromCallback<SyncWorkerEvent, StateSyncerEnv>(({ receive, sendBack: send }) => {
    sendBack = send;
    receive((event) => requests.push(event));
  });
  return {
    machine: stateSyncerMachine.provide({ actors: { syncWorker: logic } }),
    requests,
    answer: (answer: SyncWorkerAnswer) => sendBack!(answer),
    last: () => requests[requests.length - 1]!,
  };
}

function start(machine: typeof stateSyncerMachine, clock: TestClock, env = plainEnv(clock), inspect?: (e: InspectionEvent) => void) {
  const emitted: string[] = [];
  const actor = createActor(machine, { input: { env }, clock, ...(inspect ? { inspect } : {}) });
  actor.on('*', (e: StateSyncerEmitted) => emitted.push(e.type));
  actor.start();
  return { actor, emitted, path: () => statePath(actor.getSnapshot().value) };
}

describe('stateSyncerMachine with a provided worker, under plain createActor', () => {
  it('sends RUN requests with rising ids and moves on the answers that carry them', () => {
    const clock = createTestClock();
    const worker = scriptedWorker();
    const { actor, emitted, path } = start(worker.machine, clock);
    expect(worker.requests).toEqual([{ type: 'RUN', id: 1, kind: 'syncFull' }]);
    expect(path()).toBe('fullSync.syncing');
    worker.answer({ type: 'SYNC_DONE', id: 1 });
    expect(path()).toBe('partialSync.idle');
    actor.send({ type: 'SYNC_CHANGES' });
    expect(worker.last()).toEqual({ type: 'RUN', id: 2, kind: 'syncChanges' });
    worker.answer({ type: 'SYNC_FAILED', id: 2, error: new Error('boom') });
    expect(path()).toBe('partialSync.idle');
    expect(emitted).toEqual(['fullSync.started', 'fullSync.done', 'syncChanges.started', 'syncChanges.failed']);
    actor.stop();
  });

  it('answers SYNC_SKIPPED for a skipped call: waits in retryFullSync and re-asks when the pause ends', () => {
    const clock = createTestClock();
    const worker = scriptedWorker();
    const { actor, emitted, path } = start(worker.machine, clock);
    actor.send({ type: 'PAUSE' });
    worker.answer({ type: 'SYNC_SKIPPED', id: 1 });
    expect(path()).toBe('retryFullSync.waiting');
    expect(actor.getSnapshot().context).toMatchObject({ skippedWhilePaused: true, fullSyncPending: false });
    actor.send({ type: 'RESUME' });
    expect(path()).toBe('retryFullSync.waitingToSyncFull');
    expect(emitted).toEqual(['fullSync.started', 'fullSync.skipped']);
    actor.stop();
  });

  it('re-asks at once (staggered) when the pause ended before the skipped answer arrived', () => {
    const clock = createTestClock();
    const worker = scriptedWorker();
    const { actor, path } = start(worker.machine, clock);
    worker.answer({ type: 'SYNC_SKIPPED', id: 1 }); // the runtime saw a pause that has ended since
    expect(path()).toBe('retryFullSync.waitingToSyncFull');
    expect(actor.getSnapshot().context.skippedWhilePaused).toBe(false);
    clock.tick(1_499); // serverUpStagger: half of 3 s
    expect(path()).toBe('retryFullSync.waitingToSyncFull');
    clock.tick(1);
    expect(path()).toBe('fullSync.syncing');
    expect(worker.last()).toEqual({ type: 'RUN', id: 2, kind: 'syncFull' });
    actor.stop();
  });

  it('goes back to idle on a skipped partial sync and ignores a stale SYNC_SKIPPED', () => {
    const clock = createTestClock();
    const worker = scriptedWorker();
    const { actor, emitted, path } = start(worker.machine, clock);
    worker.answer({ type: 'SYNC_DONE', id: 1 });
    actor.send({ type: 'SYNC_CHANGES' });
    worker.answer({ type: 'SYNC_SKIPPED', id: 1 }); // stale
    expect(path()).toBe('partialSync.syncingChanges');
    worker.answer({ type: 'SYNC_SKIPPED', id: 2 });
    expect(path()).toBe('partialSync.idle');
    expect(emitted.slice(2)).toEqual(['syncChanges.started', 'syncChanges.skipped']);
    actor.stop();
  });

  it('ignores an answer whose id is not the request in flight, and a second answer to one', () => {
    const clock = createTestClock();
    const worker = scriptedWorker();
    const { actor, emitted, path } = start(worker.machine, clock);
    worker.answer({ type: 'SYNC_DONE', id: 1 });
    actor.send({ type: 'SYNC_CHANGES' }); // request 2
    worker.answer({ type: 'SYNC_DONE', id: 1 }); // a stale answer: must not complete request 2
    worker.answer({ type: 'SYNC_FAILED', id: 3, error: new Error('from the future') });
    expect(path()).toBe('partialSync.syncingChanges');
    worker.answer({ type: 'SYNC_DONE', id: 2 });
    actor.send({ type: 'SYNC_CHANGES' }); // request 3
    worker.answer({ type: 'SYNC_DONE', id: 2 }); // answered twice
    expect(path()).toBe('partialSync.syncingChanges');
    expect(emitted.filter((e) => e.endsWith('.done'))).toEqual(['fullSync.done', 'syncChanges.done']);
    actor.stop();
  });

  it('ignores the answer that arrives after STOP', () => {
    const clock = createTestClock();
    const worker = scriptedWorker();
    const { actor, emitted } = start(worker.machine, clock);
    actor.send({ type: 'STOP' });
    expect(actor.getSnapshot().status).toBe('done');
    worker.answer({ type: 'SYNC_DONE', id: 1 });
    worker.answer({ type: 'SYNC_FAILED', id: 1, error: new Error('late') });
    expect(actor.getSnapshot().status).toBe('done');
    expect(emitted).toEqual(['fullSync.started']);
    expect(clock.countTimers()).toBe(0);
  });
});

describe('stateSyncerMachine with its default worker', () => {
  it('calls the environment with one signal for every call and aborts it on STOP; a late result is ignored', async () => {
    const clock = createTestClock();
    const signals: AbortSignal[] = [];
    let finishChanges: (() => void) | undefined;
    const env = plainEnv(clock, {
      syncFull: (signal) => {
        signals.push(signal);
      },
      syncChanges: (signal) => {
        signals.push(signal);
        return new Promise<void>((resolve) => (finishChanges = resolve));
      },
    });
    const { actor, emitted, path } = start(stateSyncerMachine, clock, env);
    expect(path()).toBe('partialSync.idle'); // syncFull returned at once: answered at once
    actor.send({ type: 'SYNC_CHANGES' });
    expect(path()).toBe('partialSync.syncingChanges');
    expect(signals).toHaveLength(2);
    expect(signals[1]).toBe(signals[0]);
    expect(signals[0]!.aborted).toBe(false);
    actor.send({ type: 'STOP' });
    expect(signals[0]!.aborted).toBe(true);
    finishChanges!();
    await clock.tickAsync(0);
    expect(actor.getSnapshot().status).toBe('done');
    expect(emitted).toEqual(['fullSync.started', 'fullSync.done', 'syncChanges.started']);
  });

  it('counts a method that throws or rejects as a failed sync', async () => {
    const clock = createTestClock();
    const env = plainEnv(clock, {
      syncFull: () => {
        throw new Error('sync threw');
      },
      syncChanges: () => Promise.reject(new Error('sync rejected')),
    });
    const { actor, path } = start(stateSyncerMachine, clock, env);
    expect(path()).toBe('retryFullSync.waiting');
    const errors: unknown[] = [];
    actor.on('*', (e: StateSyncerEmitted) => {
      if (e.type.endsWith('.failed')) errors.push((e as { error: unknown }).error);
    });
    env.syncFull = () => undefined;
    await clock.tickAsync(22_500); // 15 s + stagger 7.5 s
    actor.send({ type: 'SYNC_CHANGES' });
    await clock.tickAsync(0);
    expect(path()).toBe('partialSync.idle');
    expect(errors.map((e) => (e as Error).message)).toEqual(['sync rejected']);
    actor.stop();
  });
});

describe('stateSyncerMachine with a hostile environment', () => {
  it('counts a thenable whose then() throws as a failed sync and keeps its worker', async () => {
    const clock = createTestClock();
    const hostile = {
      then() {
        throw new Error('then threw');
      },
    } as unknown as Promise<void>;
    const env = plainEnv(clock, { syncFull: () => hostile });
    const { actor, emitted, path } = start(stateSyncerMachine, clock, env);
    await clock.tickAsync(0);
    expect(path()).toBe('retryFullSync.waiting');
    expect(emitted).toEqual(['fullSync.started', 'fullSync.failed']);
    expect(actor.getSnapshot().children.worker?.getSnapshot().status).toBe('active');
    actor.stop();
  });
});

describe('stateSyncerMachine actors and transitions', () => {
  it('keeps one worker for its whole life, and the inspector sees it and every request and answer', () => {
    const clock = createTestClock();
    const events: InspectionEvent[] = [];
    const { actor } = start(stateSyncerMachine, clock, plainEnv(clock), (e) => events.push(e));
    const worker = actor.getSnapshot().children.worker;
    expect(worker).toBeDefined();
    for (let i = 0; i < 50; i++) actor.send({ type: 'SYNC_CHANGES' });
    expect(actor.getSnapshot().children.worker).toBe(worker);
    const actors = events.filter((e) => e.type === '@xstate.actor').map((e) => e.actorRef);
    expect(actors).toEqual([actor, worker]);
    const relayed = events.filter((e): e is Extract<InspectionEvent, { type: '@xstate.event' }> => e.type === '@xstate.event');
    const requests = relayed.filter((e) => e.actorRef === worker && e.event.type === 'RUN');
    const answers = relayed.filter((e) => e.sourceRef === worker && e.event.type === 'SYNC_DONE');
    expect(requests).toHaveLength(51);
    expect(answers).toHaveLength(51);
    actor.stop();
  });

  it('takes two transitions per partial sync and two per scheduled full sync', async () => {
    const clock = createTestClock();
    let microsteps = 0;
    const { actor, path } = start(stateSyncerMachine, clock, plainEnv(clock), (e) => {
      if (e.type === '@xstate.microstep') microsteps++;
    });
    microsteps = 0;
    actor.send({ type: 'SYNC_CHANGES' }); // → syncingChanges; the answer → idle
    expect(microsteps).toBe(2);
    microsteps = 0;
    await clock.tickAsync(90_000); // the deadline → fullSync.syncing; the answer → partialSync
    expect(path()).toBe('partialSync.idle');
    expect(microsteps).toBe(2);
    actor.stop();
  });
});
