// Batched writes and refused entries on real 3-member etcd clusters (data on
// /dev/shm): with etcd's default limits (client ports 25601-25603), transactions of
// maxTxnOps, a batch over the members' --max-txn-ops split until it lands, and health
// checks stored under the node; with
// members that take requests of at most 4 KiB (ports 25631-25633), a value over that
// limit quarantined while the agent keeps syncing.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Etcd3 } from 'etcd3';
import { EtcdCluster, etcdAvailable } from '../helpers/etcdCluster.js';
import { remoteServices, service, startTestAgent, type TestAgent } from '../helpers/etcdAgent.js';
import { until } from '../helpers/index.js';
import { createEtcdBackend, type EtcdBackend } from '../../src/etcd/index.js';
import { ServiceRegistry } from '../../src/catalog/registry.js';
import { ServerManager } from '../../src/servers/serverManager.js';
import type { Service } from '../../src/catalog/backend.js';

const run = etcdAvailable();
const signal = (): AbortSignal => new AbortController().signal;
const REQUEST_LIMIT = 4096;
/** ~6 KB of JSON: valid locally (≤ 8 KiB), over the members' 4 KiB request limit. */
const huge = (id: string): Service => ({ ...service(id), meta: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, 'x'.repeat(480)])) });

describe.skipIf(!run)('batched writes and refused entries on etcd (real cluster)', () => {
  let cluster: EtcdCluster;
  let admin: Etcd3;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    cluster = new EtcdCluster({ basePort: 25601, inMemory: true });
    await cluster.start();
    admin = cluster.adminClient();
  }, 60_000);

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  }, 60_000);

  afterAll(async () => {
    admin?.close();
    await cluster?.stop();
  }, 30_000);

  function registryOn(prefix: string, maxTxnOps?: number): { registry: ServiceRegistry; backend: EtcdBackend } {
    const backend = createEtcdBackend({ endpoints: cluster.endpoints, prefix, callTimeout: 2000, ...(maxTxnOps ? { maxTxnOps } : {}) });
    const servers = new ServerManager({ pinger: backend.pinger });
    servers.setServers(backend.initialServers());
    // A bucket that holds every write of these tests: they are about batching, and one pass
    // must write all of it (the fleet write cap would spread the writes past 2 × 128).
    const registry = new ServiceRegistry({ backend, servers, node: 'n1', callTimeout: 3000, sessionTtl: 10_000, writeBurst: 1_000 });
    cleanups.push(async () => {
      await registry.close();
      await servers.stop();
      await backend.close();
    });
    return { registry, backend };
  }

  it('writes 300 services as transactions of at most 128 operations', async () => {
    const prefix = '/t-batch';
    const { registry } = registryOn(prefix);
    for (let i = 0; i < 300; i++) registry.register(service(`s${String(i).padStart(3, '0')}`, 1000 + i));
    await registry.syncFull(signal());
    expect(registry.stats()).toMatchObject({ puts: 300, batches: 3, failedWrites: 0, dirty: 0 });
    expect(await remoteServices(admin, prefix, 'n1')).toEqual(registry.services());
    for (let i = 0; i < 300; i += 2) registry.deregister(`s${String(i).padStart(3, '0')}`);
    await registry.syncChanges(signal());
    expect(registry.stats()).toMatchObject({ deletes: 150, batches: 5, failedWrites: 0 });
    expect(await remoteServices(admin, prefix, 'n1')).toEqual(registry.services());
  }, 60_000);

  it('splits a transaction the members refuse as too many operations until every entry lands', async () => {
    const prefix = '/t-txn-ops';
    const { registry } = registryOn(prefix, 200); // more than the members' --max-txn-ops 128
    for (let i = 0; i < 200; i++) registry.register(service(`s${String(i).padStart(3, '0')}`, 1000 + i));
    await registry.syncFull(signal());
    // 200 refused (too many operations), then 100 + 100.
    expect(registry.stats()).toMatchObject({ puts: 200, batches: 2, failedWrites: 1, blocked: 0, dirty: 0 });
    expect(await remoteServices(admin, prefix, 'n1')).toEqual(registry.services());
  }, 60_000);


  it('stores health checks and the node info under the node as plain JSON, in the same transaction as services', async () => {
    const prefix = '/t-checks';
    const { registry } = registryOn(prefix);
    registry.register(service('web'));
    registry.registerCheck({ id: 'web-http', name: 'HTTP on 8080', serviceId: 'web', status: 'passing', output: 'HTTP 200' });
    registry.registerCheck({ id: 'disk', name: 'disk', status: 'warning', notes: 'root fs' });
    registry.setNodeInfo({ address: '10.1.0.1', meta: { rack: 'r7', az: 'a' } });
    await registry.syncFull(signal());
    expect(registry.stats()).toMatchObject({ puts: 4, batches: 1, dirty: 0, dirtyChecks: 0 });
    expect(await admin.get(`${prefix}/nodes/n1/info`).string()).toBe('{"address":"10.1.0.1","meta":{"az":"a","rack":"r7"}}');
    // What `etcdctl get --prefix /t-checks/nodes/n1/checks/` prints: plain JSON, fixed field order.
    expect(await admin.getAll().prefix(`${prefix}/nodes/n1/checks/`).strings()).toEqual({
      [`${prefix}/nodes/n1/checks/disk`]: '{"id":"disk","name":"disk","status":"warning","notes":"root fs"}',
      [`${prefix}/nodes/n1/checks/web-http`]: '{"id":"web-http","name":"HTTP on 8080","serviceId":"web","status":"passing","output":"HTTP 200"}',
    });
    // Attached to the node's lease like its services.
    const lease = registry.stats().session as string;
    const leased = await admin.get(`${prefix}/nodes/n1/checks/disk`).exec();
    expect(String(leased.kvs[0]?.lease)).toBe(lease);

    registry.updateCheck('web-http', 'critical', 'HTTP 503');
    await registry.syncChanges(signal());
    expect(JSON.parse((await admin.get(`${prefix}/nodes/n1/checks/web-http`).string()) as string)).toMatchObject({ status: 'critical', output: 'HTTP 503' });

    // A corrupt value and a foreign check are repaired by the next full sync.
    await admin.put(`${prefix}/nodes/n1/checks/disk`).value('not json');
    await admin.put(`${prefix}/nodes/n1/checks/stray`).value('{"id":"stray","name":"x","status":"passing"}');
    await registry.syncFull(signal());
    expect(Object.keys(await admin.getAll().prefix(`${prefix}/nodes/n1/checks/`).strings()).sort()).toEqual([`${prefix}/nodes/n1/checks/disk`, `${prefix}/nodes/n1/checks/web-http`]);
    expect(await admin.get(`${prefix}/nodes/n1/checks/disk`).string()).toBe('{"id":"disk","name":"disk","status":"warning","notes":"root fs"}');

    // The service takes its check with it.
    registry.deregister('web');
    await registry.syncChanges(signal());
    expect(Object.keys(await admin.getAll().prefix(`${prefix}/nodes/n1/`).strings()).sort()).toEqual([`${prefix}/nodes/n1/checks/disk`, `${prefix}/nodes/n1/info`]);
  }, 60_000);
});

describe.skipIf(!run)('a value over the members\' request limit on etcd (real cluster)', () => {
  let cluster: EtcdCluster;
  let admin: Etcd3;
  const agents: TestAgent[] = [];

  beforeAll(async () => {
    cluster = new EtcdCluster({ basePort: 25631, inMemory: true, extraArgs: ['--max-request-bytes', String(REQUEST_LIMIT)] });
    await cluster.start();
    admin = cluster.adminClient();
  }, 60_000);

  afterEach(async () => {
    for (const a of agents.splice(0)) await a.stop();
  }, 60_000);

  afterAll(async () => {
    admin?.close();
    await cluster?.stop();
  }, 30_000);

  it('quarantines a value over the members\' request limit and keeps syncing everything else', async () => {
    const prefix = '/t-oversized';
    const agent = startTestAgent({ endpoints: cluster.endpoints, node: 'n2', prefix, intervalMs: 2000, sessionTtlMs: 5000 });
    agents.push(agent);
    for (let i = 0; i < 5; i++) agent.registry.register(service(`s${i}`));
    agent.registry.register(huge('huge'));
    await until(() => agent.registry.stats().blocked === 1 && agent.syncer.state === 'partialSync', 20_000, 'the oversized entry quarantined, the agent in partialSync');
    expect(agent.registry.stats().blockedEntries).toEqual([{ id: 'huge', kind: 'service', reason: expect.stringMatching(/^tooLarge: .*request is too large/), since: expect.any(Number) }]);
    expect((await remoteServices(admin, prefix, 'n2')).map((s) => s.id)).toEqual(['s0', 's1', 's2', 's3', 's4']);
    expect(agent.syncer.stats().fullSyncFailures).toBe(0);

    // A later registration lands through a partial sync, well before the next full sync.
    const partials = agent.syncer.stats().partialSyncs;
    agent.registry.register(service('late'));
    const tookMs = await until(async () => (await remoteServices(admin, prefix, 'n2')).some((s) => s.id === 'late'), 10_000, 'the late service in etcd');
    expect(agent.syncer.stats().partialSyncs).toBeGreaterThan(partials);
    expect(tookMs).toBeLessThan(2000);

    // Each full sync tries the refused entry once.
    const failed = agent.registry.stats().failedWrites;
    const fulls = agent.syncer.stats().fullSyncs;
    await until(() => agent.syncer.stats().fullSyncs >= fulls + 2, 20_000, 'two more full syncs');
    const passes = agent.syncer.stats().fullSyncs - fulls;
    expect(agent.registry.stats().failedWrites - failed).toBeLessThanOrEqual(passes + 1); // a pass may be running
    expect(agent.syncer.stats().fullSyncFailures).toBe(0);

    // New content that fits clears the block and lands at once.
    agent.registry.register(service('huge', 9090));
    await until(async () => (await remoteServices(admin, prefix, 'n2')).some((s) => s.id === 'huge' && s.port === 9090), 10_000, 'the re-registered entry in etcd');
    expect(agent.registry.stats().blocked).toBe(0);
  }, 90_000);
});
