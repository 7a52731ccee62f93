// Typed events (exact names on every emitter, once/off), the one name for "stopped
// itself", and the promise helpers whenSynced/whenWritten, which clean up after themselves.
import { describe, expect, it } from 'vitest';
import { StateSyncer, ServerManager, MemoryCluster, createCatalogAgent, whenSynced, whenWritten, isStoppedError } from '../../src/index.js';
import { createTestClock, scriptedSyncState } from '../../src/testing.js';
import { scriptedPinger } from '../helpers/index.js';

/** Listener count of a syncer for one event, read through the emitter's own bookkeeping. */
function listeners(syncer: StateSyncer, event: string): number {
  const map = (syncer as unknown as { listeners?: Map<string, Set<unknown>> }).listeners;
  return map?.get(event)?.size ?? 0;
}

describe('typed events', () => {
  it('accepts only the emitter’s own event names, at compile time', () => {
    const clock = createTestClock();
    const syncer = new StateSyncer({ state: scriptedSyncState(clock), interval: 60_000, clusterSize: () => 1, clock });
    // @ts-expect-error — 'partialSync' is a state, not an event: the event is 'syncChanges'
    syncer.on('partialSync', () => undefined);
    syncer.on('syncChanges', ({ durationMs }) => void durationMs);
    // @ts-expect-error — a typo in once() is caught too
    syncer.once('fulSync', () => undefined);
    // @ts-expect-error — and in off()
    syncer.off('transitions', () => undefined);
    const manager = new ServerManager({ pinger: scriptedPinger(() => true), clock });
    // @ts-expect-error — the manager has no 'failed' event
    manager.on('failed', () => undefined);
    manager.on('fatal', (err: Error) => void err.message);
    syncer.on('fatal', (err: Error) => void err.message); // one name for "stopped itself" on both
    const cluster = new MemoryCluster({ clock });
    // @ts-expect-error — nor is MemoryCluster's map open-ended
    cluster.on('anything', () => undefined);
    expect(listeners(syncer, 'partialSync')).toBe(1); // at run time the listener is merely never called
  });

  it('once() calls its listener for the next event only, and its remover works before then', async () => {
    const clock = createTestClock();
    const syncer = new StateSyncer({ state: scriptedSyncState(clock), interval: 1_000, clusterSize: () => 1, clock });
    const seen: number[] = [];
    syncer.once('fullSync', () => seen.push(1));
    const off = syncer.once('fullSync', () => seen.push(2));
    off();
    syncer.start();
    await clock.tickAsync(5_000); // several full syncs
    expect(syncer.stats().fullSyncs).toBeGreaterThan(1);
    expect(seen).toEqual([1]);
    expect(listeners(syncer, 'fullSync')).toBe(0);
    await syncer.stop();
  });

  it("emits 'fatal' with the error, then the deprecated 'failed', when the syncer stops itself", async () => {
    const clock = createTestClock();
    let calls = 0;
    const syncer = new StateSyncer({
      state: scriptedSyncState(clock),
      interval: 1_000,
      clusterSize: () => 1,
      clock,
      random: () => {
        if (++calls > 1) throw new Error('entropy gone');
        return 0.5;
      },
    });
    const order: string[] = [];
    syncer.on('fatal', (err) => order.push(`fatal:${err.message}`));
    syncer.on('failed', ({ error }) => order.push(`failed:${error.message}`));
    syncer.start();
    await clock.tickAsync(10_000);
    expect(order.map((o) => o.split(':')[0])).toEqual(['fatal', 'failed']);
    expect(order[0]).toContain('entropy gone');
  });
});

describe('whenSynced', () => {
  it('resolves at the first successful full sync, not before, and leaves no listener behind', async () => {
    const clock = createTestClock();
    const state = scriptedSyncState(clock);
    state.mode.syncFull = 'manual';
    const syncer = new StateSyncer({ state, interval: 60_000, clusterSize: () => 1, clock });
    let done = false;
    const waiting = whenSynced(syncer).then(() => (done = true));
    syncer.start();
    await clock.tickAsync(100);
    expect(done).toBe(false); // the full sync is still running
    state.last('syncFull')?.resolve();
    await clock.tickAsync(1);
    await waiting;
    expect(done).toBe(true);
    for (const e of ['fullSync', 'syncChanges', 'fullSyncFailed', 'syncChangesFailed', 'transition']) expect(listeners(syncer, e), e).toBe(0);
    await whenSynced(syncer); // already synced: at once
    await syncer.stop();
  });

  it('keeps waiting through failed full syncs, and rejects with StoppedError when the syncer stops', async () => {
    const clock = createTestClock();
    const state = scriptedSyncState(clock);
    state.mode.syncFull = 'reject';
    const syncer = new StateSyncer({ state, interval: 60_000, clusterSize: () => 1, clock }).start();
    const waiting = whenSynced(syncer);
    const outcome = waiting.then(() => 'resolved', (e: unknown) => e);
    await clock.tickAsync(10_000);
    expect(syncer.stats().fullSyncFailures).toBeGreaterThan(0);
    await syncer.stop();
    await clock.tickAsync(1);
    expect(isStoppedError(await outcome)).toBe(true);
    expect(listeners(syncer, 'transition')).toBe(0);
    await expect(whenSynced(syncer)).rejects.toSatisfy(isStoppedError); // stopped already
  });

  it('rejects with the signal’s reason when it aborts, removing its listeners', async () => {
    const clock = createTestClock();
    const state = scriptedSyncState(clock);
    state.mode.syncFull = 'reject';
    const syncer = new StateSyncer({ state, interval: 60_000, clusterSize: () => 1, clock }).start();
    const controller = new AbortController();
    const waiting = whenSynced(syncer, { signal: controller.signal });
    controller.abort(new Error('gave up'));
    await expect(waiting).rejects.toThrow('gave up');
    expect(listeners(syncer, 'fullSync')).toBe(0);
    await syncer.stop();
  });
});

describe('whenWritten', () => {
  it('resolves only once every registration is in the catalog', async () => {
    const clock = createTestClock();
    const cluster = new MemoryCluster({ clock });
    const agent = createCatalogAgent({ backend: cluster, node: 'n1', interval: 60_000, clock });
    agent.registry.register({ id: 'a', name: 'a', address: '10.0.0.1', port: 1 });
    let written = false;
    const waiting = whenWritten(agent).then(() => (written = true));
    agent.start();
    for (let i = 0; i < 100 && !written; i++) await clock.tickAsync(10);
    await waiting;
    expect(cluster.readEntries('n1').map((s) => s.id)).toEqual(['a']);
    agent.registry.register({ id: 'b', name: 'b', address: '10.0.0.2', port: 2 });
    expect(agent.registry.stats().dirty).toBe(1);
    let again = false;
    const second = whenWritten(agent).then(() => (again = true));
    expect(again).toBe(false);
    for (let i = 0; i < 100 && !again; i++) await clock.tickAsync(10);
    await second;
    expect(cluster.readEntries('n1').map((s) => s.id)).toEqual(['a', 'b']);
    await agent.stop();
  });
});
