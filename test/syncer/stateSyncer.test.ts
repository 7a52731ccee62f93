import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateSyncer, type StateSyncerOptions } from '../../src/syncer/stateSyncer.js';
import { isStoppedError, isTimeoutError } from '../../src/shared/errors.js';
import { constantRandom, createTestClock, type TestClock } from '../../src/testing.js';
import { settle, scriptedSyncState, type ScriptedSyncState } from '../helpers/index.js';
import { captureLogger } from '../helpers/index.js';

const INTERVAL = 60_000;

let clock: TestClock;
let state: ScriptedSyncState;
let syncer: StateSyncer;

function make(options: Partial<StateSyncerOptions> = {}): StateSyncer {
  syncer = new StateSyncer({
    state,
    interval: INTERVAL,
    clusterSize: () => 1,
    random: constantRandom(0.5),
    clock,
    ...options,
  });
  return syncer;
}

beforeEach(() => {
  clock = createTestClock();
  state = scriptedSyncState(clock);
});

afterEach(async () => {
  if (syncer) {
    const stopped = syncer.stop();
    await clock.tickAsync(20_000);
    await stopped;
  }
});

describe('StateSyncer start and full sync', () => {
  it('calls syncFull at once when started, before any timer fires', async () => {
    make().start();
    expect(state.calls.map((c) => c.kind)).toEqual(['syncFull']);
    expect(state.calls[0]?.at).toBe(0);
    await settle(clock);
    expect(syncer.state).toBe('partialSync');
  });

  it('reports fullSync before start() and exposes no actor yet', () => {
    make();
    expect(syncer.state).toBe('fullSync');
    expect(syncer.actor).toBeUndefined();
    expect(state.calls).toHaveLength(0);
  });

  it('shows its machine read-only: snapshot, subscribe and emitted events, no send or stop', () => {
    make().start();
    const view = syncer.actor!;
    expect(Object.keys(view).sort()).toEqual(['getSnapshot', 'id', 'on', 'sessionId', 'subscribe']);
    expect(Object.isFrozen(view)).toBe(true);
    expect(view.getSnapshot().value).toEqual({ fullSync: 'syncing' });
    expect(syncer.actor).toBe(view);
  });

  it('runs the next full sync exactly at interval + stagger(interval) after the previous one started', async () => {
    make().start();
    await settle(clock);
    // random 0.5, 1 node: stagger(60 s) = 30 s, so the deadline is 90 s.
    await clock.tickAsync(89_999);
    expect(state.times('syncFull')).toEqual([0]);
    await clock.tickAsync(1);
    expect(state.times('syncFull')).toEqual([0, 90_000]);
  });

  it('measures the deadline from the start of the full sync, not its end', async () => {
    make();
    state.mode.syncFull = 'manual';
    syncer.start();
    await clock.tickAsync(10_000);
    state.last('syncFull')?.resolve();
    state.mode.syncFull = 'resolve';
    await clock.tickAsync(79_999);
    expect(state.times('syncFull')).toEqual([0]);
    await clock.tickAsync(1);
    expect(state.times('syncFull')).toEqual([0, 90_000]);
  });

  it('goes to retryFullSync and logs when syncFull rejects, then retries after retryFailInterval + stagger', async () => {
    const log = captureLogger();
    make({ logger: log.logger });
    state.mode.syncFull = 'reject';
    syncer.start();
    await settle(clock);
    expect(syncer.state).toBe('retryFullSync');
    expect(log.messages('error')).toEqual(['full sync failed; will retry in 22.5 s (retryFailInterval plus stagger)']);
    const line = log.records.find((r) => r.level === 50);
    expect(line).toMatchObject({ component: 'stateSyncer', retryInMs: 22_500, err: { message: 'syncFull failed' } });
    // 15 s + stagger(15 s) with random 0.5 = 22.5 s
    await clock.tickAsync(22_499);
    expect(state.times('syncFull')).toEqual([0]);
    await clock.tickAsync(1);
    expect(state.times('syncFull')).toEqual([0, 22_500]);
  });

  it('counts a syncFull that throws synchronously as a failed sync', async () => {
    make();
    state.mode.syncFull = 'throw';
    syncer.start();
    await settle(clock);
    expect(syncer.state).toBe('retryFullSync');
    expect(syncer.stats()).toMatchObject({ fullSyncs: 0, fullSyncFailures: 1, consecutiveFailures: 1 });
    expect((syncer.stats().lastError as Error).message).toBe('syncFull threw synchronously');
  });

  it('skips the full sync and goes to retryFullSync when started while paused', async () => {
    make();
    void syncer.pause();
    syncer.start();
    await settle(clock);
    expect(syncer.state).toBe('retryFullSync');
    expect(state.calls).toHaveLength(0);
    expect(syncer.stats().fullSyncsSkipped).toBe(1);
  });
});

describe('StateSyncer partial syncs', () => {
  it('calls syncChanges at once on a SyncChanges trigger and returns to partialSync', async () => {
    make().start();
    await clock.tickAsync(5_000);
    syncer.syncChanges.trigger();
    expect(syncer.syncChanges.pending).toBe(false);
    expect(state.times('syncChanges')).toEqual([5_000]);
    await settle(clock);
    expect(syncer.state).toBe('partialSync');
    expect(syncer.actor?.getSnapshot().value).toEqual({ partialSync: 'idle' });
  });

  it('returns to partialSync and logs when syncChanges rejects', async () => {
    const log = captureLogger();
    make({ logger: log.logger }).start();
    await settle(clock);
    state.mode.syncChanges = 'reject';
    syncer.syncChanges.trigger();
    await settle(clock);
    expect(syncer.state).toBe('partialSync');
    // The first full sync was at 0: the next one is due at 60 s + stagger(60 s) = 90 s.
    expect(log.messages('error')).toEqual([
      'partial sync failed; not retried by itself: the next syncChanges trigger, or the full sync due in 90 s, writes the changes',
    ]);
    expect(log.records.find((r) => r.level === 50)).toMatchObject({ retry: 'nextTrigger', fullSyncInMs: 90_000, err: { message: 'syncChanges failed' } });
    expect(syncer.stats()).toMatchObject({ partialSyncs: 0, partialSyncFailures: 1 });
  });

  it('consumes a SyncChanges trigger without calling syncChanges while paused', async () => {
    make().start();
    await settle(clock);
    void syncer.pause();
    syncer.syncChanges.trigger();
    await settle(clock);
    expect(syncer.syncChanges.pending).toBe(false);
    expect(state.times('syncChanges')).toEqual([]);
  });

  it('coalesces SyncChanges triggers that arrive while syncChanges runs into one more run', async () => {
    make().start();
    await settle(clock);
    state.mode.syncChanges = 'manual';
    syncer.syncChanges.trigger();
    syncer.syncChanges.trigger();
    syncer.syncChanges.trigger();
    syncer.syncChanges.trigger();
    expect(state.times('syncChanges')).toEqual([0]);
    expect(syncer.syncChanges.pending).toBe(true);
    state.last('syncChanges')?.resolve();
    await settle(clock);
    expect(state.times('syncChanges')).toEqual([0, 0]);
    state.last('syncChanges')?.resolve();
    await settle(clock);
    expect(state.times('syncChanges')).toHaveLength(2);
    expect(syncer.syncChanges.pending).toBe(false);
  });

  it('keeps full syncs on schedule under a SyncChanges every second for 10 minutes (Consul #7020)', async () => {
    make().start();
    await settle(clock);
    for (let s = 1; s <= 600; s++) {
      await clock.tickAsync(1_000);
      syncer.syncChanges.trigger();
    }
    await settle(clock);
    // interval 60 s + stagger 30 s: a full sync every 90 s regardless of partial syncs.
    expect(state.times('syncFull')).toEqual([0, 90_000, 180_000, 270_000, 360_000, 450_000, 540_000]);
    expect(state.times('syncChanges').length).toBeGreaterThanOrEqual(590);
  });

  it('remembers a deadline that passes while syncChanges runs and runs the full sync right after', async () => {
    make().start();
    await settle(clock);
    await clock.tickAsync(89_000);
    state.mode.syncChanges = 'manual';
    syncer.syncChanges.trigger();
    await clock.tickAsync(5_000); // deadline (90 s) passes meanwhile
    expect(state.times('syncFull')).toEqual([0]);
    state.last('syncChanges')?.resolve();
    await settle(clock);
    expect(state.times('syncFull')).toEqual([0, 94_000]);
  });
});

describe('StateSyncer SyncFull triggers', () => {
  it('waits stagger(serverUpInterval) after a SyncFull trigger in partialSync, then syncs', async () => {
    make().start();
    await clock.tickAsync(10_000);
    syncer.syncFull.trigger();
    expect(syncer.syncFull.pending).toBe(true);
    // random 0.5, 1 node: stagger(3 s) = 1.5 s
    await clock.tickAsync(1_499);
    expect(state.times('syncFull')).toEqual([0]);
    await clock.tickAsync(1);
    expect(state.times('syncFull')).toEqual([0, 11_500]);
    expect(syncer.syncFull.pending).toBe(false);
  });

  it('scales the SyncFull stagger by log2 of the cluster size (10 000 nodes → ×8)', async () => {
    make({ clusterSize: () => 10_000 }).start();
    await settle(clock);
    syncer.syncFull.trigger();
    // 0.5 × 8 × 3 s = 12 s
    await clock.tickAsync(11_999);
    expect(state.times('syncFull')).toEqual([0]);
    await clock.tickAsync(1);
    expect(state.times('syncFull')).toEqual([0, 12_000]);
  });

  it('runs one full sync for several SyncFull triggers that arrive before it starts', async () => {
    make().start();
    await settle(clock);
    syncer.syncFull.trigger();
    await clock.tickAsync(500);
    syncer.syncFull.trigger();
    syncer.syncFull.trigger();
    await clock.tickAsync(10_000);
    expect(state.times('syncFull')).toEqual([0, 1_500]);
  });

  it('lets a SyncFull trigger before start() be satisfied by the first full sync', async () => {
    make();
    syncer.syncFull.trigger();
    expect(syncer.syncFull.pending).toBe(true);
    syncer.start();
    expect(syncer.syncFull.pending).toBe(false);
    await clock.tickAsync(20_000);
    expect(state.times('syncFull')).toEqual([0]);
  });

  it('remembers a SyncFull trigger that arrives while syncFull runs', async () => {
    make();
    state.mode.syncFull = 'manual';
    syncer.start();
    await clock.tickAsync(1_000);
    syncer.syncFull.trigger();
    state.last('syncFull')?.resolve();
    state.mode.syncFull = 'resolve';
    await clock.tickAsync(1_499);
    expect(state.times('syncFull')).toEqual([0]);
    await clock.tickAsync(1);
    expect(state.times('syncFull')).toEqual([0, 2_500]);
  });

  it('ignores SyncChanges during the stagger wait and lets the full sync satisfy it', async () => {
    make().start();
    await settle(clock);
    syncer.syncFull.trigger();
    await clock.tickAsync(100);
    syncer.syncChanges.trigger();
    expect(state.times('syncChanges')).toEqual([]);
    await clock.tickAsync(1_400);
    expect(state.times('syncFull')).toEqual([0, 1_500]);
    expect(syncer.syncChanges.pending).toBe(false);
    await clock.tickAsync(1_000);
    expect(state.times('syncChanges')).toEqual([]);
  });

  it('cuts the retry wait short on a SyncFull trigger in retryFullSync', async () => {
    make();
    state.mode.syncFull = 'reject';
    syncer.start();
    await clock.tickAsync(2_000);
    state.mode.syncFull = 'resolve';
    syncer.syncFull.trigger();
    await clock.tickAsync(1_499);
    expect(state.times('syncFull')).toEqual([0]);
    await clock.tickAsync(1);
    expect(state.times('syncFull')).toEqual([0, 3_500]);
    await settle(clock);
    expect(syncer.state).toBe('partialSync');
  });
});

describe('StateSyncer pause and resume', () => {
  it('counts nested pauses; only the last resume ends the pause and triggers SyncChanges', async () => {
    make().start();
    await settle(clock);
    void syncer.pause();
    void syncer.pause();
    expect(syncer.paused).toBe(true);
    expect(syncer.resume()).toBe(false);
    expect(syncer.paused).toBe(true);
    expect(state.times('syncChanges')).toEqual([]);
    expect(syncer.resume()).toBe(true);
    expect(syncer.paused).toBe(false);
    expect(state.times('syncChanges')).toEqual([0]);
  });

  it('throws on an unbalanced resume and keeps the pause count', () => {
    make();
    expect(() => syncer.resume()).toThrow(/unbalanced/);
    void syncer.pause();
    expect(syncer.resume()).toBe(true);
    expect(() => syncer.resume()).toThrow(Error);
    expect(syncer.paused).toBe(false);
  });

  it('leaves syncChanges pending and syncFull not pending after pause(); resume() before start()', () => {
    make();
    void syncer.pause();
    syncer.resume();
    expect(syncer.syncChanges.pending).toBe(true);
    expect(syncer.syncFull.pending).toBe(false);
  });

  it('resolves pause() only when the in-flight sync has settled', async () => {
    make();
    state.mode.syncFull = 'manual';
    syncer.start();
    let resolved = false;
    void syncer.pause().then(() => (resolved = true));
    await settle(clock);
    expect(resolved).toBe(false);
    state.last('syncFull')?.resolve();
    await settle(clock);
    expect(resolved).toBe(true);
  });

  it('resolves waitResume() when the pause ends and returns undefined when not paused', async () => {
    make();
    expect(syncer.waitResume()).toBeUndefined();
    void syncer.pause();
    let resumed = false;
    void syncer.waitResume()?.then(() => (resumed = true));
    await settle(clock);
    expect(resumed).toBe(false);
    syncer.resume();
    await settle(clock);
    expect(resumed).toBe(true);
  });

  it('runs a staggered full sync on the resume that ends a pause which skipped one (not 15 s later)', async () => {
    make().start();
    await settle(clock);
    void syncer.pause();
    await clock.tickAsync(90_000); // deadline → fullSync → skipped (paused) → retryFullSync
    expect(syncer.state).toBe('retryFullSync');
    expect(state.times('syncFull')).toEqual([0]);
    syncer.resume();
    expect(syncer.syncFull.pending).toBe(true);
    await clock.tickAsync(1_499);
    expect(state.times('syncFull')).toEqual([0]);
    await clock.tickAsync(1);
    expect(state.times('syncFull')).toEqual([0, 91_500]);
  });
});

describe('StateSyncer stop', () => {
  it('resolves stop() before start() and refuses a later start()', async () => {
    make();
    await syncer.stop();
    expect(syncer.state).toBe('done');
    let err: unknown;
    try {
      syncer.start();
    } catch (e) {
      err = e;
    }
    expect(isStoppedError(err)).toBe(true);
    expect(state.calls).toHaveLength(0);
  });

  it('aborts the in-flight syncFull and resolves once it settles', async () => {
    make();
    state.mode.syncFull = 'manual';
    syncer.start();
    const call = state.last('syncFull')!;
    let stopped = false;
    void syncer.stop().then(() => (stopped = true));
    expect(call.signal.aborted).toBe(true);
    await settle(clock);
    expect(syncer.state).toBe('done');
    expect(stopped).toBe(false);
    call.reject(call.signal.reason);
    await settle(clock);
    expect(stopped).toBe(true);
    expect(clock.countTimers()).toBe(0);
  });

  it('abandons a sync that ignores its signal after stopTimeout, with a warning', async () => {
    const log = captureLogger();
    make({ logger: log.logger, stopTimeout: 10_000 });
    state.mode.syncFull = 'manual';
    syncer.start();
    let stopped = false;
    void syncer.stop().then(() => (stopped = true));
    await clock.tickAsync(9_999);
    expect(stopped).toBe(false);
    await clock.tickAsync(1);
    expect(stopped).toBe(true);
    expect(log.messages('warn').some((m) => m.includes('abandoned after stopTimeout'))).toBe(true);
    state.last('syncFull')?.resolve(); // late result is ignored
    await settle(clock);
    expect(syncer.stats().fullSyncs).toBe(0);
  });

  it.each([
    ['partialSync idle', async () => {}],
    ['partialSync waiting for a staggered full sync', async () => syncer.syncFull.trigger()],
    ['retryFullSync', async () => {
      state.mode.syncFull = 'reject';
      syncer.syncFull.trigger();
      await clock.tickAsync(1_500);
    }],
  ])('stops from %s, leaving no timer behind', async (_name, enter) => {
    make().start();
    await settle(clock);
    await enter();
    await settle(clock);
    await syncer.stop();
    expect(syncer.state).toBe('done');
    expect(clock.countTimers()).toBe(0);
    const calls = state.calls.length;
    await clock.tickAsync(1_000_000);
    expect(state.calls).toHaveLength(calls);
  });

  it('aborts an in-flight syncChanges on stop', async () => {
    make().start();
    await settle(clock);
    state.mode.syncChanges = 'manual';
    syncer.syncChanges.trigger();
    const call = state.last('syncChanges')!;
    const stopping = syncer.stop();
    expect(call.signal.aborted).toBe(true);
    call.resolve();
    await stopping;
    expect(clock.countTimers()).toBe(0);
  });

  it('resolves every stop() call and ignores triggers after stop', async () => {
    make().start();
    await settle(clock);
    await Promise.all([syncer.stop(), syncer.stop(), syncer.stop()]);
    expect(() => syncer.syncFull.trigger()).not.toThrow();
    expect(() => syncer.syncChanges.trigger()).not.toThrow();
    expect(syncer.syncFull.pending).toBe(false);
    await clock.tickAsync(100_000);
    expect(state.calls).toHaveLength(1);
  });
});

describe('StateSyncer syncTimeout', () => {
  it('aborts a full sync that runs longer than syncTimeout and counts it as failed', async () => {
    make({ syncTimeout: 5_000 });
    state.mode.syncFull = 'manual';
    syncer.start();
    const call = state.last('syncFull')!;
    await clock.tickAsync(4_999);
    expect(call.signal.aborted).toBe(false);
    expect(syncer.state).toBe('fullSync');
    await clock.tickAsync(1);
    expect(call.signal.aborted).toBe(true);
    expect(isTimeoutError(call.signal.reason)).toBe(true);
    expect(syncer.state).toBe('retryFullSync');
    expect(syncer.stats().fullSyncFailures).toBe(1);
    call.reject(call.signal.reason);
  });

  it('never starts a second sync while a timed-out one is still running', async () => {
    make({ syncTimeout: 1_000 });
    state.mode.syncFull = 'manual';
    syncer.start();
    const first = state.last('syncFull')!;
    await clock.tickAsync(1_000); // times out, first ignores the abort
    syncer.syncFull.trigger();
    await clock.tickAsync(1_500); // stagger ends: next full sync invoked, waits for the first
    expect(state.calls).toHaveLength(1);
    first.resolve();
    await settle(clock);
    expect(state.calls).toHaveLength(2);
    expect(state.maxConcurrent).toBe(1);
  });
});

describe('StateSyncer options and bad input', () => {
  it.each([
    [{ interval: 0 }, RangeError, /interval.*received 0/],
    [{ interval: -5 }, RangeError, /interval.*-5/],
    [{ interval: Number.NaN }, RangeError, /interval.*NaN/],
    [{ interval: Infinity }, RangeError, /interval.*Infinity/],
    [{ interval: '10' }, TypeError, /interval must be a number/],
    [{ serverUpInterval: -1 }, RangeError, /serverUpInterval.*-1/],
    [{ retryFailInterval: Number.NaN }, RangeError, /retryFailInterval.*NaN/],
    [{ retryFailInterval: 0 }, RangeError, /retryFailInterval.*> 0, received 0/],
    [{ syncTimeout: 0 }, RangeError, /syncTimeout.*0/],
    [{ stopTimeout: -1 }, RangeError, /stopTimeout.*-1/],
    [{ clusterSize: undefined }, TypeError, /clusterSize must be a function/],
    [{ clusterSize: 5 }, TypeError, /clusterSize must be a function/],
    [{ state: { syncFull: () => undefined } }, TypeError, /syncFull.*syncChanges/],
    [{ state: null }, TypeError, /syncFull.*syncChanges/],
    [{ random: 'x' }, TypeError, /random must be a function/],
  ])('refuses %o', (bad, type, message) => {
    expect(() => make(bad as Partial<StateSyncerOptions>)).toThrow(type);
    expect(() => make(bad as Partial<StateSyncerOptions>)).toThrow(message);
  });

  it('treats a clusterSize() that throws or returns NaN as 1 and logs once', async () => {
    const log = captureLogger();
    let mode: 'throw' | 'nan' | 'negative' = 'throw';
    make({
      logger: log.logger,
      clusterSize: () => {
        if (mode === 'throw') throw new Error('gossip not ready');
        return mode === 'nan' ? Number.NaN : -3;
      },
    }).start();
    await settle(clock);
    expect(syncer.state).toBe('partialSync');
    // stagger used 1 node: deadline 90 s
    await clock.tickAsync(90_000);
    mode = 'nan';
    syncer.syncFull.trigger();
    await clock.tickAsync(1_500);
    mode = 'negative';
    syncer.syncFull.trigger();
    await clock.tickAsync(1_500);
    expect(state.times('syncFull')).toEqual([0, 90_000, 91_500, 93_000]);
    expect(log.messages('warn').filter((m) => m.includes('clusterSize'))).toHaveLength(1);
  });
});

describe('StateSyncer snapshot', () => {
  it('serializes its machine snapshot to JSON, showing the settings of its environment', async () => {
    make({ serverUpInterval: 2_000 }).start();
    await settle(clock);
    const json = JSON.parse(JSON.stringify(syncer.actor!.getSnapshot())) as { context: { env: unknown } };
    expect(json.context.env).toEqual({ interval: INTERVAL, serverUpInterval: 2_000, retryFailInterval: 15_000 });
  });
});

describe('StateSyncer events and stats', () => {
  it('emits the whole sequence of state transitions for a failure, retry and success', async () => {
    make();
    const paths: string[] = [];
    syncer.on('transition', (t) => paths.push(t.path));
    state.mode.syncFull = 'reject';
    syncer.start();
    await settle(clock);
    state.mode.syncFull = 'resolve';
    await clock.tickAsync(22_500);
    syncer.syncChanges.trigger();
    await settle(clock);
    expect(paths).toEqual([
      'fullSync.syncing',
      'retryFullSync.waiting',
      'fullSync.syncing',
      'partialSync.idle',
      'partialSync.syncingChanges',
      'partialSync.idle',
    ]);
  });

  it('counts syncs and failures and reports the last success time', async () => {
    make();
    const events: string[] = [];
    syncer.on('fullSync', () => events.push('fullSync'));
    syncer.on('fullSyncFailed', (e) => events.push(`fullSyncFailed:${e.consecutiveFailures}`));
    syncer.on('syncChanges', () => events.push('syncChanges'));
    state.mode.syncFull = 'reject';
    syncer.start();
    await clock.tickAsync(22_500);
    state.mode.syncFull = 'resolve';
    await clock.tickAsync(22_500);
    syncer.syncChanges.trigger();
    await settle(clock);
    expect(events).toEqual(['fullSyncFailed:1', 'fullSyncFailed:2', 'fullSync', 'syncChanges']);
    expect(syncer.stats()).toMatchObject({
      fullSyncs: 1,
      fullSyncFailures: 2,
      partialSyncs: 1,
      consecutiveFailures: 0,
      lastSuccessAt: 45_000,
    });
  });

  it('keeps running when a listener throws', async () => {
    const log = captureLogger();
    make({ logger: log.logger });
    syncer.on('fullSync', () => {
      throw new Error('bad listener');
    });
    syncer.start();
    await settle(clock);
    expect(syncer.state).toBe('partialSync');
    expect(log.messages('error')).toContain('state syncer listener threw');
  });
});

describe('StateSyncer syncTimeout on success', () => {
  it('does not abort the signal of a sync that finished within syncTimeout', async () => {
    make({ syncTimeout: 5_000 });
    state.mode.syncFull = 'manual';
    syncer.start();
    const call = state.last('syncFull')!;
    await clock.tickAsync(4_000);
    call.resolve();
    await clock.tickAsync(2_000);
    expect(call.signal.aborted).toBe(false);
    expect(syncer.state).toBe('partialSync');
    expect(syncer.stats().fullSyncs).toBe(1);
  });
});

describe('StateSyncer pause while a sync is queued behind a timed-out one', () => {
  it('skips the queued full sync, counts no failure, and runs it after the resume that ends the pause', async () => {
    make({ syncTimeout: 1_000 });
    state.mode.syncFull = 'manual';
    syncer.start();
    const first = state.last('syncFull')!;
    await clock.tickAsync(1_000); // first times out and ignores its signal
    syncer.syncFull.trigger();
    await clock.tickAsync(1_500); // the next full sync is invoked and waits for the first
    void syncer.pause();
    first.resolve();
    await settle(clock);
    expect(state.calls).toHaveLength(1); // the queued one never ran
    expect(syncer.stats()).toMatchObject({ fullSyncFailures: 1, fullSyncsSkipped: 1 });
    state.mode.syncFull = 'resolve';
    syncer.resume();
    await clock.tickAsync(1_499);
    expect(state.calls).toHaveLength(1);
    await clock.tickAsync(1);
    expect(state.times('syncFull')).toEqual([0, 4_000]);
  });
});
