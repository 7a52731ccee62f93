// The syncer under wall-clock steps: deadlines and durations are measured on the
// clock's monotonic reading (fake-timers' `performance.now()`, which `setSystemTime`
// leaves alone), so a step of the wall clock in either direction moves no full sync;
// `lastSuccessAt` stays a wall-clock timestamp.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateSyncer } from '../../src/syncer/stateSyncer.js';
import { constantRandom, createTestClock, type TestClock } from '../../src/testing.js';
import { settle, scriptedSyncState as scriptedState, type ScriptedSyncState as ScriptedState } from '../helpers/index.js';

const INTERVAL = 60_000;
const DAY = 86_400_000;

let clock: TestClock;
let state: ScriptedState;
let syncer: StateSyncer;

beforeEach(() => {
  clock = createTestClock();
  state = scriptedState(clock);
  // random 0.5, 1 node: stagger(60 s) = 30 s, so each full sync is due 90 s after the previous one started.
  syncer = new StateSyncer({ state, interval: INTERVAL, clusterSize: () => 1, random: constantRandom(0.5), clock });
});

afterEach(async () => {
  const stopped = syncer.stop();
  await clock.tickAsync(20_000);
  await stopped;
});

const fullSyncs = (): number => state.calls.filter((c) => c.kind === 'syncFull').length;

describe('StateSyncer under wall-clock steps', () => {
  it.each([
    ['back by a day', -DAY],
    ['forward by a day', DAY],
  ])('runs the next full sync 90 s after the previous one started when the wall clock steps %s during it', async (_name, stepMs) => {
    const durations: number[] = [];
    syncer.on('fullSync', (e) => durations.push(e.durationMs));
    state.mode.syncFull = 'manual';
    syncer.start();
    await clock.tickAsync(10_000);
    clock.setSystemTime(clock.now + stepMs);
    state.last('syncFull')?.resolve();
    state.mode.syncFull = 'resolve';
    await settle(clock);
    expect(durations).toEqual([10_000]);
    expect(syncer.stats().lastSuccessAt).toBe(10_000 + stepMs); // a wall-clock timestamp
    await clock.tickAsync(79_999);
    expect(fullSyncs()).toBe(1);
    await clock.tickAsync(1);
    expect(fullSyncs()).toBe(2);
    // And the one after: every 90 s from then on.
    await clock.tickAsync(89_999);
    expect(fullSyncs()).toBe(2);
    await clock.tickAsync(1);
    expect(fullSyncs()).toBe(3);
  });

});
