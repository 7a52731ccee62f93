// The registry's full sync against servers that fail mid-pass: its reads are retried on
// another server inside the same pass (src/catalog/retryCall.ts), and opening a session —
// a state change — only when the backend proves the failed attempt never applied.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CatalogBackend, Service } from '../../src/catalog/backend.js';
import { createCatalogAgent, type CatalogAgent, type CatalogAgentOptions } from '../../src/catalog/catalogAgent.js';
import { MemoryCluster } from '../../src/catalog/memory/cluster.js';
import type { MemoryOpRecord } from '../../src/catalog/memory/types.js';
import { constantRandom, createTestClock, seededRandom, type TestClock } from '../../src/testing.js';

const MIN = 60_000;
const svc = (id: string): Service => ({ id, name: 'web', address: '10.0.0.1', port: 80 });

let clock: TestClock;
let cluster: MemoryCluster;
let agents: CatalogAgent[];
let records: MemoryOpRecord[];

beforeEach(() => {
  clock = createTestClock();
  cluster = new MemoryCluster({ clock, servers: ['a', 'b', 'c'] });
  agents = [];
  records = [];
  cluster.on('op', (r) => records.push(r));
});

afterEach(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await cluster.close();
  expect(clock.countTimers()).toBe(0);
});

function agent(node: string, options: Partial<CatalogAgentOptions> = {}, backend: CatalogBackend = cluster.connect(node)): CatalogAgent {
  const a = createCatalogAgent({ backend, node, clock, random: constantRandom(0.5), interval: MIN, callTimeout: 2_000, ...options });
  for (const id of ['s1', 's2', 's3']) a.registry.register(svc(id));
  agents.push(a);
  return a;
}

const failed = (op: string): MemoryOpRecord[] => records.filter((r) => r.op === op && !r.ok);

describe('full syncs against servers that cannot serve reads', () => {
  for (const k of [1, 2]) {
    it(`costs 0 failed full syncs when ${k} of 3 servers refuse every read, over 20 minutes`, async () => {
      // Each agent its own random source: their shuffles, and so their front servers, differ.
      const fleet = ['n1', 'n2', 'n3', 'n4'].map((n, i) => agent(n, { random: seededRandom(i + 1) }).start());
      await clock.tickAsync(1_000);
      let hits = 0;
      for (let m = 0; m < 20; m++) {
        // Every minute, the first k servers of one agent's list refuse reads and that agent is
        // asked for a full sync: its list meets a refusing server first.
        const a = fleet[m % fleet.length]!;
        for (const s of ['a', 'b', 'c']) cluster.heal(s);
        for (const s of a.agent.servers.servers().slice(0, k)) cluster.refuseReads(s.name);
        const before = failed('list').length;
        a.agent.syncer.syncFull.trigger();
        await clock.tickAsync(MIN);
        if (failed('list').length > before) hits++;
      }
      const stats = fleet.map((a) => a.agent.syncer.stats());
      expect(stats.map((s) => s.fullSyncFailures)).toEqual([0, 0, 0, 0]);
      expect(stats.every((s) => s.fullSyncs >= 10)).toBe(true);
      // Most of those full syncs met a refusing server (some ran on a periodic one's heels);
      // each refused list cost a retry on the next server, not a failed sync.
      expect(hits).toBeGreaterThanOrEqual(10);
      expect(failed('list').length).toBeGreaterThanOrEqual(hits);
    });
  }

  it('fails the full sync when every server refuses reads (the retries have nowhere to go)', async () => {
    const a = agent('n1').start();
    await clock.tickAsync(1_000);
    for (const s of ['a', 'b', 'c']) cluster.refuseReads(s);
    a.agent.syncer.syncFull.trigger();
    await clock.tickAsync(10_000);
    expect(a.agent.syncer.stats().fullSyncFailures).toBe(1);
    // Three attempts in the pass, each on the manager's next server.
    expect(failed('list').map((r) => r.server).sort()).toEqual(['a', 'b', 'c']);
  });

  it('with readAttempts: 1 (Consul) one refusing server fails the full sync: one list, no retry', async () => {
    const a = agent('n1', { readAttempts: 1 }).start();
    await clock.tickAsync(1_000);
    const front = a.agent.servers.servers()[0]!.name;
    cluster.refuseReads(front);
    a.agent.syncer.syncFull.trigger();
    await clock.tickAsync(10_000);
    expect(a.agent.syncer.stats().fullSyncFailures).toBe(1);
    expect(failed('list').map((r) => r.server)).toEqual([front]);
  });

  it('with readAttempts: 2 a pass tries two servers, no third', async () => {
    const a = agent('n1', { readAttempts: 2 }).start();
    await clock.tickAsync(1_000);
    for (const s of ['a', 'b', 'c']) cluster.refuseReads(s);
    a.agent.syncer.syncFull.trigger();
    await clock.tickAsync(10_000);
    expect(a.agent.syncer.stats().fullSyncFailures).toBe(1);
    expect(failed('list')).toHaveLength(2);
  });

  it('refuses a readAttempts that is not an integer ≥ 1, naming the value', () => {
    for (const bad of [0, 1.5, -1, Number.NaN, '2']) {
      expect(() => createCatalogAgent({ backend: cluster.connect('n9'), node: 'n9', clock, interval: MIN, readAttempts: bad as number })).toThrow(/readAttempts/);
    }
  });

  it('marks the refusing server as a call failure: the manager rotates it to the back', async () => {
    const a = agent('n1').start();
    await clock.tickAsync(1_000);
    const order = a.agent.servers.servers().map((s) => s.name);
    cluster.refuseReads(order[0]!);
    a.agent.syncer.syncFull.trigger();
    await clock.tickAsync(10_000);
    expect(a.agent.syncer.stats().fullSyncFailures).toBe(0);
    expect(a.agent.servers.servers().map((s) => s.name)).toEqual([...order.slice(1), order[0]]);
  });
});

describe('opening a session on a failing server', () => {
  it('retries on another server in the same pass when the error proves the open never applied', async () => {
    cluster.fail('a');
    cluster.fail('b');
    const a = agent('n1');
    a.start();
    await clock.tickAsync(5_000);
    expect(failed('openSession').length).toBeGreaterThan(0); // the first try met a failed server
    expect(a.registry.stats().sessionsOpened).toBe(1);
    expect(a.agent.syncer.stats()).toMatchObject({ fullSyncs: 1, fullSyncFailures: 0 });
  });

  it('does not retry an open whose error proves nothing (it may have applied): the full sync fails', async () => {
    let opens = 0;
    const base = cluster.connect('n1');
    const backend: CatalogBackend = {
      initialServers: () => base.initialServers(),
      client: (server) => base.client(server),
      pinger: base.pinger,
      watchMembers: (l) => base.watchMembers(l),
      // The first open is answered with a reset after sending: it may have applied.
      openSession: (server, node, ttl, signal) => (++opens === 1 ? Promise.reject(new Error('connection reset')) : base.openSession(server, node, ttl, signal)),
      notApplied: (e) => base.notApplied?.(e) === true,
      close: () => base.close(),
    };
    const a = agent('n1', {}, backend);
    a.start();
    await clock.tickAsync(1_000);
    expect(opens).toBe(1);
    expect(a.agent.syncer.stats()).toMatchObject({ fullSyncs: 0, fullSyncFailures: 1 });
  });
});
