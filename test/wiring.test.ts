// The agent's composition: every host that builds an agent (createSyncAgent,
// createCatalogAgent, the simulator's fleet) asks for a full sync on exactly the
// manager events src/wiring.ts names, gated by the syncer's trust in its last full sync
// (fullSyncOnServerUp). Each host's manager is made to emit every event (every health
// transition included) and the syncer's full-sync trigger is watched; then real agents
// on a fake clock show each trigger source on both sides of the gate and of its stagger.
import { describe, expect, it, vi } from 'vitest';
import { createSyncAgent } from '../src/agent.js';
import { createCatalogAgent } from '../src/catalog/catalogAgent.js';
import { MemoryCluster } from '../src/catalog/memory/cluster.js';
import type { ServerManager } from '../src/servers/serverManager.js';
import type { HealthState, ServerManagerEvents } from '../src/servers/types.js';
import { simulate } from '../src/sim/simulator.js';
import type { StateSyncer } from '../src/syncer/stateSyncer.js';
import { constantRandom, createTestClock, scriptedPinger, scriptedSyncState, type TestClock } from '../src/testing.js';
import { asksForFullSync, FULL_SYNC_TRIGGERS, resolveWiringOptions, wireAgent, type FullSyncOnServerUp } from '../src/wiring.js';
import { flushPromises, server } from './helpers/index.js';

const STATES: HealthState[] = ['healthy', 'suspect', 'failed', 'draining'];

// Every event of the manager (a new one fails to compile until it is listed here).
const CASES: { [K in keyof ServerManagerEvents]: ServerManagerEvents[K][] } = {
  serverUp: [server('a')],
  serverRemoved: [{ server: server('a'), reason: 'removed' }],
  healthChanged: STATES.flatMap((previous) =>
    STATES.filter((state) => state !== previous).map((state) => ({ server: server('a'), previous, state, cause: 'ping' as const })),
  ),
  offline: [undefined],
  online: [undefined],
  rebalanced: [{ server: server('a'), frozen: false }],
  fatal: [new Error('broken random')],
};

type Case = { [K in keyof ServerManagerEvents]: { event: K; payload: ServerManagerEvents[K] } }[keyof ServerManagerEvents];
const ALL: Case[] = (Object.keys(CASES) as (keyof ServerManagerEvents)[]).flatMap((event) =>
  (CASES[event] as unknown[]).map((payload) => ({ event, payload }) as Case),
);

function label(c: Case): string {
  return c.event === 'healthChanged' ? `healthChanged ${c.payload.previous}→${c.payload.state}` : c.event;
}

/**
 * Emits every case on `servers` while `syncer` reports `trusted` as its trust in its last
 * full sync, and returns the labels of those that triggered a full sync of `syncer`.
 */
function triggeredBy(servers: ServerManager, syncer: StateSyncer, trusted: boolean): string[] {
  const trust = vi.spyOn(syncer, 'hasTrustedFullSync', 'get').mockReturnValue(trusted);
  const trigger = vi.spyOn(syncer.syncFull, 'trigger').mockImplementation(() => {});
  const emit = (servers as unknown as { emit(event: string, payload: unknown): void }).emit.bind(servers);
  const fired: string[] = [];
  for (const c of ALL) {
    trigger.mockClear();
    emit(c.event, c.payload);
    if (trigger.mock.calls.length > 0) fired.push(label(c));
  }
  trigger.mockRestore();
  trust.mockRestore();
  return fired;
}

/** Every trigger: what an agent with no full sync it can trust (or any agent, with 'always') asks on. */
const EXPECTED = ['serverUp', 'healthChanged failed→healthy', 'online'];
/** What an agent that trusts its last full sync asks on, with the default 'untrusted'. */
const EXPECTED_TRUSTED = ['online'];

function asked(trusted: boolean, fullSyncOnServerUp: FullSyncOnServerUp): string[] {
  return ALL.filter((c) => asksForFullSync(c.event, c.payload as never, { trusted, fullSyncOnServerUp })).map(label);
}

describe('wiring', () => {
  it('asks for a full sync on a new server, on coming online and on a failed server re-admitted, and on nothing else', () => {
    expect(asked(false, 'untrusted')).toEqual(EXPECTED);
    expect(asked(false, 'always')).toEqual(EXPECTED);
    expect(asked(true, 'always')).toEqual(EXPECTED);
    expect(Object.keys(FULL_SYNC_TRIGGERS).sort()).toEqual(['healthChanged', 'online', 'serverUp']);
  });

  it('asks only on coming online when the agent trusts its last full sync and fullSyncOnServerUp is untrusted', () => {
    expect(asked(true, 'untrusted')).toEqual(EXPECTED_TRUSTED);
  });

  it('defaults fullSyncOnServerUp to untrusted and refuses anything but its two values, naming the value', () => {
    expect(resolveWiringOptions({})).toEqual({ fullSyncOnServerUp: 'untrusted' });
    expect(resolveWiringOptions({ fullSyncOnServerUp: 'always' })).toEqual({ fullSyncOnServerUp: 'always' });
    for (const bad of ['sometimes', 'Always', true, null, 1]) {
      expect(() => resolveWiringOptions({ fullSyncOnServerUp: bad as never }), String(bad)).toThrow(RangeError);
    }
    expect(() => resolveWiringOptions({ fullSyncOnServerUp: 'sometimes' as never })).toThrow(
      `fullSyncOnServerUp must be 'untrusted' or 'always', received "sometimes"`,
    );
    const clock = createTestClock();
    const base = { state: scriptedSyncState(clock), pinger: scriptedPinger(() => true), interval: 60_000, clock };
    expect(() => createSyncAgent({ ...base, fullSyncOnServerUp: 'never' as never })).toThrow(/fullSyncOnServerUp.*"never"/);
    const cluster = new MemoryCluster({ clock });
    expect(() => createCatalogAgent({ backend: cluster, node: 'n1', clock, interval: 60_000, fullSyncOnServerUp: 'x' as never })).toThrow(
      /fullSyncOnServerUp.*"x"/,
    );
    void cluster.close();
  });

  it('removes every listener it added when unwired', () => {
    const clock = createTestClock();
    const agent = createSyncAgent({ state: scriptedSyncState(clock), pinger: scriptedPinger(() => true), interval: 60_000, clock });
    let calls = 0;
    const off = wireAgent(agent.servers, { syncFull: { trigger: () => calls++ }, hasTrustedFullSync: false });
    const emit = (agent.servers as unknown as { emit(event: string, payload: unknown): void }).emit.bind(agent.servers);
    emit('serverUp', server('a'));
    off();
    emit('serverUp', server('b'));
    emit('online', undefined);
    expect(calls).toBe(1);
  });

  it('reads the syncer\'s trust when each event arrives, not when wired', () => {
    const clock = createTestClock();
    const agent = createSyncAgent({ state: scriptedSyncState(clock), pinger: scriptedPinger(() => true), interval: 60_000, clock });
    let calls = 0;
    const syncer = { syncFull: { trigger: () => calls++ }, hasTrustedFullSync: false };
    const off = wireAgent(agent.servers, syncer);
    const emit = (agent.servers as unknown as { emit(event: string, payload: unknown): void }).emit.bind(agent.servers);
    emit('serverUp', server('a'));
    syncer.hasTrustedFullSync = true;
    emit('serverUp', server('b'));
    syncer.hasTrustedFullSync = false;
    emit('serverUp', server('c'));
    expect(calls).toBe(2);
    off();
  });

  for (const fullSyncOnServerUp of ['untrusted', 'always'] as const) {
    it(`is the same in createSyncAgent, createCatalogAgent and the simulator (fullSyncOnServerUp ${fullSyncOnServerUp})`, async () => {
      const clock = createTestClock();
      const sync = createSyncAgent({ state: scriptedSyncState(clock), pinger: scriptedPinger(() => true), interval: 60_000, clock, fullSyncOnServerUp });
      const cluster = new MemoryCluster({ clock });
      const catalog = createCatalogAgent({ backend: cluster, node: 'n1', clock, random: constantRandom(0), interval: 60_000, fullSyncOnServerUp });

      let simulated: string[][] | undefined;
      await simulate(
        { seed: 1, agents: 1, servers: 1, durationMs: 1000, bucketMs: 1000, warmupMs: 0, startSpreadMs: 0, tuning: { interval: 60_000, fullSyncOnServerUp } },
        {
          probe: (ctx) => {
            const a = ctx.fleet.agents[0]!;
            simulated = [triggeredBy(a.manager, a.syncer, false), triggeredBy(a.manager, a.syncer, true)];
          },
        },
      );

      const hosts = {
        createSyncAgent: [triggeredBy(sync.servers, sync.syncer, false), triggeredBy(sync.servers, sync.syncer, true)],
        createCatalogAgent: [triggeredBy(catalog.agent.servers, catalog.agent.syncer, false), triggeredBy(catalog.agent.servers, catalog.agent.syncer, true)],
        simulator: simulated,
      };
      const expected = [EXPECTED, fullSyncOnServerUp === 'always' ? EXPECTED : EXPECTED_TRUSTED];
      expect(hosts).toEqual({ createSyncAgent: expected, createCatalogAgent: expected, simulator: expected });
      await Promise.all([sync.stop(), catalog.stop()]);
      await cluster.close();
    });
  }
});

// Real agents on a fake clock. random 0.5 everywhere: the server-up stagger is
// 0.5 × 3000 ms = 1500 ms at ≤ 128 nodes; a failed full sync retries after 15 s plus a stagger.
const STAGGER_MS = 1500;

async function tick(clock: TestClock, ms: number): Promise<void> {
  clock.tick(ms);
  await flushPromises();
}

/** An agent with servers a and b, started; its first full sync is left in `firstSync` mode. */
async function agentWith(options: { fullSyncOnServerUp?: FullSyncOnServerUp; firstSync?: 'resolve' | 'reject' | 'manual'; healthy?: () => boolean } = {}) {
  const clock = createTestClock();
  const state = scriptedSyncState(clock);
  state.mode.syncFull = options.firstSync ?? 'resolve';
  const agent = createSyncAgent({
    state,
    pinger: scriptedPinger(options.healthy ?? (() => true)),
    interval: 600_000,
    clock,
    random: () => 0.5,
    failureThreshold: 2,
    ...(options.fullSyncOnServerUp ? { fullSyncOnServerUp: options.fullSyncOnServerUp } : {}),
  });
  agent.servers.setServers([server('a'), server('b')]);
  agent.start();
  await flushPromises();
  state.mode.syncFull = 'resolve';
  const fullSyncs = (): number => state.times('syncFull').length;
  return { clock, state, agent, fullSyncs };
}

/** Fails server b through membership, then re-admits it: failed → healthy. */
async function failAndReadmit(agent: ReturnType<typeof createSyncAgent>): Promise<void> {
  agent.servers.applyMembershipEvent({ type: 'failed', server: server('b') });
  agent.servers.applyMembershipEvent({ type: 'join', server: server('b') });
  await flushPromises();
}

describe('server-up full syncs (fullSyncOnServerUp)', () => {
  it('starts no full sync when a server joins an agent that trusts its last full sync (default)', async () => {
    const { clock, agent, fullSyncs } = await agentWith();
    expect(agent.syncer.hasTrustedFullSync).toBe(true);
    expect(fullSyncs()).toBe(1);
    agent.servers.addServer(server('c'));
    await tick(clock, 60_000);
    expect(fullSyncs()).toBe(1);
    expect(agent.syncer.state).toBe('partialSync');
    await agent.stop();
  });

  it('starts one staggered full sync when a server joins and fullSyncOnServerUp is always, not a millisecond early', async () => {
    const { clock, agent, fullSyncs } = await agentWith({ fullSyncOnServerUp: 'always' });
    agent.servers.addServer(server('c'));
    await tick(clock, STAGGER_MS - 1);
    expect(fullSyncs()).toBe(1);
    await tick(clock, 1);
    expect(fullSyncs()).toBe(2);
    await tick(clock, 60_000);
    expect(fullSyncs()).toBe(2);
    await agent.stop();
  });

  it('starts no full sync when a failed server is re-admitted to an agent that trusts its last full sync (default)', async () => {
    const { clock, agent, fullSyncs } = await agentWith();
    await failAndReadmit(agent);
    await tick(clock, 60_000);
    expect(fullSyncs()).toBe(1);
    await agent.stop();
  });

  it('starts one staggered full sync when a failed server is re-admitted and fullSyncOnServerUp is always', async () => {
    const { clock, agent, fullSyncs } = await agentWith({ fullSyncOnServerUp: 'always' });
    await failAndReadmit(agent);
    await tick(clock, STAGGER_MS - 1);
    expect(fullSyncs()).toBe(1);
    await tick(clock, 1);
    expect(fullSyncs()).toBe(2);
    await agent.stop();
  });

  it('starts a staggered full sync when a server joins after the last full sync failed, long before the retry', async () => {
    const { clock, agent, fullSyncs } = await agentWith({ firstSync: 'reject' });
    expect(agent.syncer.state).toBe('retryFullSync');
    expect(agent.syncer.hasTrustedFullSync).toBe(false);
    agent.servers.addServer(server('c'));
    await tick(clock, STAGGER_MS - 1);
    expect(fullSyncs()).toBe(1);
    await tick(clock, 1);
    expect(fullSyncs()).toBe(2);
    // That one succeeded: trusted again, and the next join is gated.
    expect(agent.syncer.hasTrustedFullSync).toBe(true);
    agent.servers.addServer(server('d'));
    await tick(clock, 60_000);
    expect(fullSyncs()).toBe(2);
    await agent.stop();
  });

  it('starts a staggered full sync when a server joins after a later full sync failed, though an earlier one succeeded', async () => {
    const { clock, state, agent, fullSyncs } = await agentWith();
    expect(agent.syncer.hasTrustedFullSync).toBe(true);
    state.mode.syncFull = 'reject';
    agent.syncer.syncFull.trigger();
    await tick(clock, STAGGER_MS);
    expect(fullSyncs()).toBe(2);
    expect(agent.syncer.state).toBe('retryFullSync');
    expect(agent.syncer.hasTrustedFullSync).toBe(false);
    state.mode.syncFull = 'resolve';
    agent.servers.addServer(server('c'));
    await tick(clock, STAGGER_MS - 1);
    expect(fullSyncs()).toBe(2);
    await tick(clock, 1);
    expect(fullSyncs()).toBe(3);
    await agent.stop();
  });

  it('starts a staggered full sync when a failed server is re-admitted after the last full sync failed', async () => {
    const { clock, agent, fullSyncs } = await agentWith({ firstSync: 'reject' });
    await failAndReadmit(agent);
    await tick(clock, STAGGER_MS - 1);
    expect(fullSyncs()).toBe(1);
    await tick(clock, 1);
    expect(fullSyncs()).toBe(2);
    await agent.stop();
  });

  it('runs a second full sync when a server joined while the first was still running, and none when it joins just after', async () => {
    const during = await agentWith({ firstSync: 'manual' });
    expect(during.agent.syncer.hasTrustedFullSync).toBe(false);
    during.agent.servers.addServer(server('c'));
    await flushPromises();
    during.state.last('syncFull')!.resolve();
    await flushPromises();
    expect(during.agent.syncer.hasTrustedFullSync).toBe(true);
    await tick(during.clock, STAGGER_MS - 1);
    expect(during.fullSyncs()).toBe(1);
    await tick(during.clock, 1);
    expect(during.fullSyncs()).toBe(2);
    await during.agent.stop();

    const after = await agentWith({ firstSync: 'manual' });
    after.state.last('syncFull')!.resolve();
    await flushPromises();
    after.agent.servers.addServer(server('c'));
    await tick(after.clock, 60_000);
    expect(after.fullSyncs()).toBe(1);
    await after.agent.stop();
  });

  it('starts a full sync when an agent cut off from every server gets one back, however much it trusted its last full sync', async () => {
    let healthy = true;
    const { clock, agent, fullSyncs } = await agentWith({ healthy: () => healthy });
    expect(agent.syncer.hasTrustedFullSync).toBe(true);
    healthy = false;
    agent.servers.requestRebalance();
    await flushPromises();
    expect(agent.servers.isOffline()).toBe(true);
    // Offline, no full sync has failed yet (the periodic one is 10 min away): still trusted.
    expect(agent.syncer.hasTrustedFullSync).toBe(true);
    healthy = true;
    // Rebalances are damped: the next one starts 60 s after the previous one did.
    agent.servers.requestRebalance();
    await tick(clock, 59_999);
    expect(agent.servers.isOffline()).toBe(true);
    await tick(clock, 1);
    expect(agent.servers.isOffline()).toBe(false);
    await tick(clock, STAGGER_MS - 1);
    expect(fullSyncs()).toBe(1);
    await tick(clock, 1);
    expect(fullSyncs()).toBe(2);
    await agent.stop();
  });

  it('starts a full sync when the first server is added to an agent with none (the online edge), and none for the second', async () => {
    const clock = createTestClock();
    const state = scriptedSyncState(clock);
    const agent = createSyncAgent({ state, pinger: scriptedPinger(() => true), interval: 600_000, clock, random: () => 0.5 });
    agent.start();
    await flushPromises();
    expect(agent.syncer.hasTrustedFullSync).toBe(true);
    agent.servers.addServer(server('a'));
    await tick(clock, STAGGER_MS - 1);
    expect(state.times('syncFull')).toHaveLength(1);
    await tick(clock, 1);
    expect(state.times('syncFull')).toHaveLength(2);
    agent.servers.addServer(server('b'));
    await tick(clock, 60_000);
    expect(state.times('syncFull')).toHaveLength(2);
    await agent.stop();
  });
});
