import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCluster } from '../../src/catalog/memory/cluster.js';
import type { MemoryOpRecord } from '../../src/catalog/memory/types.js';
import { CatalogSyncError, ServiceRegistry, diffCatalog, type ServiceRegistryOptions } from '../../src/catalog/registry.js';
import type { CatalogBackend, CatalogClient, Service } from '../../src/catalog/backend.js';
import { isNodeConflictError } from '../../src/catalog/errors.js';
import { ServerManager } from '../../src/servers/serverManager.js';
import { MAX_SERVICES } from '../../src/catalog/validate.js';
import { StoppedError, TimeoutError } from '../../src/shared/errors.js';
import { constantRandom, createTestClock, type TestClock } from '../../src/testing.js';

const svc = (id: string, port = 80): Service => ({ id, name: 'web', address: '10.0.0.1', port });

interface Fixture {
  clock: TestClock;
  cluster: MemoryCluster;
  servers: ServerManager;
  registry: ServiceRegistry;
  fired: { syncFull: number; syncChanges: number };
  ops: MemoryOpRecord[];
  writes: () => number;
  sync: (kind: 'syncFull' | 'syncChanges', signal?: AbortSignal) => Promise<void>;
}

let current: Fixture | undefined;

afterEach(async () => {
  if (!current) return;
  await current.registry.close();
  await current.servers.stop();
  await current.cluster.close();
  current = undefined;
});

/** A registry on a 3-server MemoryCluster with a real (not started) ServerManager. */
function setup(options: Partial<ServiceRegistryOptions> & { latencyMs?: number } = {}): Fixture {
  const clock = createTestClock();
  const cluster = new MemoryCluster({ clock, latency: options.latencyMs ?? 0 });
  const servers = new ServerManager({ pinger: cluster.pinger, clock, random: constantRandom(0) });
  for (const s of cluster.initialServers()) servers.addServer(s);
  const fired = { syncFull: 0, syncChanges: 0 };
  const syncer = {
    syncFull: { trigger: () => void fired.syncFull++ },
    syncChanges: { trigger: () => void fired.syncChanges++ },
  };
  const registry = new ServiceRegistry({ backend: cluster, servers, node: 'n1', clock, syncer, callTimeout: 1000, sessionTtl: 900, ...options });
  const ops: MemoryOpRecord[] = [];
  cluster.on('op', (r) => ops.push(r));
  const writes = (): number => cluster.stats().put + cluster.stats().delete;
  const sync = (kind: 'syncFull' | 'syncChanges', signal = new AbortController().signal): Promise<void> => registry[kind](signal);
  current = { clock, cluster, servers, registry, fired, ops, writes, sync };
  return current;
}

/** A backend whose clients reject every write of the ids in `bad`. */
function rejecting(cluster: MemoryCluster, bad: Set<string>): CatalogBackend {
  const wrap = (client: CatalogClient): CatalogClient => ({
    listServices: (node, signal) => client.listServices(node, signal),
    countNodes: (signal) => client.countNodes(signal),
    putService: (node, service, session, signal) =>
      bad.has(service.id) ? Promise.reject(new Error(`refused ${service.id}`)) : client.putService(node, service, session, signal),
    deleteService: (node, id, signal) => (bad.has(id) ? Promise.reject(new Error(`refused ${id}`)) : client.deleteService(node, id, signal)),
  });
  return {
    initialServers: () => cluster.initialServers(),
    client: (server) => wrap(cluster.client(server)),
    pinger: cluster.pinger,
    watchMembers: (l) => cluster.watchMembers(l),
    openSession: (server, node, ttl, signal) => cluster.openSession(server, node, ttl, signal),
    close: () => cluster.close(),
  };
}

function track(promise: Promise<unknown>): { settled: () => boolean; error: () => unknown } {
  let done = false;
  let error: unknown;
  promise.then(
    () => void (done = true),
    (e: unknown) => {
      done = true;
      error = e;
    },
  );
  return { settled: () => done, error: () => error };
}

describe('ServiceRegistry local catalog', () => {
  it('marks a new or changed service dirty and triggers one partial sync per change when registering', () => {
    const { registry, fired } = setup();
    expect(registry.register(svc('b'))).toBe(true);
    expect(registry.register(svc('a'))).toBe(true);
    expect(registry.register(svc('a'))).toBe(false); // identical: no change, no trigger
    expect(registry.register(svc('a', 81))).toBe(true);
    expect(fired).toEqual({ syncFull: 0, syncChanges: 3 });
    expect(registry.services()).toEqual([svc('a', 81), svc('b')]);
    expect(registry.dirtyIds()).toEqual(['a', 'b']);
    expect(registry.size).toBe(2);
  });

  it('refuses a bad service with a typed error and changes nothing when registering', () => {
    const { registry, fired } = setup();
    registry.register(svc('a'));
    expect(() => registry.register({ ...svc('a'), port: 0 })).toThrow(RangeError);
    expect(() => registry.register({ ...svc('b'), name: 5 } as unknown as Service)).toThrow(TypeError);
    expect(() => registry.register(undefined as unknown as Service)).toThrow(TypeError);
    expect(registry.services()).toEqual([svc('a')]);
    expect(fired.syncChanges).toBe(1);
  });

  it('returns false and triggers nothing when deregistering an unknown id', () => {
    const { registry, fired } = setup();
    expect(registry.deregister('nope')).toBe(false);
    expect(() => registry.deregister('a/b')).toThrow(RangeError);
    expect(() => registry.deregister(3 as unknown as string)).toThrow(TypeError);
    expect(fired.syncChanges).toBe(0);
  });

  it('refuses a service beyond MAX_SERVICES with RangeError but still accepts replacements', () => {
    const { registry } = setup();
    for (let i = 0; i < MAX_SERVICES; i++) registry.register(svc(`s${i}`));
    expect(() => registry.register(svc('one-too-many'))).toThrow(RangeError);
    expect(() => registry.register(svc('one-too-many'))).toThrow(/at most 10000 services/);
    expect(registry.size).toBe(MAX_SERVICES);
    expect(registry.get('one-too-many')).toBeUndefined();
    expect(registry.register(svc('s0', 81))).toBe(true);
    registry.deregister('s1');
    expect(registry.register(svc('one-too-many'))).toBe(true);
    expect(registry.size).toBe(MAX_SERVICES);
  });

  it('pulls the triggers of a syncer attached after construction', () => {
    const { cluster, servers, clock } = setup();
    const registry = new ServiceRegistry({ backend: cluster, servers, node: 'late', clock });
    registry.register(svc('a')); // no syncer yet: nothing to trigger, no error
    const fired: string[] = [];
    registry.attach({ syncFull: { trigger: () => fired.push('full') }, syncChanges: { trigger: () => fired.push('changes') } });
    registry.register(svc('b'));
    expect(fired).toEqual(['changes']);
    expect(registry.dirtyIds()).toEqual(['a', 'b']);
  });

  it('refuses calls with StoppedError when closed', async () => {
    const { registry } = setup();
    registry.register(svc('a'));
    await registry.close();
    await registry.close();
    expect(() => registry.register(svc('b'))).toThrow(StoppedError);
    expect(() => registry.deregister('a')).toThrow(StoppedError);
    expect(registry.services()).toEqual([svc('a')]);
  });

  it('throws TypeError/RangeError when constructed with bad options', () => {
    const { cluster, servers } = setup();
    expect(() => new ServiceRegistry(undefined as unknown as ServiceRegistryOptions)).toThrow(TypeError);
    expect(() => new ServiceRegistry({ backend: cluster, servers: {} as ServerManager, node: 'n' })).toThrow(/servers must have a call/);
    expect(() => new ServiceRegistry({ backend: {} as CatalogBackend, servers, node: 'n' })).toThrow(TypeError);
    expect(() => new ServiceRegistry({ backend: cluster, servers, node: 'bad/node' })).toThrow(RangeError);
    expect(() => new ServiceRegistry({ backend: cluster, servers, node: 'n', sessionTtl: -1 })).toThrow(/sessionTtl/);
    expect(() => new ServiceRegistry({ backend: cluster, servers, node: 'n', callTimeout: 0 })).toThrow(RangeError);
    expect(() => new ServiceRegistry({ backend: cluster, servers, node: 'n', writeAttempts: 0.5 })).toThrow(/writeAttempts must be an integer ≥ 1, received 0.5/);
    expect(() => new ServiceRegistry({ backend: cluster, servers, node: 'n', maxConsecutiveFailures: 2.5 })).toThrow(RangeError);
  });

  it('refuses durations above 2^31 − 1 ms with RangeError naming the option, and accepts 2^31 − 1', () => {
    const { cluster, servers } = setup();
    for (const name of ['sessionTtl', 'callTimeout', 'clusterSizeRefresh'] as const) {
      expect(() => new ServiceRegistry({ backend: cluster, servers, node: 'n', [name]: 2 ** 31 })).toThrow(new RegExp(`${name} must be at most 2147483647 ms.*received 2147483648`));
      expect(() => new ServiceRegistry({ backend: cluster, servers, node: 'n', [name]: 30 * 24 * 3600 * 1000 })).toThrow(RangeError);
      expect(new ServiceRegistry({ backend: cluster, servers, node: 'n', [name]: 2 ** 31 - 1 }).node).toBe('n');
    }
  });
});

describe('ServiceRegistry syncChanges', () => {
  it('pushes only the dirty entries when syncing changes', async () => {
    const { registry, cluster, sync } = setup();
    for (const id of ['c', 'a', 'b']) registry.register(svc(id));
    await sync('syncChanges');
    expect(cluster.stats()).toMatchObject({ put: 3, delete: 0, openSession: 1 });
    expect(registry.dirtyIds()).toEqual([]);
    registry.register(svc('b', 99));
    registry.deregister('c');
    await sync('syncChanges');
    expect(cluster.stats()).toMatchObject({ put: 4, delete: 1, openSession: 1 });
    expect(cluster.readEntries('n1')).toEqual([svc('a'), svc('b', 99)]);
    expect(registry.dirtyIds()).toEqual([]);
  });

  it('makes no remote call at all when nothing is dirty', async () => {
    const { sync, ops } = setup();
    await sync('syncChanges');
    expect(ops).toEqual([]);
  });

  it('writes in id order when several entries are dirty', async () => {
    const { registry, sync, ops } = setup();
    for (const id of ['m', 'b', 'z', 'a']) registry.register(svc(id));
    await sync('syncChanges');
    expect(ops.filter((o) => o.op === 'put').map((o) => o.id)).toEqual(['a', 'b', 'm', 'z']);
  });

  it('keeps a failing entry dirty and still writes the others when one write fails', async () => {
    const { cluster, servers, clock } = setup();
    const bad = new Set(['b']);
    const registry = new ServiceRegistry({ backend: rejecting(cluster, bad), servers, node: 'n2', clock });
    for (const id of ['a', 'b', 'c']) registry.register(svc(id));
    const err = await registry.syncChanges(new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CatalogSyncError);
    expect((err as CatalogSyncError).failures.map((f) => [f.id, f.op])).toEqual([['b', 'put']]);
    expect((err as CatalogSyncError).message).toMatch(/1 catalog write\(s\) failed \(b\)/);
    expect(cluster.readEntries('n2')).toEqual([svc('a'), svc('c')]);
    expect(registry.dirtyIds()).toEqual(['b']);
    bad.clear();
    const before = cluster.stats().put;
    await registry.syncChanges(new AbortController().signal);
    expect(cluster.stats().put - before).toBe(1);
    expect(cluster.readEntries('n2')).toEqual([svc('a'), svc('b'), svc('c')]);
    await registry.close();
  });

  it('stops the pass after maxConsecutiveFailures failures in a row and leaves the rest dirty', async () => {
    // One write per call (no batches): the count is of failed writes.
    const { registry, cluster, sync } = setup({ maxConsecutiveFailures: 3, maxBatchOps: 1 });
    registry.register(svc('x'));
    await sync('syncChanges'); // session open, one entry written
    cluster.failAll();
    for (let i = 0; i < 8; i++) registry.register(svc(`s${i}`));
    const err = (await sync('syncChanges').catch((e: unknown) => e)) as CatalogSyncError;
    expect(err).toBeInstanceOf(CatalogSyncError);
    expect(err.failures.map((f) => f.id)).toEqual(['s0', 's1', 's2']);
    expect(err.skipped).toBe(5);
    expect(registry.dirtyIds()).toHaveLength(8);
    expect(cluster.stats().failed).toBe(6); // each of the 3 writes tried twice (writeAttempts 2)
  });

  it('leaves an entry dirty with its newest content when it changes during its write', async () => {
    const { registry, cluster, clock, sync } = setup({ latencyMs: 10 });
    registry.register(svc('a'));
    const run = track(sync('syncChanges'));
    await clock.tickAsync(15); // session opened at 10; put in flight
    registry.register(svc('a', 81));
    await clock.tickAsync(5);
    expect(run.settled()).toBe(true);
    expect(cluster.readEntries('n1')).toEqual([svc('a')]);
    expect(registry.dirtyIds()).toEqual(['a']);
    const again = track(sync('syncChanges'));
    await clock.tickAsync(10);
    expect(again.settled()).toBe(true);
    expect(cluster.readEntries('n1')).toEqual([svc('a', 81)]);
    expect(registry.dirtyIds()).toEqual([]);
  });

  it('deletes an entry deregistered while its put was in flight on the next partial sync', async () => {
    const { registry, cluster, clock, sync } = setup({ latencyMs: 10 });
    registry.register(svc('a'));
    track(sync('syncChanges'));
    await clock.tickAsync(15);
    registry.deregister('a');
    await clock.tickAsync(5);
    expect(cluster.readEntries('n1')).toEqual([svc('a')]);
    expect(registry.dirtyIds()).toEqual(['a']);
    track(sync('syncChanges'));
    await clock.tickAsync(10);
    expect(cluster.readEntries('n1')).toEqual([]);
    expect(registry.dirtyIds()).toEqual([]);
  });

  it('rejects with the abort reason and leaves unwritten entries dirty when the signal aborts', async () => {
    const { registry, cluster, clock, sync } = setup({ latencyMs: 10, maxBatchOps: 1 });
    for (const id of ['a', 'b', 'c']) registry.register(svc(id));
    const controller = new AbortController();
    const run = track(sync('syncChanges', controller.signal));
    await clock.tickAsync(25); // session at 10, 'a' written at 20, 'b' in flight
    const reason = new Error('stop');
    controller.abort(reason);
    await clock.tickAsync(0);
    expect(run.error()).toBe(reason);
    expect(cluster.readEntries('n1')).toEqual([svc('a')]);
    expect(registry.dirtyIds()).toEqual(['b', 'c']);
  });

  it('holds a call cut short by the caller\'s signal against no server (the signal reaches the manager)', async () => {
    const { registry, cluster, clock, sync, servers } = setup();
    registry.register(svc('a'));
    await sync('syncChanges');
    const front = servers.findServer()!.name;
    cluster.freeze(front);
    registry.register(svc('b'));
    const controller = new AbortController();
    const run = track(sync('syncChanges', controller.signal));
    await clock.tickAsync(500); // well within callTimeout (1 s)
    controller.abort(new Error('stop'));
    await clock.tickAsync(0);
    expect(run.settled()).toBe(true);
    expect(servers.findServer()!.name).toBe(front);
    expect(servers.health().map((h) => h.consecutiveFailures)).toEqual([0, 0, 0]);
  });
});

describe('ServiceRegistry syncFull', () => {
  it('writes nothing when the remote catalog already matches', async () => {
    const { registry, sync, writes, cluster } = setup();
    for (const id of ['a', 'b', 'c']) registry.register(svc(id));
    await sync('syncFull');
    expect(writes()).toBe(3);
    await sync('syncFull');
    await sync('syncFull');
    expect(writes()).toBe(3);
    expect(cluster.stats().list).toBe(3);
  });

  it('writes only the differences when entries were deleted, corrupted or added remotely', async () => {
    const { registry, cluster, sync, ops } = setup();
    for (const id of ['a', 'b', 'c', 'd']) registry.register(svc(id));
    await sync('syncChanges');
    cluster.deleteEntry('n1', 'a');
    cluster.corruptEntry('n1', 'c');
    cluster.injectEntry('n1', svc('x'));
    ops.length = 0;
    await sync('syncFull');
    expect(ops.filter((o) => o.op !== 'batch').map((o) => [o.op, o.id, o.batch])).toEqual([
      ['list', undefined, undefined],
      ['put', 'a', 3],
      ['put', 'c', 3],
      ['delete', 'x', 3],
    ]);
    expect(ops.filter((o) => o.op === 'batch')).toHaveLength(1); // the three writes in one call
    expect(cluster.readEntries('n1')).toEqual(registry.services());
    expect(registry.dirtyIds()).toEqual([]);
  });

  it('clears dirty flags without writing when the remote already holds the local content', async () => {
    const { registry, sync, writes } = setup();
    registry.register(svc('a'));
    await sync('syncChanges');
    registry.register(svc('a', 81));
    registry.register(svc('a')); // back to what the servers hold
    expect(registry.dirtyIds()).toEqual(['a']);
    const before = writes();
    await sync('syncFull');
    expect(writes()).toBe(before);
    expect(registry.dirtyIds()).toEqual([]);
  });

  it('drops a tombstone without a call when the entry is already gone remotely', async () => {
    const { registry, sync, cluster } = setup();
    registry.register(svc('a'));
    await sync('syncChanges');
    registry.deregister('a');
    cluster.deleteEntry('n1', 'a');
    await sync('syncFull');
    expect(cluster.stats().delete).toBe(0);
    expect(registry.dirtyIds()).toEqual([]);
  });

  it('rewrites entries left by an earlier run under its own session when they are equal', async () => {
    const { registry, sync, cluster } = setup();
    cluster.injectEntry('n1', svc('a'), 'old-session');
    cluster.injectEntry('n1', svc('stale'), 'old-session');
    registry.register(svc('a'));
    await sync('syncFull');
    expect(cluster.stats()).toMatchObject({ put: 1, delete: 1 });
    expect(cluster.readEntries('n1')).toEqual([svc('a')]);
  });

  it('retries a write on the next server and completes the pass when the front server fails mid-pass', async () => {
    const { registry, cluster, servers, sync, ops, clock } = setup({ latencyMs: 10, maxBatchOps: 1 });
    for (const id of ['a', 'b', 'c', 'd']) registry.register(svc(id));
    const front = servers.findServer()!.name;
    const run = track(sync('syncFull'));
    await clock.tickAsync(35); // session 10, list 20, put a 30, put b in flight
    cluster.fail(front);
    await clock.tickAsync(100);
    expect(run.settled()).toBe(true);
    expect(run.error()).toBeUndefined();
    expect(ops.filter((o) => o.op === 'put').map((o) => [o.id, o.server === front, o.ok])).toEqual([
      ['a', true, true],
      ['b', true, false],
      ['b', false, true],
      ['c', false, true],
      ['d', false, true],
    ]);
    expect(servers.findServer()!.name).not.toBe(front);
    expect(cluster.readEntries('n1')).toEqual(registry.services());
    expect(registry.dirtyIds()).toEqual([]);
  });

  it('leaves the failed write dirty for the next sync when writeAttempts is 1 (Consul behaviour)', async () => {
    const { registry, cluster, servers, sync, ops, clock } = setup({ latencyMs: 10, writeAttempts: 1, maxBatchOps: 1 });
    for (const id of ['a', 'b', 'c', 'd']) registry.register(svc(id));
    const front = servers.findServer()!.name;
    const run = track(sync('syncFull'));
    await clock.tickAsync(35);
    cluster.fail(front);
    await clock.tickAsync(100);
    const err = run.error() as CatalogSyncError;
    expect(err).toBeInstanceOf(CatalogSyncError);
    expect(err.failures.map((f) => f.id)).toEqual(['b']);
    expect(ops.filter((o) => o.op === 'put' && o.ok).map((o) => [o.id, o.server !== front])).toEqual([
      ['a', false],
      ['c', true],
      ['d', true],
    ]);
    expect(registry.dirtyIds()).toEqual(['b']);
    track(sync('syncChanges'));
    await clock.tickAsync(20);
    expect(cluster.readEntries('n1')).toEqual(registry.services());
  });

  it('bounds a call to a frozen server by callTimeout and rotates it away', async () => {
    const { registry, cluster, servers, clock, sync } = setup({ callTimeout: 1000 });
    registry.register(svc('a'));
    const front = servers.findServer()!.name;
    cluster.freeze(front);
    const run = track(sync('syncFull'));
    await clock.tickAsync(999);
    expect(run.settled()).toBe(false);
    await clock.tickAsync(1);
    expect(run.error()).toBeInstanceOf(TimeoutError);
    expect((run.error() as Error).message).toBe(`call to server ${front} timed out after 1000 ms`);
    expect(servers.findServer()!.name).not.toBe(front);
    await sync('syncFull');
    expect(cluster.readEntries('n1')).toEqual([svc('a')]);
    expect(clock.countTimers()).toBeGreaterThan(0); // only the session's renewal and expiry timers
    expect(clock.countTimers()).toBe(2);
  });
});

describe('ServiceRegistry session', () => {
  it('opens one session on the first sync and reuses it afterwards', async () => {
    const { registry, sync, cluster } = setup();
    registry.register(svc('a'));
    await sync('syncFull');
    await sync('syncFull');
    registry.register(svc('b'));
    await sync('syncChanges');
    expect(cluster.stats().openSession).toBe(1);
    expect(registry.stats()).toMatchObject({ sessionsOpened: 1, sessionsLost: 0, session: 'session-1' });
  });

  it('triggers a full sync and re-registers everything under a new session when the session is lost', async () => {
    const { registry, sync, cluster, clock, fired, servers } = setup({ sessionTtl: 900 });
    for (const id of ['a', 'b']) registry.register(svc(id));
    await sync('syncFull');
    cluster.failAll();
    await clock.tickAsync(899);
    expect(fired.syncFull).toBe(0);
    await clock.tickAsync(1); // one TTL without a renewal: the client side gives up
    expect(fired.syncFull).toBe(1);
    expect(registry.dirtyIds()).toEqual(['a', 'b']);
    expect(registry.stats()).toMatchObject({ sessionsLost: 1, session: undefined });
    expect(cluster.readEntries('n1')).toHaveLength(2); // the servers' grace (2 × TTL) has not run out
    cluster.healAll();
    // Until the servers expire it, our old session still holds the node: the open is refused, not the server blamed.
    await expect(sync('syncFull')).rejects.toSatisfy(isNodeConflictError);
    expect(registry.stats()).toMatchObject({ nodeConflicts: 1, sessionsOpened: 1 });
    expect(servers.health().every((h) => h.state === 'healthy')).toBe(true);
    await clock.tickAsync(900); // t = 1800 = TTL × grace after the grant
    expect(cluster.readEntries('n1')).toEqual([]);
    await sync('syncFull');
    expect(cluster.readEntries('n1')).toEqual([svc('a'), svc('b')]);
    expect(registry.stats()).toMatchObject({ sessionsOpened: 2, session: 'session-2', dirty: 0 });
  });

  it('revokes the session (the entries vanish) when closed', async () => {
    const { registry, sync, cluster, clock } = setup();
    registry.register(svc('a'));
    await sync('syncFull');
    await registry.close();
    expect(cluster.readEntries('n1')).toEqual([]);
    expect(cluster.sessionCount()).toBe(0);
    await expect(sync('syncFull')).rejects.toBeInstanceOf(StoppedError);
    expect(clock.countTimers()).toBe(0);
  });
});

describe('ServiceRegistry clusterSize', () => {
  it('answers 1, then the counted nodes, refreshing at most once per clusterSizeRefresh', async () => {
    const { registry, clock, cluster, sync } = setup({ clusterSizeRefresh: 5000 });
    const other = cluster.connect('other');
    await other.openSession(cluster.initialServers()[0]!, 'n2', 60_000, new AbortController().signal);
    registry.register(svc('a'));
    await sync('syncFull');
    expect(registry.clusterSize()).toBe(1); // first call starts a refresh
    await clock.tickAsync(0);
    expect(registry.clusterSize()).toBe(2);
    expect(cluster.stats().count).toBe(1);
    await clock.tickAsync(4999);
    registry.clusterSize();
    expect(cluster.stats().count).toBe(1);
    await clock.tickAsync(1);
    registry.clusterSize();
    await clock.tickAsync(0);
    expect(cluster.stats().count).toBe(2);
  });

  it('keeps the last counted value (not the default 1) when a refresh fails', async () => {
    const { registry, clock, cluster } = setup({ clusterSizeRefresh: 10 });
    const signal = new AbortController().signal;
    for (const node of ['n2', 'n3']) await cluster.connect(node).openSession(cluster.initialServers()[0]!, node, 60_000, signal);
    expect(registry.clusterSize()).toBe(1); // the first call starts a refresh
    await clock.tickAsync(0);
    expect(registry.clusterSize()).toBe(2);
    cluster.failAll();
    await clock.tickAsync(10);
    expect(registry.clusterSize()).toBe(2); // starts a refresh that fails
    await clock.tickAsync(0);
    expect(cluster.stats().failed).toBeGreaterThanOrEqual(1);
    expect(registry.clusterSize()).toBe(2);
    expect(registry.stats().clusterSize).toBe(2);
  });
});

describe('diffCatalog', () => {
  it('lists missing, extra and different ids, sorted', () => {
    expect(diffCatalog([svc('b'), svc('a'), svc('c')], [svc('c', 1), svc('z'), svc('a')])).toEqual({
      missing: ['b'],
      extra: ['z'],
      different: ['c'],
    });
    expect(diffCatalog([svc('a')], [svc('a')])).toEqual({ missing: [], extra: [], different: [] });
  });
});
