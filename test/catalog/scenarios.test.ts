// The fault scenarios against MemoryCluster with a fake clock: each ends by
// asserting "nothing lost" — every agent's local catalog equals the remote store.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryCluster } from '../../src/catalog/memory/cluster.js';
import type { MemoryOpRecord } from '../../src/catalog/memory/types.js';
import { createCatalogAgent, type CatalogAgent, type CatalogAgentOptions } from '../../src/catalog/catalogAgent.js';
import { diffCatalog } from '../../src/catalog/registry.js';
import type { Service } from '../../src/catalog/backend.js';
import { constantRandom, createTestClock, seededRandom, type TestClock } from '../../src/testing.js';

const svc = (id: string, port = 80): Service => ({ id, name: 'web', address: '10.0.0.1', port });

let clock: TestClock;
let cluster: MemoryCluster;
let agents: CatalogAgent[];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

beforeEach(() => {
  clock = createTestClock();
  cluster = new MemoryCluster({ clock, latency: 5 });
  agents = [];
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});

afterEach(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await cluster.close();
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

function agent(node: string, options: Partial<CatalogAgentOptions> = {}): CatalogAgent {
  const a = createCatalogAgent({
    backend: cluster.connect(node),
    node,
    clock,
    random: constantRandom(0),
    interval: 60_000,
    serverUpInterval: 3_000,
    retryFailInterval: 15_000,
    sessionTtl: 10_000,
    callTimeout: 2_000,
    minReuseDuration: 120_000,
    pingTimeout: 2_000,
    ...options,
  });
  agents.push(a);
  return a;
}

/** "Nothing lost": the local catalog and the remote store hold exactly the same services. */
function inSync(a: CatalogAgent): boolean {
  const d = diffCatalog(a.registry.services(), cluster.readEntries(a.node));
  return d.missing.length + d.extra.length + d.different.length === 0;
}

function register(a: CatalogAgent, count: number, prefix = 's'): void {
  for (let i = 0; i < count; i++) a.registry.register(svc(`${prefix}${String(i).padStart(2, '0')}`, 1000 + i));
}

describe('catalog agent on MemoryCluster', () => {
  it('registers everything with one full sync and no redundant writes when started', async () => {
    const a = agent('n1');
    register(a, 3);
    a.start();
    await clock.tickAsync(100);
    expect(inSync(a)).toBe(true);
    expect(cluster.stats().put).toBe(3);
    expect(a.agent.syncer.state).toBe('partialSync');
    expect(a.agent.syncer.stats()).toMatchObject({ fullSyncs: 1, fullSyncFailures: 0 });
  });

  it('fails over and loses nothing when the front server fails during writes', async () => {
    const a = agent('n1', { maxBatchOps: 1 }); // one write per call, so the failure lands mid-pass
    register(a, 20);
    a.start();
    await clock.tickAsync(40); // session, list and a few puts done
    const front = a.agent.servers.findServer()!.name;
    const written = cluster.readEntries('n1').length;
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(20);
    cluster.fail(front);
    register(a, 5, 'late'); // changes made during the failure
    await clock.tickAsync(1_000); // the failed write is retried on the next server at once
    expect(a.agent.syncer.stats()).toMatchObject({ fullSyncFailures: 0, partialSyncFailures: 0 });
    expect(a.agent.servers.findServer()!.name).not.toBe(front);
    expect(a.registry.size).toBe(25);
    expect(inSync(a)).toBe(true);
    expect(a.registry.dirtyIds()).toEqual([]);
  });

  it('bounds a write to a frozen server by callTimeout and lands it through another server', async () => {
    const a = agent('n1');
    register(a, 2);
    a.start();
    await clock.tickAsync(100);
    const front = a.agent.servers.findServer()!.name;
    cluster.freeze(front);
    const failed: unknown[] = [];
    a.agent.syncer.on('syncChangesFailed', (e) => failed.push(e));
    const writes: MemoryOpRecord[] = [];
    cluster.on('op', (r) => {
      if (r.op === 'put') writes.push(r);
    });
    const t0 = clock.now;
    a.registry.register(svc('new'));
    await clock.tickAsync(1_999);
    expect(writes).toEqual([]);
    expect(inSync(a)).toBe(false);
    await clock.tickAsync(1 + 5);
    // The frozen call failed at its deadline (and rotated its server away); the retry went elsewhere.
    expect(writes.map((w) => [w.server === front, w.ok, w.at])).toEqual([
      [true, false, t0 + 2_000],
      [false, true, t0 + 2_005],
    ]);
    expect(failed).toEqual([]);
    expect(a.agent.servers.findServer()!.name).not.toBe(front);
    expect(inSync(a)).toBe(true);
    expect(a.registry.dirtyIds()).toEqual([]);
  });

  it('keeps a change dirty until the next change when every try of a partial sync fails', async () => {
    const a = agent('n1', { writeAttempts: 1 });
    register(a, 2);
    a.start();
    await clock.tickAsync(100);
    const front = a.agent.servers.findServer()!.name;
    cluster.freeze(front);
    const failedAt: number[] = [];
    a.agent.syncer.on('syncChangesFailed', () => failedAt.push(clock.now));
    const t0 = clock.now;
    a.registry.register(svc('new'));
    await clock.tickAsync(1_999);
    expect(failedAt).toEqual([]);
    await clock.tickAsync(1);
    expect(failedAt).toEqual([t0 + 2_000]);
    expect(a.registry.dirtyIds()).toEqual(['new']);
    a.registry.register(svc('newer'));
    await clock.tickAsync(100);
    expect(inSync(a)).toBe(true);
    expect(a.registry.dirtyIds()).toEqual([]);
  });

  it('restores remotely deleted and corrupted entries at the next full sync, writing only those', async () => {
    const a = agent('n1');
    register(a, 10);
    a.start();
    await clock.tickAsync(1_000);
    expect(inSync(a)).toBe(true);
    cluster.deleteEntry('n1', 's01');
    cluster.deleteEntry('n1', 's05');
    cluster.corruptEntry('n1', 's07');
    cluster.injectEntry('n1', svc('intruder'));
    const ops: MemoryOpRecord[] = [];
    cluster.on('op', (r) => ops.push(r));
    // First full sync ran at 0 (stagger 0): the next one starts at 60 000 and takes 5 ms per call.
    await clock.tickAsync(60_000 - clock.now - 1);
    expect(inSync(a)).toBe(false);
    await clock.tickAsync(1 + 5 * 5);
    expect(inSync(a)).toBe(true);
    expect(ops.filter((o) => o.op === 'batch')).toHaveLength(1); // the four writes in one call
    expect(ops.filter((o) => o.op !== 'count' && o.op !== 'batch').map((o) => [o.op, o.id])).toEqual([
      ['list', undefined],
      ['delete', 'intruder'], // id order: 'intruder' < 's01'
      ['put', 's01'],
      ['put', 's05'],
      ['put', 's07'],
    ]);
  });

  it('retries in retryFullSync without unhandled rejections while all servers are down, then converges', async () => {
    cluster.failAll();
    const a = agent('n1');
    register(a, 5);
    a.start();
    await clock.tickAsync(100);
    expect(a.agent.syncer.state).toBe('retryFullSync');
    register(a, 3, 'down');
    await clock.tickAsync(30_000);
    expect(a.agent.syncer.state).toBe('retryFullSync');
    expect(a.agent.syncer.stats().fullSyncFailures).toBeGreaterThanOrEqual(2);
    expect(cluster.readEntries('n1')).toEqual([]);
    cluster.healAll();
    await clock.tickAsync(16_000);
    expect(a.agent.syncer.state).toBe('partialSync');
    expect(inSync(a)).toBe(true);
    expect(a.registry.size).toBe(8);
  });

  it('re-registers under a new session when the session expires during a partition', async () => {
    const a = agent('n1');
    const b = agent('n2');
    register(a, 4);
    register(b, 2);
    a.start();
    b.start();
    await clock.tickAsync(100);
    expect(inSync(a) && inSync(b)).toBe(true);
    const t0 = clock.now;
    cluster.partition('n1');
    // The client gives up one TTL after its last renewal (≤ TTL/3 before t0), and notices at a keepalive tick.
    await clock.tickAsync(10_000 + 3_334);
    expect(a.registry.stats().sessionsLost).toBe(1);
    expect(cluster.readEntries('n1')).toHaveLength(4); // the servers keep it for TTL × grace (20 s)
    await clock.tickAsync(16_500 - (clock.now - t0));
    expect(cluster.readEntries('n1')).toHaveLength(4); // still within 20 s of the last renewal
    await clock.tickAsync(20_200 - (clock.now - t0));
    expect(cluster.readEntries('n1')).toEqual([]); // the servers dropped the session and its entries
    expect(cluster.readEntries('n2')).toHaveLength(2);
    expect(a.agent.syncer.state).toBe('retryFullSync'); // its triggered full sync hung on the partition until callTimeout
    cluster.unpartition('n1');
    await clock.tickAsync(20_000);
    expect(inSync(a)).toBe(true);
    expect(inSync(b)).toBe(true);
    expect(a.registry.stats()).toMatchObject({ sessionsOpened: 2, sessionsLost: 1 });
  });

  it('runs no full sync when a server joins an agent that trusts its last one (default), and partial syncs go on', async () => {
    const a = agent('n1', { random: constantRandom(0.5) });
    register(a, 2);
    a.start();
    await clock.tickAsync(1_000);
    expect(a.agent.syncer.hasTrustedFullSync).toBe(true);
    const lists: number[] = [];
    cluster.on('op', (r) => {
      if (r.op === 'list') lists.push(r.at);
    });
    cluster.addServer('mem-4');
    await clock.tickAsync(0);
    expect(a.agent.servers.servers().map((s) => s.name)).toContain('mem-4');
    a.registry.register(svc('late', 9000));
    await clock.tickAsync(10_000);
    expect(lists).toEqual([]);
    expect(cluster.readEntries('n1').map((e) => e.id)).toContain('late');
    expect(inSync(a)).toBe(true);
  });

  // fullSyncOnServerUp 'always' (Consul's rule): every join costs every agent a full sync.
  it('runs one staggered full sync per agent when a server joins (fullSyncOnServerUp always)', async () => {
    const a = agent('n1', { random: constantRandom(0.5), fullSyncOnServerUp: 'always' });
    register(a, 2);
    a.start();
    await clock.tickAsync(1_000);
    const lists: number[] = [];
    cluster.on('op', (r) => {
      if (r.op === 'list') lists.push(r.at);
    });
    const t0 = clock.now;
    cluster.addServer('mem-4');
    await clock.tickAsync(0);
    expect(a.agent.servers.servers().map((s) => s.name)).toContain('mem-4');
    await clock.tickAsync(1_499); // stagger(3000) with random 0.5 = 1500
    expect(lists).toEqual([]);
    await clock.tickAsync(1 + 10);
    expect(lists).toEqual([t0 + 1_500 + 5]); // session exists: the list is the first call
    await clock.tickAsync(10_000);
    expect(lists).toHaveLength(1);
  });

  it('spreads the join-triggered full syncs of many agents over serverUpInterval (fullSyncOnServerUp always)', async () => {
    const random = seededRandom(7);
    const fleet = Array.from({ length: 20 }, (_, i) => agent(`n${i}`, { random, fullSyncOnServerUp: 'always' }));
    for (const a of fleet) {
      register(a, 1);
      a.start();
    }
    await clock.tickAsync(1_000);
    const lists: number[] = [];
    cluster.on('op', (r) => {
      if (r.op === 'list') lists.push(r.at);
    });
    const t0 = clock.now;
    cluster.addServer('mem-4');
    await clock.tickAsync(3_100);
    expect(lists).toHaveLength(20);
    const offsets = lists.map((t) => t - t0);
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(5);
    expect(Math.max(...offsets)).toBeLessThanOrEqual(3_000 + 5);
    expect(Math.max(...offsets) - Math.min(...offsets)).toBeGreaterThan(1_500);
    expect(new Set(offsets).size).toBeGreaterThan(15);
    expect(fleet.every(inSync)).toBe(true);
  });

  it('drops a leaving server from every manager when it is removed', async () => {
    const a = agent('n1');
    a.start();
    await clock.tickAsync(10);
    cluster.removeServer('mem-2');
    await clock.tickAsync(0);
    expect(a.agent.servers.servers().map((s) => s.name).sort()).toEqual(['mem-1', 'mem-3']);
  });

  it('revokes the session and leaves no timer behind when stopped', async () => {
    const a = agent('n1');
    register(a, 3);
    a.start();
    await clock.tickAsync(100);
    await Promise.all([a.stop(), a.stop()]);
    expect(cluster.readEntries('n1')).toEqual([]);
    expect(clock.countTimers()).toBe(0);
    expect(() => a.start()).toThrow(/cannot be started again/);
  });

  it('stops cleanly while a sync hangs on a frozen server', async () => {
    cluster.freeze('mem-1');
    cluster.freeze('mem-2');
    cluster.freeze('mem-3');
    const a = agent('n1');
    register(a, 1);
    a.start();
    await clock.tickAsync(500);
    let stopped = false;
    void a.stop().then(() => (stopped = true));
    await clock.tickAsync(0);
    expect(stopped).toBe(true);
    expect(clock.countTimers()).toBe(0);
  });

  it('refuses bad options with typed errors', () => {
    expect(() => createCatalogAgent(undefined as unknown as CatalogAgentOptions)).toThrow(TypeError);
    expect(() => createCatalogAgent({ backend: {} as MemoryCluster, node: 'n', interval: 1 })).toThrow(/backend must be a CatalogBackend/);
    expect(() => createCatalogAgent({ backend: cluster, node: 'a b', interval: 1 })).toThrow(RangeError);
    expect(() => createCatalogAgent({ backend: cluster, node: 'n', interval: -1 })).toThrow(RangeError);
    expect(() => createCatalogAgent({ backend: cluster, node: 'n', interval: 1, sessionTtl: 0 })).toThrow(/sessionTtl/);
  });
});
