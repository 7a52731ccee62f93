// Refused entries are quarantined, not fatal; batches split around them. On a fake
// clock against MemoryCluster, with a backend that classifies its refusals
// (RefusedWriteError) and with one that cannot (plain errors).
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCluster } from '../../src/catalog/memory/cluster.js';
import { createCatalogAgent, type CatalogAgent, type CatalogAgentOptions } from '../../src/catalog/catalogAgent.js';
import { CatalogSyncError, RefusedWriteError, ServiceRegistry, isRefusedWriteError, type ServiceRegistryOptions } from '../../src/catalog/registry.js';
import type { CatalogBackend, CatalogClient, Service, WriteOp } from '../../src/catalog/backend.js';
import { ServerManager } from '../../src/servers/serverManager.js';
import { constantRandom, createTestClock, type TestClock } from '../../src/testing.js';
import { captureLogger } from '../helpers/index.js';

const svc = (id: string, port = 80): Service => ({ id, name: 'web', address: '10.0.0.1', port });
/** ~2.7 KB of JSON: valid locally (≤ 8 KiB), over a cluster limit of 2,048 bytes. */
const big = (id: string): Service => ({ ...svc(id), meta: Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`k${i}`, 'x'.repeat(512)])) });

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Wraps a cluster's clients; `hooks` may refuse a write before it reaches the cluster. Counts calls per id. */
function wrapped(cluster: MemoryCluster, hooks: { put?: (s: Service) => Error | undefined; batch?: (ops: readonly WriteOp[]) => Error | undefined }, batches: boolean) {
  const calls: string[][] = [];
  const wrap = (client: CatalogClient): CatalogClient => {
    const out: CatalogClient = {
      listServices: (node, signal) => client.listServices(node, signal),
      countNodes: (signal) => client.countNodes(signal),
      putService: (node, service, session, signal) => {
        calls.push([service.id]);
        const err = hooks.put?.(service);
        return err ? Promise.reject(err) : client.putService(node, service, session, signal);
      },
      deleteService: (node, id, signal) => {
        calls.push([id]);
        return client.deleteService(node, id, signal);
      },
    };
    if (batches) {
      out.writeBatch = (node, ops, session, signal) => {
        calls.push(ops.map((o) => (o.op === 'put' ? o.service.id : o.op === 'putCheck' ? o.check.id : o.op === 'putNode' ? node : o.id)));
        const err = hooks.batch?.(ops);
        return err ? Promise.reject(err) : (client.writeBatch as NonNullable<CatalogClient['writeBatch']>)(node, ops, session, signal);
      };
    }
    return out;
  };
  const backend: CatalogBackend = {
    initialServers: () => cluster.initialServers(),
    client: (server) => wrap(cluster.client(server)),
    pinger: cluster.pinger,
    watchMembers: (l) => cluster.watchMembers(l),
    openSession: (server, node, ttl, signal) => cluster.openSession(server, node, ttl, signal),
    close: async () => undefined,
    ...(batches ? { maxBatchOps: Infinity } : {}),
  };
  return { backend, calls, callsOf: (id: string) => calls.filter((c) => c.includes(id)).length };
}

function agentOn(clock: TestClock, backend: CatalogBackend, options: Partial<CatalogAgentOptions> = {}): CatalogAgent {
  const a = createCatalogAgent({
    backend,
    node: 'n1',
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
  cleanups.push(() => a.stop());
  return a;
}

function registryOn(clock: TestClock, backend: CatalogBackend, options: Partial<ServiceRegistryOptions> = {}): ServiceRegistry {
  const servers = new ServerManager({ pinger: backend.pinger, clock, random: constantRandom(0) });
  for (const s of backend.initialServers()) servers.addServer(s);
  const registry = new ServiceRegistry({ backend, servers, node: 'n1', clock, callTimeout: 1000, sessionTtl: 900, ...options });
  cleanups.push(async () => {
    await registry.close();
    await servers.stop();
  });
  return registry;
}

const ids = (services: Service[]): string[] => services.map((s) => s.id);
const signal = (): AbortSignal => new AbortController().signal;

describe('quarantine with a classifying backend (MemoryCluster over its entry limit)', () => {
  it('keeps the agent in partialSync, lands a later registration within one partial sync and retries the refused entry once per full sync', async () => {
    const clock = createTestClock();
    const cluster = new MemoryCluster({ clock, latency: 5, maxEntryBytes: 2048 });
    cleanups.push(() => cluster.close());
    const a = agentOn(clock, cluster.connect('n1'));
    for (let i = 0; i < 5; i++) a.registry.register(svc(`s${i}`));
    a.registry.register(big('huge'));
    a.start();
    await clock.tickAsync(100);
    expect(a.agent.syncer.state).toBe('partialSync');
    expect(a.agent.syncer.stats()).toMatchObject({ fullSyncs: 1, fullSyncFailures: 0 });
    expect(ids(cluster.readEntries('n1'))).toEqual(['s0', 's1', 's2', 's3', 's4']);
    const stats = a.registry.stats();
    expect(stats.blocked).toBe(1);
    expect(stats.blockedEntries).toEqual([{ id: 'huge', kind: 'service', reason: expect.stringMatching(/^tooLarge: .*huge.*2048/), since: 15 }]);
    expect(a.registry.dirtyIds()).toEqual([]); // a partial sync leaves it alone
    // Only the refused entry fails: the batch naming it, then nothing else.
    expect(cluster.stats().failed).toBe(1);

    const t0 = clock.now;
    a.registry.register(svc('late'));
    await clock.tickAsync(999);
    expect(ids(cluster.readEntries('n1'))).toContain('late');
    expect(clock.now - t0).toBeLessThanOrEqual(1000);
    expect(cluster.stats().failed).toBe(1); // the partial sync did not touch 'huge'

    // Three more full syncs (at 60, 120, 180 s): one attempt each for 'huge', every one a success for the syncer.
    for (let k = 1; k <= 3; k++) {
      await clock.tickAsync(60_000 * k - clock.now + 100);
      expect(cluster.stats().failed).toBe(1 + k);
    }
    expect(a.agent.syncer.stats()).toMatchObject({ fullSyncs: 4, fullSyncFailures: 0, partialSyncFailures: 0 });
    expect(a.registry.stats().blockedEntries.map((e) => [e.id, e.since])).toEqual([['huge', 15]]);
  });

  it('clears the block at once and writes the entry in a partial sync when it is re-registered with new content', async () => {
    const clock = createTestClock();
    const cluster = new MemoryCluster({ clock, latency: 5, maxEntryBytes: 2048 });
    cleanups.push(() => cluster.close());
    const a = agentOn(clock, cluster.connect('n1'));
    a.registry.register(big('huge'));
    a.start();
    await clock.tickAsync(100);
    expect(a.registry.stats().blocked).toBe(1);
    a.registry.register(svc('huge', 81)); // new content, small enough
    expect(a.registry.stats().blocked).toBe(0);
    expect(a.registry.dirtyIds()).toEqual(['huge']);
    await clock.tickAsync(100);
    expect(cluster.readEntries('n1')).toEqual([svc('huge', 81)]);
    expect(a.registry.stats()).toMatchObject({ blocked: 0, dirty: 0 });
  });
});

describe('quarantine with a backend that cannot classify its errors', () => {
  it('fails blockAfterFailures full syncs, then quarantines the entry: partialSync, later registrations land, one attempt per full sync', async () => {
    const clock = createTestClock();
    const cluster = new MemoryCluster({ clock, latency: 5 });
    cleanups.push(() => cluster.close());
    const w = wrapped(cluster, { put: (s) => (s.id === 'bad' ? new Error('boom') : undefined) }, false);
    const a = agentOn(clock, w.backend, { blockAfterFailures: 3 });
    for (const id of ['a', 'bad', 'c']) a.registry.register(svc(id));
    a.start();
    await clock.tickAsync(100);
    expect(a.agent.syncer.state).toBe('retryFullSync');
    expect(w.callsOf('bad')).toBe(2); // writeAttempts 2
    expect(a.registry.stats().blocked).toBe(0);
    await clock.tickAsync(15_000); // second pass fails as well
    expect(a.agent.syncer.state).toBe('retryFullSync');
    expect(a.agent.syncer.stats().fullSyncFailures).toBe(2);
    await clock.tickAsync(15_000); // third: blocked, the pass succeeds
    expect(a.agent.syncer.state).toBe('partialSync');
    expect(a.agent.syncer.stats()).toMatchObject({ fullSyncs: 1, fullSyncFailures: 2 });
    expect(a.registry.stats().blockedEntries).toEqual([{ id: 'bad', kind: 'service', reason: 'failed 3 passes in a row: boom', since: expect.any(Number) }]);
    expect(w.callsOf('bad')).toBe(6);

    a.registry.register(svc('late'));
    await clock.tickAsync(1_000);
    expect(ids(cluster.readEntries('n1'))).toEqual(['a', 'c', 'late']);
    const calls = w.callsOf('bad');
    const full = a.agent.syncer.stats().fullSyncs;
    await clock.tickAsync(3 * 60_000);
    expect(a.agent.syncer.stats().fullSyncs - full).toBe(3);
    expect(w.callsOf('bad') - calls).toBe(3); // once per full sync, no retry on the next server
    expect(a.agent.syncer.stats().fullSyncFailures).toBe(2);
  });

  it('keeps today\'s behaviour for an error that stops happening before blockAfterFailures passes', async () => {
    const clock = createTestClock();
    const cluster = new MemoryCluster({ clock });
    cleanups.push(() => cluster.close());
    let failing = true;
    const w = wrapped(cluster, { put: (s) => (failing && s.id === 'b' ? new Error('transient') : undefined) }, false);
    const registry = registryOn(clock, w.backend, { blockAfterFailures: 3 });
    for (const id of ['a', 'b']) registry.register(svc(id));
    for (let pass = 0; pass < 2; pass++) expect(await registry.syncFull(signal()).catch((e: unknown) => e)).toBeInstanceOf(CatalogSyncError);
    expect(registry.stats().blocked).toBe(0);
    expect(registry.dirtyIds()).toEqual(['b']);
    failing = false;
    await registry.syncChanges(signal());
    failing = true; // the count restarted with the success: two more failures do not block
    registry.register(svc('b', 81));
    for (let pass = 0; pass < 2; pass++) expect(await registry.syncChanges(signal()).catch((e: unknown) => e)).toBeInstanceOf(CatalogSyncError);
    expect(registry.stats().blocked).toBe(0);
    await expect(registry.syncChanges(signal())).resolves.toBeUndefined(); // the third blocks it
    expect(registry.stats().blocked).toBe(1);
  });
});

describe('batches around a refused entry', () => {
  it('splits a batch refused without naming the entry until the rest lands, and quarantines the one entry', async () => {
    const clock = createTestClock();
    const cluster = new MemoryCluster({ clock });
    cleanups.push(() => cluster.close());
    const refuse = (): Error => new RefusedWriteError('permission', 'permission denied');
    const w = wrapped(cluster, { put: (s) => (s.id === 'e' ? refuse() : undefined), batch: (ops) => (ops.some((o) => o.op === 'put' && o.service.id === 'e') ? refuse() : undefined) }, true);
    const registry = registryOn(clock, w.backend);
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) registry.register(svc(id));
    await registry.syncChanges(signal());
    expect(w.calls).toEqual([
      ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'],
      ['a', 'b', 'c', 'd'],
      ['e', 'f', 'g', 'h'],
      ['e', 'f'],
      ['e'],
      ['f'],
      ['g', 'h'],
    ]);
    expect(ids(cluster.readEntries('n1'))).toEqual(['a', 'b', 'c', 'd', 'f', 'g', 'h']);
    expect(registry.stats()).toMatchObject({ blocked: 1, dirty: 0, puts: 7, batches: 2, failedWrites: 4 });
    expect(registry.stats().blockedEntries[0]).toMatchObject({ id: 'e', reason: 'permission: write refused (permission): permission denied' });
  });

  it('holds a refusal against no server: the front server stays in front with no failure counted', async () => {
    const clock = createTestClock();
    const cluster = new MemoryCluster({ clock, maxEntryBytes: 2048 });
    cleanups.push(() => cluster.close());
    const servers = new ServerManager({ pinger: cluster.pinger, clock, random: constantRandom(0) });
    for (const s of cluster.initialServers()) servers.addServer(s);
    const registry = new ServiceRegistry({ backend: cluster, servers, node: 'n1', clock, callTimeout: 1000, sessionTtl: 900 });
    cleanups.push(async () => {
      await registry.close();
      await servers.stop();
    });
    const front = servers.findServer()?.name;
    registry.register(big('huge'));
    await registry.syncChanges(signal());
    expect(registry.stats().blocked).toBe(1);
    expect(servers.findServer()?.name).toBe(front);
    expect(servers.health().map((h) => h.consecutiveFailures)).toEqual([0, 0, 0]);
  });

  it('resends the rest at once, without splitting, when the refusal names the entry', async () => {
    const clock = createTestClock();
    const cluster = new MemoryCluster({ clock, maxEntryBytes: 2048 });
    cleanups.push(() => cluster.close());
    const w = wrapped(cluster, {}, true);
    const registry = registryOn(clock, w.backend);
    for (const id of ['a', 'b', 'c']) registry.register(svc(id));
    registry.register(big('b2'));
    await registry.syncChanges(signal());
    expect(w.calls).toEqual([
      ['a', 'b', 'b2', 'c'],
      ['a', 'b', 'c'],
    ]);
    expect(registry.stats().blockedEntries.map((e) => e.id)).toEqual(['b2']);
  });

  it('sends at most maxBatchOps writes per call', async () => {
    const clock = createTestClock();
    const cluster = new MemoryCluster({ clock });
    cleanups.push(() => cluster.close());
    const w = wrapped(cluster, {}, true);
    const registry = registryOn(clock, w.backend, { maxBatchOps: 2 });
    for (const id of ['a', 'b', 'c', 'd', 'e']) registry.register(svc(id));
    registry.deregister('e');
    registry.register(svc('e', 81));
    await registry.syncFull(signal());
    expect(w.calls).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(cluster.readEntries('n1')).toEqual(registry.services());
  });

  it('bounds a pass against failing servers by maxConsecutiveFailures failed calls, splitting as it goes', async () => {
    const clock = createTestClock();
    const cluster = new MemoryCluster({ clock });
    cleanups.push(() => cluster.close());
    const registry = registryOn(clock, cluster, { maxConsecutiveFailures: 3 });
    registry.register(svc('x'));
    await registry.syncChanges(signal());
    cluster.failAll();
    for (let i = 0; i < 8; i++) registry.register(svc(`s${i}`));
    const before = cluster.stats().failed;
    const err = (await registry.syncChanges(signal()).catch((e: unknown) => e)) as CatalogSyncError;
    expect(err).toBeInstanceOf(CatalogSyncError);
    // 8 → 4 → 2, each tried twice: the third failed call stops the pass.
    expect(cluster.stats().failed - before).toBe(6);
    expect(err.failures.map((f) => f.id)).toEqual(['s0', 's1']);
    expect(err.skipped).toBe(6);
    expect(registry.dirtyIds()).toHaveLength(8);
    expect(registry.stats().blocked).toBe(0);
  });
});

describe('quarantine warning', () => {
  it('warns at most once per blockedWarnInterval, naming the id and the reason', async () => {
    const clock = createTestClock();
    const cluster = new MemoryCluster({ clock, maxEntryBytes: 2048 });
    cleanups.push(() => cluster.close());
    const log = captureLogger();
    const registry = registryOn(clock, cluster, { logger: log.logger, blockedWarnInterval: 60_000 });
    registry.register(big('h1'));
    registry.register(big('h2'));
    await registry.syncFull(signal());
    const quarantined = (): typeof log.records => log.warnings().filter((r) => /quarantined/.test(r.msg));
    expect(quarantined()).toHaveLength(1);
    expect(quarantined()[0]).toMatchObject({ id: 'h1', reason: expect.stringMatching(/^tooLarge/), blocked: 1 });
    await clock.tickAsync(59_999);
    await registry.syncFull(signal());
    expect(quarantined()).toHaveLength(1);
    await clock.tickAsync(1);
    await registry.syncFull(signal());
    expect(quarantined()).toHaveLength(2);
    expect(quarantined()[1]).toMatchObject({ blocked: 2, suppressedWarnings: 3, entries: [{ id: 'h1' }, { id: 'h2' }] });
  });

  it('refuses bad quarantine and batch options with RangeError naming the value', () => {
    const clock = createTestClock();
    const cluster = new MemoryCluster({ clock });
    cleanups.push(() => cluster.close());
    expect(() => registryOn(clock, cluster, { blockAfterFailures: 0 })).toThrow(/blockAfterFailures must be .*received 0/);
    expect(() => registryOn(clock, cluster, { maxBatchOps: 1.5 })).toThrow(/maxBatchOps must be an integer ≥ 1, received 1.5/);
    expect(() => registryOn(clock, cluster, { blockedWarnInterval: -1 })).toThrow(RangeError);
    expect(isRefusedWriteError(new RefusedWriteError('invalid', 'x'))).toBe(true);
    expect(isRefusedWriteError(Object.assign(new Error('x'), { name: 'RefusedWriteError', code: 'ERR_WRITE_REFUSED' }))).toBe(false);
  });
});
