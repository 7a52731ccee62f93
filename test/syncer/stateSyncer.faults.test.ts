// StateSyncer under hostile input and re-entrant calls: durations a timer cannot hold,
// a full sync slower than the interval, stop()/pause() from inside a sync, and a random
// source or clock that throws or lies. Each must end in a documented, loud outcome.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getEventListeners } from 'node:events';
import type { InspectionEvent } from 'xstate';
import { StateSyncer, type StateSyncerOptions } from '../../src/syncer/stateSyncer.js';
import { MAX_TIMER_MS, type Clock } from '../../src/shared/clock.js';
import { isStoppedError } from '../../src/shared/errors.js';
import { constantRandom, createTestClock, type TestClock } from '../../src/testing.js';
import { captureLogger, settle, scriptedSyncState, type ScriptedSyncState } from '../helpers/index.js';

const INTERVAL = 60_000;
const DAY = 86_400_000;

let clock: TestClock;
let state: ScriptedSyncState;
let syncer: StateSyncer | undefined;

function make(options: Partial<StateSyncerOptions> = {}): StateSyncer {
  syncer = new StateSyncer({ state, interval: INTERVAL, clusterSize: () => 1, random: constantRandom(0.5), clock, ...options });
  return syncer;
}

beforeEach(() => {
  clock = createTestClock();
  state = scriptedSyncState(clock);
  syncer = undefined;
});

afterEach(async () => {
  if (!syncer) return;
  for (const call of state.calls) if (!call.settled) call.resolve();
  const stopped = syncer.stop();
  await clock.tickAsync(20_000);
  await stopped;
});

describe('StateSyncer durations and timer limits', () => {
  it.each(['interval', 'retryFailInterval', 'syncTimeout', 'stopTimeout', 'serverUpInterval'])(
    'refuses a %s above 2^31 − 1 ms (a 30-day value) and accepts the largest timer',
    (name) => {
      expect(() => make({ [name]: 30 * DAY })).toThrow(RangeError);
      expect(() => make({ [name]: 30 * DAY })).toThrow(new RegExp(`${name} must be at most ${MAX_TIMER_MS} ms.*received ${30 * DAY}`));
      expect(() => make({ [name]: MAX_TIMER_MS })).not.toThrow();
    },
  );

  it('clamps interval + a large cluster stagger to the largest timer instead of a 1 ms timer', async () => {
    // 20 days + 0.5 × 8 (10,000 nodes) × 20 days = 100 days: beyond any timer.
    make({ interval: 20 * DAY, clusterSize: () => 10_000 }).start();
    await settle(clock);
    await clock.tickAsync(MAX_TIMER_MS - 1);
    expect(state.times('syncFull')).toEqual([0]);
    await clock.tickAsync(1);
    expect(state.times('syncFull')).toEqual([0, MAX_TIMER_MS]);
  });

  it('clamps retryFailInterval + stagger, and the SyncFull stagger, to the largest timer', async () => {
    make({ retryFailInterval: 20 * DAY, serverUpInterval: 20 * DAY, clusterSize: () => 10_000 });
    state.mode.syncFull = 'reject';
    syncer!.start();
    await settle(clock);
    expect(syncer!.state).toBe('retryFullSync');
    await clock.tickAsync(MAX_TIMER_MS - 1);
    expect(state.times('syncFull')).toEqual([0]);
    await clock.tickAsync(1);
    expect(state.times('syncFull')).toEqual([0, MAX_TIMER_MS]);
    // Now a SyncFull trigger: stagger(20 days) × 8 × 0.5 = 80 days, clamped as well.
    syncer!.syncFull.trigger();
    await clock.tickAsync(MAX_TIMER_MS - 1);
    expect(state.times('syncFull')).toHaveLength(2);
    await clock.tickAsync(1);
    expect(state.times('syncFull')).toEqual([0, MAX_TIMER_MS, 2 * MAX_TIMER_MS]);
  });
});

describe('StateSyncer full-sync gap (a full sync slower than the interval)', () => {
  it('starts the next full sync interval / 2 after a slow one ended, not back to back', async () => {
    make();
    state.mode.syncFull = 'manual';
    syncer!.start();
    // The deadline (60 s + stagger 30 s = 90 s) passes while this full sync runs.
    await clock.tickAsync(100_000);
    state.mode.syncFull = 'resolve';
    state.last('syncFull')!.resolve();
    await clock.tickAsync(29_999);
    expect(state.times('syncFull')).toEqual([0]);
    await clock.tickAsync(1);
    expect(state.times('syncFull')).toEqual([0, 130_000]);
  });

  it('keeps the deadline when the gap after a full sync is already longer than interval / 2', async () => {
    make();
    state.mode.syncFull = 'manual';
    syncer!.start();
    await clock.tickAsync(50_000); // ends at 50 s: 50 + 30 = 80 s < the 90 s deadline
    state.mode.syncFull = 'resolve';
    state.last('syncFull')!.resolve();
    await clock.tickAsync(39_999);
    expect(state.times('syncFull')).toEqual([0]);
    await clock.tickAsync(1);
    expect(state.times('syncFull')).toEqual([0, 90_000]);
  });

  it('moves the deadline by the gap when a full sync ends close to it', async () => {
    make();
    state.mode.syncFull = 'manual';
    syncer!.start();
    await clock.tickAsync(70_000); // ends at 70 s: 70 + 30 = 100 s > the 90 s deadline
    state.mode.syncFull = 'resolve';
    state.last('syncFull')!.resolve();
    await clock.tickAsync(29_999);
    expect(state.times('syncFull')).toEqual([0]);
    await clock.tickAsync(1);
    expect(state.times('syncFull')).toEqual([0, 100_000]);
  });
});

describe('StateSyncer stop() and pause() from inside a sync', () => {
  it('does not resolve a stop() made inside syncFull while that sync still runs', async () => {
    let stopping: Promise<void> | undefined;
    let stopped = false;
    let finish: (() => void) | undefined;
    state.syncFull = (signal) => {
      stopping = syncer!.stop();
      void stopping.then(() => (stopped = true));
      return new Promise<void>((resolve, reject) => {
        finish = resolve;
        signal.addEventListener('abort', () => undefined);
        void reject;
      });
    };
    make().start();
    await settle(clock);
    expect(syncer!.state).toBe('done');
    expect(stopped).toBe(false);
    finish!();
    await settle(clock);
    expect(stopped).toBe(true);
    expect(clock.countTimers()).toBe(0);
  });

  it('does not resolve a pause() made inside syncChanges while that sync still runs', async () => {
    make().start();
    await settle(clock);
    let paused = false;
    let finish: (() => void) | undefined;
    state.syncChanges = () => {
      void syncer!.pause().then(() => (paused = true));
      return new Promise<void>((resolve) => (finish = resolve));
    };
    syncer!.syncChanges.trigger();
    await settle(clock);
    expect(syncer!.paused).toBe(true);
    expect(paused).toBe(false);
    finish!();
    await settle(clock);
    expect(paused).toBe(true);
    syncer!.resume();
  });

  it('resolves a stop() made inside a sync that returns at once, once that call has returned', async () => {
    let stopping: Promise<void> | undefined;
    state.syncFull = () => {
      stopping = syncer!.stop();
    };
    make().start();
    await stopping;
    expect(syncer!.state).toBe('done');
    expect(syncer!.stats().fullSyncs).toBe(0); // the answer came after STOP: ignored
  });
});

describe('StateSyncer with a broken random source or clock', () => {
  it.each([
    ['returns 1', () => 1, /random\(\) must return a number in \[0, 1\), received 1$/],
    ['returns NaN', () => Number.NaN, /received NaN/],
    ['returns -0.1', () => -0.1, /received -0.1/],
    ['returns a string', () => '0.5' as unknown as number, /received "0.5"/],
    ['throws', () => {
      throw new Error('entropy exhausted');
    }, /entropy exhausted/],
  ])('stops loudly when random %s: state done, a failed event, an error log, no call, no timer', async (_name, random, message) => {
    const log = captureLogger();
    make({ random, logger: log.logger });
    const failures: Error[] = [];
    syncer!.on('failed', (e) => failures.push(e.error));
    syncer!.start();
    await settle(clock);
    expect(syncer!.state).toBe('done');
    expect(failures).toHaveLength(1);
    expect(failures[0]!.message).toMatch(message);
    expect(syncer!.stats().lastError).toBe(failures[0]);
    expect(log.messages('error').some((m) => m.includes('the syncer has stopped'))).toBe(true);
    expect(state.calls).toHaveLength(0);
    expect(clock.countTimers()).toBe(0);
    syncer!.syncFull.trigger();
    syncer!.syncChanges.trigger();
    await clock.tickAsync(1_000_000);
    expect(state.calls).toHaveLength(0);
    await syncer!.stop();
    expect(() => syncer!.start()).toThrow(expect.objectContaining({ code: 'ERR_STOPPED' }) as Error);
  });

  it('stops loudly when random breaks while a timed-out sync still runs, and waits for that sync as stop() does', async () => {
    let broken = false;
    make({
      syncTimeout: 1_000,
      random: () => {
        if (broken) throw new Error('entropy exhausted');
        return 0.5;
      },
    }).start();
    await settle(clock);
    state.mode.syncChanges = 'manual'; // ignores its signal
    syncer!.syncChanges.trigger();
    const call = state.last('syncChanges')!;
    await clock.tickAsync(1_000); // timed out: the machine is idle again, the call still runs
    expect(syncer!.state).toBe('partialSync');
    broken = true;
    syncer!.syncFull.trigger(); // the stagger draws from the broken source
    expect(syncer!.state).toBe('done');
    let stopped = false;
    void syncer!.stop().then(() => (stopped = true));
    await clock.tickAsync(5_000);
    expect(stopped).toBe(false);
    call.resolve();
    await settle(clock);
    expect(stopped).toBe(true);
    expect(state.calls).toHaveLength(2);
    expect(clock.countTimers()).toBe(0);
  });

  it('stops loudly when the SyncFull stagger finds random broken in partialSync', async () => {
    let broken = false;
    make({
      random: () => {
        if (broken) throw new Error('entropy exhausted');
        return 0.5;
      },
    }).start();
    await settle(clock);
    broken = true;
    const failures: Error[] = [];
    syncer!.on('failed', (e) => failures.push(e.error));
    syncer!.syncFull.trigger();
    expect(syncer!.state).toBe('done');
    expect(failures.map((e) => e.message)).toEqual(['entropy exhausted']);
    await clock.tickAsync(1_000_000);
    expect(state.times('syncFull')).toEqual([0]);
    expect(clock.countTimers()).toBe(0);
  });

  it.each([
    ['throws', (): number => {
      throw new Error('clock gone');
    }, /clock gone/],
    ['returns NaN', () => Number.NaN, /clock\.now must give a finite number of ms, received NaN/],
  ])('stops loudly when clock.now %s', async (_name, brokenNow, message) => {
    let broken = false;
    const testClock = clock;
    const flaky: Clock = {
      setTimeout: (fn, ms) => testClock.setTimeout(fn, ms),
      clearTimeout: (handle) => testClock.clearTimeout(handle),
      now: () => (broken ? brokenNow() : testClock.now),
    };
    make({ clock: flaky }).start();
    await settle(clock);
    expect(syncer!.state).toBe('partialSync');
    const failures: Error[] = [];
    syncer!.on('failed', (e) => failures.push(e.error));
    broken = true;
    await clock.tickAsync(90_000); // the deadline: the next full sync reads the clock
    expect(syncer!.state).toBe('done');
    expect(failures).toHaveLength(1);
    expect(failures[0]!.message).toMatch(message);
    expect(state.times('syncFull')).toEqual([0]);
    expect(clock.countTimers()).toBe(0);
    let err: unknown;
    try {
      syncer!.start();
    } catch (e) {
      err = e;
    }
    expect(isStoppedError(err)).toBe(true);
  });
});

describe('StateSyncer abort signal shared by the calls of one syncer', () => {
  it('keeps no listener a settled call left behind, so none piles up or fires at a later stop', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const fired: number[] = [];
    let calls = 0;
    state.syncChanges = (signal) => {
      const n = ++calls;
      signal.addEventListener('abort', () => fired.push(n)); // never removed
      signal.onabort = () => fired.push(-n);
      return Promise.resolve();
    };
    make().start();
    await settle(clock);
    const signals = new Set<AbortSignal>();
    state.syncFull = (signal) => {
      signals.add(signal);
    };
    for (let i = 0; i < 20; i++) {
      syncer!.syncChanges.trigger();
      await settle(clock);
    }
    syncer!.syncFull.trigger();
    await clock.tickAsync(1_500);
    expect(calls).toBe(20);
    const [signal] = [...signals];
    expect(signal).toBeDefined();
    expect(getEventListeners(signal!, 'abort')).toHaveLength(0);
    await syncer!.stop();
    expect(signal!.aborted).toBe(true);
    expect(fired).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });

  it('still fires a listener of the call in flight when stop() aborts it', async () => {
    make().start();
    await settle(clock);
    const fired: string[] = [];
    state.syncChanges = (signal) => {
      signal.addEventListener('abort', () => fired.push('listener'));
      return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    };
    syncer!.syncChanges.trigger();
    await syncer!.stop();
    expect(fired).toEqual(['listener']);
  });
});

describe('StateSyncer observed', () => {
  it('shows the inspector its machine, the worker and every request and answer between them', async () => {
    const events: InspectionEvent[] = [];
    make({ inspect: (e) => events.push(e) }).start();
    await settle(clock);
    syncer!.syncChanges.trigger();
    await settle(clock);
    const worker = syncer!.actor!.getSnapshot().children.worker;
    expect(events.filter((e) => e.type === '@xstate.actor').map((e) => e.actorRef.sessionId)).toEqual([syncer!.actor!.sessionId, worker!.sessionId]);
    const relayed = events.flatMap((e) => (e.type === '@xstate.event' && (e.actorRef === worker || e.sourceRef === worker) ? [e.event] : []));
    expect(relayed.map((e) => e.type)).toEqual(['xstate.init', 'RUN', 'SYNC_DONE', 'RUN', 'SYNC_DONE']);
  });

  it('reports transitions from the current state to a listener added while running', async () => {
    make().start();
    await settle(clock);
    const seen: string[] = [];
    syncer!.on('transition', (t) => seen.push(`${t.from}→${t.to} ${t.path}`));
    state.mode.syncChanges = 'manual';
    syncer!.syncChanges.trigger();
    state.last('syncChanges')!.resolve();
    await settle(clock);
    expect(seen).toEqual(['partialSync→partialSync partialSync.syncingChanges', 'partialSync→partialSync partialSync.idle']);
  });
});
