import { describe, expect, it } from 'vitest';
import { createClock } from '@sinonjs/fake-timers';
import { createSyncAgent, type SyncAgentOptions } from '../src/agent.js';
import { StoppedError } from '../src/shared/errors.js';
import type { SyncState } from '../src/syncer/stateSyncer.js';
import type { Pinger, Server } from '../src/servers/types.js';
import { flushPromises, manualPinger, scriptedPinger, server } from './helpers/index.js';

/** A SyncState that counts calls and answers at once (or hangs until aborted, when `hang`). */
function countingState() {
  const calls = { full: 0, changes: 0 };
  const signals: AbortSignal[] = [];
  let hang = false;
  const run = (signal: AbortSignal): Promise<void> => {
    signals.push(signal);
    if (!hang) return Promise.resolve();
    return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
  };
  const state: SyncState = {
    syncFull: (signal) => (calls.full++, run(signal)),
    syncChanges: (signal) => (calls.changes++, run(signal)),
  };
  return { state, calls, signals, hangFromNowOn: () => (hang = true) };
}

function make(options: Partial<SyncAgentOptions> & { pinger?: Pinger } = {}) {
  const clock = createClock();
  const s = countingState();
  const agent = createSyncAgent({
    state: s.state,
    pinger: scriptedPinger(() => true),
    interval: 60_000,
    clock,
    // 0.5 everywhere: serverUp stagger = 0.5 × 3000 ms = 1500 ms at ≤ 128 nodes.
    random: () => 0.5,
    ...options,
  });
  return { agent, clock, ...s };
}

describe('createSyncAgent', () => {
  it('starts one staggered full sync when a new server is added, and not a millisecond early', async () => {
    const { agent, clock, calls } = make();
    agent.start();
    await flushPromises();
    expect(calls.full).toBe(1);
    expect(agent.syncer.state).toBe('partialSync');
    // serverUp and offline→online both fire here; they coalesce into one full sync.
    agent.servers.addServer(server('a'));
    clock.tick(1499);
    await flushPromises();
    expect(calls.full).toBe(1);
    clock.tick(1);
    await flushPromises();
    expect(calls.full).toBe(2);
    clock.tick(30_000);
    await flushPromises();
    expect(calls.full).toBe(2);
    await agent.stop();
  });

  it('starts a full sync when every server failed and one comes back', async () => {
    let healthy = false;
    const { agent, clock, calls } = make({ pinger: scriptedPinger(() => healthy) });
    agent.servers.setServers([server('a'), server('b')]);
    agent.start();
    await flushPromises();
    clock.tick(1500);
    await flushPromises();
    const before = calls.full;
    agent.servers.requestRebalance();
    await flushPromises();
    expect(agent.servers.isOffline()).toBe(true);
    clock.tick(10_000);
    await flushPromises();
    expect(calls.full).toBe(before);
    healthy = true;
    // Requests are damped: the next rebalance starts 60 s after the previous one did.
    agent.servers.requestRebalance();
    clock.tick(49_999);
    await flushPromises();
    expect(agent.servers.isOffline()).toBe(true);
    clock.tick(1);
    await flushPromises();
    expect(agent.servers.isOffline()).toBe(false);
    clock.tick(1499);
    await flushPromises();
    expect(calls.full).toBe(before);
    clock.tick(1);
    await flushPromises();
    expect(calls.full).toBe(before + 1);
    await agent.stop();
  });

  // With the default fullSyncOnServerUp ('untrusted') a trusting agent starts none at all
  // (test/wiring.test.ts); this is the trigger itself, as Consul's agents have it.
  it('starts a full sync when a failed server is re-admitted, and not when a suspect one recovers (fullSyncOnServerUp always)', async () => {
    const { agent, clock, calls } = make({ failureThreshold: 2, fullSyncOnServerUp: 'always' });
    agent.servers.setServers([server('a'), server('b')]);
    agent.start();
    await flushPromises();
    clock.tick(1500);
    await flushPromises();
    const before = calls.full;
    // b: one failure (suspect), then back through a join: no full sync.
    agent.servers.notifyFailedServer(server('b'));
    agent.servers.applyMembershipEvent({ type: 'join', server: server('b') });
    await flushPromises();
    clock.tick(60_000);
    await flushPromises();
    expect(calls.full).toBe(before);
    // b failed (membership), then re-admitted: one staggered full sync.
    agent.servers.applyMembershipEvent({ type: 'failed', server: server('b') });
    agent.servers.applyMembershipEvent({ type: 'join', server: server('b') });
    await flushPromises();
    clock.tick(1499);
    await flushPromises();
    expect(calls.full).toBe(before);
    clock.tick(1);
    await flushPromises();
    expect(calls.full).toBe(before + 1);
    await agent.stop();
  });

  it('passes the health, cleanup, re-arm, first-jitter and discovery options to the manager', async () => {
    const polls: number[] = [];
    const { agent, clock } = make({
      health: false,
      failureThreshold: 1,
      cleanupDeadServers: false,
      deadServerTimeout: 1000,
      rearmOnChange: false,
      jitterFirstRebalance: false,
      discover: async () => (polls.push(clock.now), [server('found')]),
      discoverInterval: 4000,
      discoverTimeout: 1000,
      clusterSize: () => 100_000,
    });
    // health off: the cap divides by every listed server (5), not the healthy one.
    agent.servers.setServers([server('a'), server('b'), server('c'), server('d'), server('e')]);
    for (const n of ['b', 'c', 'd', 'e']) agent.servers.notifyFailedServer(server(n));
    expect(agent.servers.health().filter((h) => h.state === 'failed')).toHaveLength(4);
    expect(agent.servers.rebalanceDelay()).toBe(312_500);
    agent.servers.setServers([]);
    agent.start();
    // discover: offline, first poll within U(0, 4000) → 2000 at random 0.5.
    clock.tick(1999);
    await flushPromises();
    expect(polls).toEqual([]);
    clock.tick(1);
    await flushPromises();
    expect(polls).toEqual([2000]);
    expect(agent.servers.servers().map((s) => s.name)).toEqual(['found']);
    await agent.stop();
    // Each option reaches the manager: a bad value of any of them is refused by name.
    for (const [name, bad] of [
      ['health', 'no'],
      ['failureThreshold', 0],
      ['cleanupDeadServers', 'no'],
      ['deadServerTimeout', 3e9],
      ['rearmOnChange', 'no'],
      ['jitterFirstRebalance', 'no'],
      ['discover', 5],
      ['discoverInterval', -1],
      ['discoverTimeout', -1],
      ['fullSyncOnServerUp', 'sometimes'],
    ] as const) {
      expect(() => make({ [name]: bad }), name).toThrow(new RegExp(name));
    }
  });

  it('gives the syncer the manager\'s node count as its cluster size', async () => {
    const { agent, clock, calls } = make();
    agent.servers.setNumNodes(10_000); // scale factor 8: serverUp stagger 0.5 × 8 × 3000 = 12 000 ms
    agent.start();
    await flushPromises();
    agent.servers.addServer(server('a'));
    clock.tick(11_999);
    await flushPromises();
    expect(calls.full).toBe(1);
    clock.tick(1);
    await flushPromises();
    expect(calls.full).toBe(2);
    await agent.stop();
  });

  it('starts the manager before the syncer asks it for the cluster size', () => {
    const started: boolean[] = [];
    // Assigned after creation: the manager's clusterSize records whether its loop is running yet.
    const box: { agent?: ReturnType<typeof createSyncAgent> } = {};
    const { agent } = make({
      clusterSize: () => {
        started.push(box.agent?.servers.actor !== undefined);
        return 3;
      },
    });
    box.agent = agent;
    agent.start();
    expect(started.length).toBeGreaterThan(0);
    expect(started.every(Boolean)).toBe(true);
    void agent.stop();
  });

  it('resolves stop() during a rebalance and leaves no timer behind', async () => {
    const pinger = manualPinger();
    const { agent, clock } = make({ pinger });
    agent.servers.addServer(server('a'));
    agent.start();
    await flushPromises();
    clock.tick(1500);
    await flushPromises();
    agent.servers.requestRebalance();
    await flushPromises();
    expect(pinger.pending).toHaveLength(1);
    await agent.stop();
    expect(pinger.pending[0]?.signal.aborted).toBe(true);
    expect(agent.syncer.state).toBe('done');
    expect(agent.servers.actor?.getSnapshot().status).toBe('done');
    expect(clock.countTimers()).toBe(0);
  });

  it('resolves stop() during a sync, aborting it, and leaves no timer behind', async () => {
    const { agent, clock, signals, hangFromNowOn } = make();
    hangFromNowOn();
    agent.start();
    await flushPromises();
    expect(agent.syncer.state).toBe('fullSync');
    await agent.stop();
    expect(signals[0]?.aborted).toBe(true);
    expect(clock.countTimers()).toBe(0);
  });

  it('resolves stop() before start() and when repeated, and refuses start() afterwards', async () => {
    const { agent, clock } = make();
    const first = agent.stop();
    expect(agent.stop()).toBe(first);
    await expect(first).resolves.toBeUndefined();
    expect(() => agent.start()).toThrow(StoppedError);
    expect(clock.countTimers()).toBe(0);
  });

  it('ignores servers added after stop() without starting a sync', async () => {
    const { agent, calls } = make();
    agent.start();
    await flushPromises();
    await agent.stop();
    agent.servers.addServer(server('late'));
    await flushPromises();
    expect(calls.full).toBe(1);
  });

  it('routes a SyncState through servers.call, as the README quick start does', async () => {
    const seen: string[] = [];
    const clock = createClock();
    const box: { call?: <T>(fn: (s: Server, sig: AbortSignal) => Promise<T>) => Promise<T> } = {};
    const agent = createSyncAgent({
      state: {
        syncFull: (signal) => box.call?.((s) => (seen.push(`full@${s.name}`), Promise.resolve())) ?? signal.throwIfAborted(),
        syncChanges: () => box.call?.(async (s) => void seen.push(`changes@${s.name}`)),
      },
      pinger: { ping: async () => true },
      interval: 60_000,
      clock,
      random: () => 0,
    });
    box.call = (fn) => agent.servers.call(fn);
    agent.servers.setServers([server('only')]);
    agent.start();
    await flushPromises();
    agent.syncer.syncChanges.trigger();
    await flushPromises();
    expect(seen).toEqual(['full@only', 'changes@only']);
    await agent.stop();
  });

  it('refuses bad options with the part\'s own typed error', () => {
    const base = { state: countingState().state, pinger: scriptedPinger(() => true), interval: 1000 };
    expect(() => createSyncAgent(null as never)).toThrow(TypeError);
    expect(() => createSyncAgent({ ...base, interval: -1 })).toThrow(RangeError);
    expect(() => createSyncAgent({ ...base, pinger: {} as Pinger })).toThrow(/pinger/);
    expect(() => createSyncAgent({ ...base, minReuseDuration: 0 })).toThrow(/minReuseDuration/);
    expect(() => createSyncAgent({ ...base, state: {} as SyncState })).toThrow(TypeError);
  });
});
