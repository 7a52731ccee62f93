// The agent's composition: every host that builds an agent (createSyncAgent,
// createCatalogAgent, the simulator's fleet) asks for a full sync on exactly the
// manager events src/wiring.ts names. Each host's manager is made to emit every event
// (every health transition included) and the syncer's full-sync trigger is watched.
import { describe, expect, it, vi } from 'vitest';
import { createSyncAgent } from '../src/agent.js';
import { createCatalogAgent } from '../src/catalog/catalogAgent.js';
import { MemoryCluster } from '../src/catalog/memory/cluster.js';
import type { ServerManager } from '../src/servers/serverManager.js';
import type { HealthState, ServerManagerEvents } from '../src/servers/types.js';
import { simulate } from '../src/sim/simulator.js';
import type { StateSyncer } from '../src/syncer/stateSyncer.js';
import { constantRandom, createTestClock, scriptedPinger, scriptedSyncState } from '../src/testing.js';
import { asksForFullSync, FULL_SYNC_TRIGGERS, wireAgent } from '../src/wiring.js';
import { server } from './helpers/index.js';

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

/** Emits every case on `servers` and returns the labels of those that triggered a full sync of `syncer`. */
function triggeredBy(servers: ServerManager, syncer: StateSyncer): string[] {
  const trigger = vi.spyOn(syncer.syncFull, 'trigger').mockImplementation(() => {});
  const emit = (servers as unknown as { emit(event: string, payload: unknown): void }).emit.bind(servers);
  const fired: string[] = [];
  for (const c of ALL) {
    trigger.mockClear();
    emit(c.event, c.payload);
    if (trigger.mock.calls.length > 0) fired.push(label(c));
  }
  trigger.mockRestore();
  return fired;
}

const EXPECTED = ['serverUp', 'healthChanged failed→healthy', 'online'];

describe('wiring', () => {
  it('asks for a full sync on a new server, on coming online and on a failed server re-admitted, and on nothing else', () => {
    expect(ALL.filter((c) => asksForFullSync(c.event, c.payload as never)).map(label)).toEqual(EXPECTED);
    expect(Object.keys(FULL_SYNC_TRIGGERS).sort()).toEqual(['healthChanged', 'online', 'serverUp']);
  });

  it('removes every listener it added when unwired', () => {
    const clock = createTestClock();
    const agent = createSyncAgent({ state: scriptedSyncState(clock), pinger: scriptedPinger(() => true), interval: 60_000, clock });
    let calls = 0;
    const off = wireAgent(agent.servers, () => calls++);
    const emit = (agent.servers as unknown as { emit(event: string, payload: unknown): void }).emit.bind(agent.servers);
    emit('serverUp', server('a'));
    off();
    emit('serverUp', server('b'));
    emit('online', undefined);
    expect(calls).toBe(1);
  });

  it('is the same in createSyncAgent, createCatalogAgent and the simulator', async () => {
    const clock = createTestClock();
    const sync = createSyncAgent({ state: scriptedSyncState(clock), pinger: scriptedPinger(() => true), interval: 60_000, clock });
    const cluster = new MemoryCluster({ clock });
    const catalog = createCatalogAgent({ backend: cluster, node: 'n1', clock, random: constantRandom(0), interval: 60_000 });

    let simulated: string[] | undefined;
    await simulate(
      { seed: 1, agents: 1, servers: 1, durationMs: 1000, bucketMs: 1000, warmupMs: 0, startSpreadMs: 0, tuning: { interval: 60_000 } },
      { probe: (ctx) => (simulated = triggeredBy(ctx.fleet.agents[0]!.manager, ctx.fleet.agents[0]!.syncer)) },
    );

    const hosts = {
      createSyncAgent: triggeredBy(sync.servers, sync.syncer),
      createCatalogAgent: triggeredBy(catalog.agent.servers, catalog.agent.syncer),
      simulator: simulated,
    };
    expect(hosts).toEqual({ createSyncAgent: EXPECTED, createCatalogAgent: EXPECTED, simulator: EXPECTED });
    await Promise.all([sync.stop(), catalog.stop()]);
    await cluster.close();
  });
});
