// Many syncers on one clock, as in a fleet simulation: they share a bounded number of
// xstate systems (src/shared/actorHost.ts), and stopping them all leaves nothing behind.
import { describe, expect, it } from 'vitest';
import { StateSyncer } from '../../src/syncer/stateSyncer.js';
import { ACTORS_PER_HOST } from '../../src/shared/actorHost.js';
import { constantRandom, createTestClock } from '../../src/testing.js';
import { settle } from '../helpers/index.js';

const SYNCERS = 10_000;

describe('10,000 StateSyncers on one clock', () => {
  it('share systems at most ACTORS_PER_HOST at a time and leave no timer after stop()', async () => {
    const clock = createTestClock();
    const state = { syncFull: () => undefined, syncChanges: () => undefined };
    const random = constantRandom(0.5);
    const oneNode = () => 1;
    const fleet = Array.from({ length: SYNCERS }, () =>
      new StateSyncer({ state, interval: 3_600_000, clusterSize: oneNode, random, clock }).start(),
    );
    await settle(clock);
    // Every syncer waits for its next full sync: one timer each.
    expect(clock.countTimers()).toBe(SYNCERS);
    const perSystem = new Map<unknown, number>();
    for (const syncer of fleet) {
      expect(syncer.state).toBe('partialSync');
      const system = syncer.actor!.getSnapshot().children.worker!.system; // the machine and its worker share one
      perSystem.set(system, (perSystem.get(system) ?? 0) + 1);
    }
    expect(perSystem.size).toBe(Math.ceil(SYNCERS / ACTORS_PER_HOST));
    expect(Math.max(...perSystem.values())).toBe(ACTORS_PER_HOST);

    await Promise.all(fleet.map((s) => s.stop()));
    expect(clock.countTimers()).toBe(0);
    expect(fleet.every((s) => s.state === 'done' && s.actor!.getSnapshot().status === 'done')).toBe(true);
  }, 60_000);
});
