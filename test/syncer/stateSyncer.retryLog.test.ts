// The error line after a failed sync says what happens next: when the full sync is
// retried (the wait the machine planned, checked against the timer it really set) and
// where a failed partial sync's changes go, for each state the machine can be in.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateSyncer, type StateSyncerOptions } from '../../src/syncer/stateSyncer.js';
import { formatWait } from '../../src/syncer/nextStep.js';
import { constantRandom, createTestClock, type TestClock } from '../../src/testing.js';
import { captureLogger, settle, scriptedSyncState, type ScriptedSyncState } from '../helpers/index.js';

let clock: TestClock;
let state: ScriptedSyncState;
let syncer: StateSyncer | undefined;
let log: ReturnType<typeof captureLogger>;

function make(options: Partial<StateSyncerOptions> = {}): StateSyncer {
  syncer = new StateSyncer({ state, interval: 60_000, clusterSize: () => 1, random: constantRandom(0.5), clock, logger: log.logger, ...options });
  return syncer;
}

const errors = () => log.records.filter((r) => r.level === 50);

beforeEach(() => {
  clock = createTestClock();
  state = scriptedSyncState(clock);
  log = captureLogger();
  syncer = undefined;
});

afterEach(async () => {
  if (!syncer) return;
  for (const call of state.calls) if (!call.settled) call.resolve();
  const stopped = syncer.stop();
  await clock.tickAsync(20_000);
  await stopped;
});

describe('StateSyncer failure log', () => {
  it('gives the full-sync retry wait the timer really uses, and the error', async () => {
    // random 0.2: 15 s + 0.2 × 15 s = 18 s
    make({ random: constantRandom(0.2) });
    state.mode.syncFull = 'reject';
    syncer!.start();
    await settle(clock);
    expect(errors()).toHaveLength(1);
    expect(errors()[0]).toMatchObject({ msg: 'full sync failed; will retry in 18 s (retryFailInterval plus stagger)', retryInMs: 18_000, err: { message: 'syncFull failed' } });
    state.mode.syncFull = 'resolve';
    await clock.tickAsync(17_999);
    expect(state.times('syncFull')).toEqual([0]);
    await clock.tickAsync(1);
    expect(state.times('syncFull')).toEqual([0, 18_000]);
  });

  it('plans a fresh wait for each failure and logs each one', async () => {
    // Each full sync draws its deadline's stagger, each failure its retry wait's.
    const draws = [0.5, 0.2, 0.5, 0.8];
    make({ random: () => draws.shift() ?? 0 });
    state.mode.syncFull = 'reject';
    syncer!.start();
    await settle(clock);
    await clock.tickAsync(18_000); // 15 s + 0.2 × 15 s
    expect(state.times('syncFull')).toEqual([0, 18_000]);
    expect(errors().map((r) => r.retryInMs)).toEqual([18_000, 27_000]); // then 15 s + 0.8 × 15 s
  });

  it('says the retry follows the pending syncFull trigger when one came during the failed sync', async () => {
    make();
    state.mode.syncFull = 'manual';
    syncer!.start();
    await settle(clock);
    syncer!.syncFull.trigger();
    state.last('syncFull')!.reject();
    await settle(clock);
    expect(syncer!.actor?.getSnapshot().value).toEqual({ retryFullSync: 'waitingToSyncFull' });
    expect(errors()).toHaveLength(1);
    expect(errors()[0]).toMatchObject({ msg: "full sync failed; will retry after the pending syncFull trigger's stagger", retry: 'syncFull', err: { message: 'syncFull failed' } });
  });

  it('gives the time to the next full sync when a partial sync fails in idle', async () => {
    make();
    syncer!.start();
    await settle(clock);
    await clock.tickAsync(30_000);
    state.mode.syncChanges = 'reject';
    syncer!.syncChanges.trigger();
    await settle(clock);
    // Full sync at 0, due at 60 s + 0.5 × 60 s = 90 s: 60 s from now.
    expect(errors()[0]).toMatchObject({ retry: 'nextTrigger', fullSyncInMs: 60_000, err: { message: 'syncChanges failed' } });
    expect(errors()[0]?.msg).toContain('the full sync due in 60 s');
  });

  it('says a partial sync is retried at once when a syncChanges trigger came while it ran', async () => {
    make();
    syncer!.start();
    await settle(clock);
    state.mode.syncChanges = 'manual';
    syncer!.syncChanges.trigger();
    await settle(clock);
    syncer!.syncChanges.trigger();
    state.last('syncChanges')!.reject();
    await settle(clock);
    expect(state.times('syncChanges')).toEqual([0, 0]);
    expect(errors()).toHaveLength(1);
    expect(errors()[0]).toMatchObject({ retry: 'syncChanges', msg: 'partial sync failed; retrying now (a syncChanges trigger came while it ran)' });
  });

  it('says the full sync starting now writes the changes when the deadline passed while the partial sync ran', async () => {
    make();
    syncer!.start();
    await settle(clock);
    state.mode.syncChanges = 'manual';
    await clock.tickAsync(89_000);
    syncer!.syncChanges.trigger();
    await settle(clock);
    await clock.tickAsync(1_000); // the deadline (90 s) passes while it runs
    expect(state.times('syncFull')).toEqual([0]);
    state.last('syncChanges')!.reject();
    await settle(clock);
    expect(state.times('syncFull')).toEqual([0, 90_000]);
    expect(errors()[0]).toMatchObject({ retry: 'fullSync', msg: 'partial sync failed; the full sync starting now writes the changes' });
  });

  it('says the full sync after a pending syncFull trigger writes the changes', async () => {
    make();
    syncer!.start();
    await settle(clock);
    state.mode.syncChanges = 'manual';
    syncer!.syncChanges.trigger();
    await settle(clock);
    syncer!.syncFull.trigger();
    state.last('syncChanges')!.reject();
    await settle(clock);
    expect(syncer!.actor?.getSnapshot().value).toEqual({ partialSync: 'waitingToSyncFull' });
    expect(errors()[0]).toMatchObject({ retry: 'syncFull' });
  });
});

describe('formatWait', () => {
  it('writes whole ms below a second and seconds to a tenth from there', () => {
    expect([0, 999.4, 1_000, 1_560, 9_940, 22_500, 90_000].map(formatWait)).toEqual(['0 ms', '999 ms', '1 s', '1.6 s', '9.9 s', '22.5 s', '90 s']);
  });
});
