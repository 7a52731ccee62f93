// Agent-level outages against a real 3-member etcd cluster (client ports
// 24851-24853, reached through partitionable proxies on 24871-24873): the lease
// expiring while the agent is cut off (re-registration after the partition
// heals) and every member down for 30 s (retryFullSync, no crash, convergence
// after restart). Real processes and real time; every wait is bounded.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Etcd3 } from 'etcd3';
import { EtcdCluster, etcdAvailable } from '../helpers/etcdCluster.js';
import { remoteServices, service, startTestAgent, waitConverged, type TestAgent } from '../helpers/etcdAgent.js';
import { until } from '../helpers/index.js';

const run = etcdAvailable();
const PREFIX = '/t-outage';
const OUTAGE_MS = 30_000;

describe.skipIf(!run)('catalog agent on etcd through outages (real cluster)', () => {
  let cluster: EtcdCluster;
  let admin: Etcd3;
  let agent: TestAgent | undefined;
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown): void => void unhandled.push(err);

  beforeAll(async () => {
    cluster = new EtcdCluster({ basePort: 24851, proxy: true });
    await cluster.start();
    admin = cluster.adminClient();
    process.on('unhandledRejection', onUnhandled);
  }, 60_000);

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    admin?.close();
    await cluster?.stop();
  }, 30_000);

  beforeEach(() => {
    unhandled.length = 0;
  });

  afterEach(async () => {
    cluster.heal();
    await agent?.stop();
    agent = undefined;
    expect(unhandled).toEqual([]);
  }, 30_000);

  it('re-registers under a new lease when the lease expires during a partition', async () => {
    agent = startTestAgent({ endpoints: cluster.endpoints, node: 'node-partition', prefix: PREFIX, sessionTtlMs: 2000, callTimeoutMs: 500 });
    for (let i = 0; i < 5; i++) agent.registry.register(service(`p-${i}`));
    await waitConverged(admin, agent, PREFIX, 10_000);
    const firstSession = agent.registry.stats().session;
    expect(firstSession).toBeDefined();

    cluster.partition();
    const partitionedAt = Date.now();
    // Both, watched together: the agent giving the session up (one TTL without renewal) and
    // etcd (still healthy, reached directly by `admin`) expiring the lease (TTL × grace 2).
    let noticedMs = -1;
    let expiredMs = -1;
    await until(
      async () => {
        if (noticedMs < 0 && agent!.registry.stats().sessionsLost >= 1) noticedMs = Date.now() - partitionedAt;
        if (expiredMs < 0 && (await remoteServices(admin, PREFIX, 'node-partition')).length === 0) expiredMs = Date.now() - partitionedAt;
        return noticedMs >= 0 && expiredMs >= 0;
      },
      15_000,
      'the agent to give the session up and etcd to expire the lease',
    );
    // The session contract: the client gives up first, while etcd still holds the entries.
    expect(noticedMs).toBeLessThan(expiredMs);
    agent.registry.register(service('p-during-partition'));
    expect(agent.registry.services()).toHaveLength(6); // the local catalog keeps everything

    cluster.heal();
    const healedAt = Date.now();
    await waitConverged(admin, agent, PREFIX, 15_000);
    const reRegisteredMs = Date.now() - healedAt;
    const stats = agent.registry.stats();
    console.info(`[figure] partition with a 2 s session (4 s lease): agent gave the session up after ${noticedMs} ms, entries expired in etcd after ${expiredMs} ms, re-registered ${reRegisteredMs} ms after the partition healed`);
    expect(stats.session).toBeDefined();
    expect(stats.session).not.toBe(firstSession);
    expect(stats.sessionsOpened).toBeGreaterThanOrEqual(2);
    const lease = (await admin.get(`${PREFIX}/sessions/node-partition`).exec()).kvs[0]?.lease;
    expect(String(lease)).toBe(stats.session);
  }, 60_000);

  it('waits in retryFullSync without crashing while every member is down for 30 s, then converges after restart', async () => {
    agent = startTestAgent({ endpoints: cluster.endpoints, node: 'node-outage', prefix: PREFIX, sessionTtlMs: 3000, callTimeoutMs: 500, intervalMs: 2000 });
    for (let i = 0; i < 5; i++) agent.registry.register(service(`o-${i}`));
    await waitConverged(admin, agent, PREFIX, 10_000);

    for (const m of cluster.members) await cluster.kill(m.name);
    const downAt = Date.now();
    agent.registry.register(service('o-during-1'));
    agent.registry.register(service('o-during-2'));
    agent.registry.deregister('o-0');
    agent.syncer.syncFull.trigger();
    const states = new Set<string>();
    await until(() => agent!.syncer.state === 'retryFullSync', 15_000, 'the syncer to enter retryFullSync');
    while (Date.now() - downAt < OUTAGE_MS) {
      states.add(agent.syncer.state);
      await new Promise((r) => setTimeout(r, 250));
    }
    const during = agent.syncer.stats();
    expect(states.has('retryFullSync')).toBe(true);
    expect([...states].every((s) => s === 'retryFullSync' || s === 'fullSync' || s === 'partialSync')).toBe(true);
    expect(during.fullSyncFailures).toBeGreaterThan(3);
    expect(agent.registry.dirtyIds()).toEqual(['o-0', 'o-during-1', 'o-during-2'].concat(agent.registry.stats().sessionsLost > 0 ? ['o-1', 'o-2', 'o-3', 'o-4'] : []).sort());

    const restartAt = Date.now();
    await cluster.restart(...cluster.members.map((m) => m.name));
    const healthyMs = Date.now() - restartAt;
    const convergedMs = await waitConverged(admin, agent, PREFIX, 20_000);
    console.info(`[figure] all members down ${OUTAGE_MS} ms: states seen [${[...states].join(', ')}], ${during.fullSyncFailures} failed full syncs; cluster healthy ${healthyMs} ms after restart, agent converged ${convergedMs} ms after that`);
    expect(agent.registry.services().map((s) => s.id)).toEqual(['o-1', 'o-2', 'o-3', 'o-4', 'o-during-1', 'o-during-2']);
    await until(() => agent!.syncer.state !== 'retryFullSync', 10_000, 'the syncer to leave retryFullSync');
  }, 90_000);
});
