// Agent-level tests of the catalog's limits against a real 3-member etcd cluster
// (client ports 25501-25503, data on /dev/shm): a node of MAX_SERVICES services
// larger than one gRPC message, foreign keys that are not the canonical encoding
// of an id, and two agents started with the same node name.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Etcd3 } from 'etcd3';
import { EtcdCluster, etcdAvailable } from '../helpers/etcdCluster.js';
import { remoteServices, service, startTestAgent, waitConverged, type TestAgent } from '../helpers/etcdAgent.js';
import { until } from '../helpers/index.js';
import { MAX_SERVICES } from '../../src/catalog/validate.js';
import type { Service } from '../../src/catalog/backend.js';
import { isNodeConflictError, type NodeConflictError } from '../../src/catalog/errors.js';
import { createEtcdBackend } from '../../src/etcd/index.js';

const run = etcdAvailable();
const signal = (): AbortSignal => new AbortController().signal;

/** A service with ~400 B of meta: 10,000 of them are ~5 MB, more than grpc-js's 4 MiB message limit. */
function largeService(i: number): Service {
  const pad = (tag: string): string => `${tag}-${String(i).padStart(5, '0')}-`.padEnd(96, 'x');
  return {
    id: `svc-${String(i).padStart(5, '0')}`,
    name: 'web',
    address: `10.${(i >> 8) & 255}.${i & 255}.1`,
    port: 1024 + (i % 50_000),
    tags: ['v1', 'blue'],
    meta: { owner: pad('owner'), build: pad('build'), region: pad('region'), notes: pad('notes') },
  };
}

describe.skipIf(!run)('catalog agent on etcd at its limits (real cluster)', () => {
  let cluster: EtcdCluster;
  let admin: Etcd3;
  const agents: TestAgent[] = [];

  beforeAll(async () => {
    cluster = new EtcdCluster({ basePort: 25501, inMemory: true });
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

  it('keeps full-syncing a node of MAX_SERVICES services larger than one gRPC message', async () => {
    const prefix = '/t-large';
    const agent = startTestAgent({ endpoints: cluster.endpoints, node: 'big', prefix, intervalMs: 3000, sessionTtlMs: 10_000, syncTimeoutMs: 180_000 });
    agents.push(agent);
    const started = Date.now();
    for (let i = 0; i < MAX_SERVICES; i++) agent.registry.register(largeService(i));
    // Cheap polling while the agent writes (a count-only range), then one full comparison.
    const count = (): Promise<number> => admin.getAll().prefix(`${prefix}/nodes/big/services/`).count();
    await until(async () => (await count().catch(() => 0)) === MAX_SERVICES && agent.registry.stats().dirty === 0, 300_000, 'every service written');
    const firstMs = Date.now() - started;
    await waitConverged(admin, agent, prefix, 60_000);
    const bytes = Object.values(await admin.getAll().prefix(`${prefix}/nodes/big/services/`).buffers()).reduce((n, v) => n + v.length, 0);
    expect(bytes).toBeGreaterThan(4 * 1024 * 1024); // one unpaged range could not carry it

    // A listing of the whole node through the backend, as every full sync does.
    const listStarted = Date.now();
    const listed = await agent.backend.client(agent.backend.initialServers()[1] as never).listServices('big', signal());
    const listMs = Date.now() - listStarted;
    expect(listed.length).toBe(MAX_SERVICES);

    // Damage only a full sync repairs: deleted and changed entries behind the agent's back.
    const before = agent.syncer.stats();
    await admin.delete().key(`${prefix}/nodes/big/services/svc-00007`);
    await admin.delete().key(`${prefix}/nodes/big/services/svc-09999`);
    await until(() => agent.syncer.stats().fullSyncs >= before.fullSyncs + 2, 60_000, 'two more successful full syncs');
    // Removed services leave and new ones register (at the limit: deregister first).
    for (let i = 0; i < 10; i++) agent.registry.deregister(largeService(i * 3).id);
    for (let i = 0; i < 10; i++) agent.registry.register({ ...largeService(i), id: `new-${i}` });
    await waitConverged(admin, agent, prefix, 60_000);
    const remote = await remoteServices(admin, prefix, 'big');
    expect(remote.length).toBe(MAX_SERVICES);
    expect(remote.some((s) => s.id === 'svc-00000')).toBe(false);
    expect(remote.some((s) => s.id === 'new-9')).toBe(true);
    expect(remote.some((s) => s.id === 'svc-00007')).toBe(true);
    console.log(`large catalog: ${MAX_SERVICES} services, ${(bytes / 1048576).toFixed(1)} MiB; registered and written in ${firstMs} ms; one paged listing ${listMs} ms`);
  }, 420_000);

  it('removes foreign keys that are not the canonical encoding of an id', async () => {
    const prefix = '/t-raw';
    const base = `${prefix}/nodes/raw/services/`;
    const agent = startTestAgent({ endpoints: cluster.endpoints, node: 'raw', prefix });
    agents.push(agent);
    agent.registry.register(service('web-1'));
    agent.registry.register(service('A'));
    await waitConverged(admin, agent, prefix, 15_000);
    const foreign = ['a b', 'x/y', '%41', 'web%2D1', '%ZZ'];
    for (const raw of foreign) await admin.put(base + raw).value('{"id":"spoof","name":"web","address":"10.9.9.9","port":1}');
    // Every raw key is gone and the canonical entries are intact (two full syncs: list, then delete/rewrite).
    await until(
      async () => {
        const keys = Object.keys(await admin.getAll().prefix(base).keys()).length === 0 ? [] : await admin.getAll().prefix(base).keys();
        return keys.length === 2 && keys.every((k) => k === `${base}web-1` || k === `${base}A`);
      },
      20_000,
      'every non-canonical key removed',
    );
    await waitConverged(admin, agent, prefix, 15_000);
    expect(await remoteServices(admin, prefix, 'raw')).toEqual([service('A'), service('web-1')]);
  }, 60_000);

  it('refuses a second agent with the same node while the first lives, keeps the first one\'s entries, and lets the second take over after the first stops', async () => {
    const prefix = '/t-dup';
    const first = startTestAgent({ endpoints: cluster.endpoints, node: 'dup', prefix, intervalMs: 1000 });
    agents.push(first);
    first.registry.register(service('from-first'));
    await waitConverged(admin, first, prefix, 15_000);
    const second = startTestAgent({ endpoints: cluster.endpoints, node: 'dup', prefix, intervalMs: 1000 });
    agents.push(second);
    const conflicts: unknown[] = [];
    second.syncer.on('fullSyncFailed', (e) => {
      const err = e.error as { cause?: unknown };
      if (isNodeConflictError(err) || isNodeConflictError(err?.cause)) conflicts.push(isNodeConflictError(err) ? err : err.cause);
    });
    second.registry.register(service('from-second'));
    await until(() => second.registry.stats().nodeConflicts >= 3, 20_000, 'the second agent to report the conflict on three full syncs');
    expect(second.registry.stats().session).toBeUndefined();
    if (conflicts.length > 0) expect((conflicts[0] as NodeConflictError).holder).toBe(first.registry.stats().session);
    // Nothing of the first agent's was deleted or overwritten meanwhile.
    expect(await remoteServices(admin, prefix, 'dup')).toEqual([service('from-first')]);
    expect(first.registry.dirtyIds()).toEqual([]);
    // The first stops (its lease is revoked): the second registers at its next full sync.
    await first.stop();
    agents.splice(agents.indexOf(first), 1);
    await waitConverged(admin, second, prefix, 15_000);
    expect(await remoteServices(admin, prefix, 'dup')).toEqual([service('from-second')]);
  }, 60_000);

  it('refuses a second agent with the same node on the same backend exactly as on another backend: NodeConflictError, the first one\'s entries kept', async () => {
    const prefix = '/t-dup-shared';
    const shared = createEtcdBackend({ endpoints: cluster.endpoints, prefix, callTimeout: 1000, pollMembersInterval: 500 });
    try {
      const first = startTestAgent({ endpoints: cluster.endpoints, node: 'dup', prefix, intervalMs: 1000, backend: shared });
      agents.push(first);
      first.registry.register(service('from-first'));
      await waitConverged(admin, first, prefix, 15_000);
      const firstSession = first.registry.stats().session;
      const second = startTestAgent({ endpoints: cluster.endpoints, node: 'dup', prefix, intervalMs: 1000, backend: shared });
      agents.push(second);
      const conflicts: NodeConflictError[] = [];
      second.syncer.on('fullSyncFailed', (e) => {
        const err = e.error as { cause?: unknown };
        if (isNodeConflictError(err)) conflicts.push(err);
        else if (isNodeConflictError(err?.cause)) conflicts.push(err.cause);
      });
      second.registry.register(service('from-second'));
      await until(() => second.registry.stats().nodeConflicts >= 3, 20_000, 'the second agent to report the conflict on three full syncs');
      expect(second.registry.stats().session).toBeUndefined();
      expect(conflicts.length).toBeGreaterThan(0);
      expect(conflicts[0]?.holder).toBe(firstSession);
      // The first agent kept its session and nothing of its was deleted or overwritten.
      expect(first.registry.stats().session).toBe(firstSession);
      expect(first.registry.stats().nodeConflicts).toBe(0);
      expect(await remoteServices(admin, prefix, 'dup')).toEqual([service('from-first')]);
      expect(JSON.parse((await admin.get(`${prefix}/sessions/dup`).string()) ?? '{}').lease).toBe(firstSession);
      // The first stops (its lease is revoked): the second registers at its next full sync, on the same backend.
      await first.stop();
      agents.splice(agents.indexOf(first), 1);
      await waitConverged(admin, second, prefix, 15_000);
      expect(await remoteServices(admin, prefix, 'dup')).toEqual([service('from-second')]);
    } finally {
      for (const a of agents.splice(0)) await a.stop();
      await shared.close();
    }
  }, 60_000);
});
