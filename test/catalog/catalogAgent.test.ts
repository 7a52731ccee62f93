// createCatalogAgent against hostile backends on a fake clock: a call that never
// settles, a backend that slows every call, two agents with one node name, and a
// start() that fails half-way. Each test ends with nothing left on the clock.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryCluster } from '../../src/catalog/memory/cluster.js';
import { createCatalogAgent, SYNC_TIMEOUT_CALL_TIMEOUTS, type CatalogAgent, type CatalogAgentOptions } from '../../src/catalog/catalogAgent.js';
import { diffCatalog } from '../../src/catalog/registry.js';
import type { CatalogBackend, CatalogClient, Service } from '../../src/catalog/backend.js';
import { isTimeoutError } from '../../src/shared/errors.js';
import { sleep } from '../../src/shared/clock.js';
import { constantRandom, createTestClock, type TestClock } from '../../src/testing.js';
import { captureLogger } from '../helpers/index.js';

const svc = (id: string, port = 80): Service => ({ id, name: 'web', address: '10.0.0.1', port });
const MIN = 60_000;

let clock: TestClock;
let cluster: MemoryCluster;
let agents: CatalogAgent[];

beforeEach(() => {
  clock = createTestClock();
  cluster = new MemoryCluster({ clock });
  agents = [];
});

afterEach(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await cluster.close();
  expect(clock.countTimers()).toBe(0);
});

function agent(backend: CatalogBackend, options: Partial<CatalogAgentOptions> = {}): CatalogAgent {
  const a = createCatalogAgent({ backend, node: 'n1', clock, random: constantRandom(0), interval: MIN, ...options });
  agents.push(a);
  return a;
}

function inSync(a: CatalogAgent): boolean {
  const d = diffCatalog(a.registry.services(), cluster.readEntries(a.node));
  return d.missing.length + d.extra.length + d.different.length === 0;
}

/** `cluster` as a backend whose clients' calls can be replaced one method at a time. */
function wrapped(base: CatalogBackend, override: (client: CatalogClient) => Partial<CatalogClient>, extra: Partial<CatalogBackend> = {}): CatalogBackend {
  return {
    initialServers: () => base.initialServers(),
    client: (server) => {
      const c = base.client(server);
      return { ...c, ...override(c) };
    },
    pinger: base.pinger,
    watchMembers: (l) => base.watchMembers(l),
    openSession: (server, node, ttl, signal) => base.openSession(server, node, ttl, signal),
    close: () => base.close(),
    ...extra,
  };
}

describe('createCatalogAgent with a call that never settles', () => {
  it('keeps completing full syncs after the fault clears when listServices hangs and ignores its signal', async () => {
    const fault = { hang: true };
    const backend = wrapped(cluster, (c) => ({
      listServices: (node, signal) => (fault.hang ? new Promise<Service[]>(() => undefined) : c.listServices(node, signal)),
    }));
    const a = agent(backend);
    a.registry.register(svc('a'));
    a.start();
    await clock.tickAsync(2 * MIN);
    const during = a.agent.syncer.stats();
    expect(during.fullSyncs).toBe(0);
    // Each attempt fails at its callTimeout (5 s) instead of holding the syncer for good.
    expect(during.fullSyncFailures).toBeGreaterThanOrEqual(5);
    fault.hang = false;
    await clock.tickAsync(8 * MIN);
    const after = a.agent.syncer.stats();
    expect(after.fullSyncs).toBeGreaterThanOrEqual(7); // one per 60 s interval once healthy
    expect(inSync(a)).toBe(true);
    // Two names, two meanings: the registry counts every pass it started, the syncer only successful ones.
    expect(a.registry.stats().fullSyncPasses).toBe(after.fullSyncs + after.fullSyncFailures);
  });

  it('fails a pass that outlives the default syncTimeout (60 × callTimeout) exactly then, not before', async () => {
    // Every put answers just under callTimeout: no call times out, yet the pass would take 100 × 4.999 s.
    const backend = wrapped(cluster, (c) => ({
      putService: async (node, service, session, signal) => {
        const wait = sleep(clock, 4_999);
        signal.addEventListener('abort', () => wait.cancel(), { once: true }); // leaves no timer behind
        await wait.promise;
        return c.putService(node, service, session, signal);
      },
    }));
    const a = agent(backend, { callTimeout: 5_000 });
    for (let i = 0; i < 100; i++) a.registry.register(svc(`s${String(i).padStart(3, '0')}`));
    const failures: { error: unknown; at: number }[] = [];
    a.agent.syncer.on('fullSyncFailed', (e) => failures.push({ error: e.error, at: clock.now }));
    a.start();
    const limitMs = 5_000 * SYNC_TIMEOUT_CALL_TIMEOUTS;
    expect(limitMs).toBe(300_000);
    await clock.tickAsync(limitMs - 1);
    expect(failures).toEqual([]);
    await clock.tickAsync(1);
    expect(failures).toHaveLength(1);
    expect(isTimeoutError(failures[0]!.error)).toBe(true);
    expect(String(failures[0]!.error)).toMatch(/syncTimeout \(300000 ms\)/);
  });

  it('keeps partial syncs waiting while full syncs fail, then writes everything with the first full sync that succeeds (Consul)', async () => {
    const fault = { failList: true };
    const backend = wrapped(cluster, (c) => ({
      listServices: (node, signal) => (fault.failList ? Promise.reject(new Error('list refused')) : c.listServices(node, signal)),
    }));
    const a = agent(backend, { retryFailInterval: 15_000 });
    a.start();
    await clock.tickAsync(1_000);
    expect(a.agent.syncer.state).toBe('retryFullSync');
    a.registry.register(svc('late'));
    await clock.tickAsync(30_000);
    expect(a.registry.stats().partialSyncPasses).toBe(0);
    expect(cluster.readEntries('n1')).toEqual([]);
    fault.failList = false;
    await clock.tickAsync(16_000);
    expect(cluster.readEntries('n1')).toEqual([svc('late')]);
    expect(a.agent.syncer.state).toBe('partialSync');
  });
});

describe('createCatalogAgent options', () => {
  it('refuses durations above 2^31 − 1 ms with RangeError naming the option, before building anything', () => {
    for (const name of ['callTimeout', 'sessionTtl', 'clusterSizeRefresh', 'syncTimeout', 'interval'] as const) {
      expect(() => createCatalogAgent({ backend: cluster, node: 'n1', clock, interval: MIN, [name]: 2 ** 31 })).toThrow(new RegExp(`${name} must be at most 2147483647 ms`));
    }
  });

  it('clamps the default syncTimeout to the longest timer when callTimeout × 60 exceeds it', async () => {
    const a = agent(cluster, { callTimeout: 2 ** 31 - 1 });
    a.registry.register(svc('a'));
    a.start();
    await clock.tickAsync(1_000);
    expect(inSync(a)).toBe(true);
  });
});

describe('createCatalogAgent with two agents on one node name', () => {
  it('keeps the first holder\'s entries, reports the conflict on the second, and lets the second take over after the first stops', async () => {
    const log = captureLogger();
    const first = agent(cluster.connect('host-a'), { node: 'dup' });
    const second = agent(cluster.connect('host-b'), { node: 'dup', logger: log.logger });
    first.registry.register(svc('a1'));
    first.registry.register(svc('a2'));
    second.registry.register(svc('b1'));
    first.start();
    await clock.tickAsync(1_000);
    expect(cluster.readEntries('dup')).toEqual([svc('a1'), svc('a2')]);
    second.start();
    for (let minute = 0; minute < 5; minute++) {
      await clock.tickAsync(MIN);
      expect(cluster.readEntries('dup')).toEqual([svc('a1'), svc('a2')]);
    }
    const conflicts = second.registry.stats().nodeConflicts;
    expect(conflicts).toBeGreaterThanOrEqual(10); // retried at every full sync (15 s retry interval)
    expect(second.registry.stats().puts + second.registry.stats().deletes).toBe(0);
    // Loud (error level) but rate-limited: at most one line a minute.
    const errors = log.records.filter((r) => r.level === 50 && /two agents share it/.test(r.msg));
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors.length).toBeLessThanOrEqual(6);
    await first.stop(); // revokes the session: the node is free
    await clock.tickAsync(MIN);
    expect(cluster.readEntries('dup')).toEqual([svc('b1')]);
    expect(inSync(second)).toBe(true);
  });
});

describe('createCatalogAgent start() failing half-way', () => {
  for (const step of ['initialServers', 'watchMembers'] as const) {
    it(`leaves nothing running and can start again when backend.${step} throws`, async () => {
      let failing = true;
      const backend = wrapped(cluster, () => ({}), {
        [step]: (...args: never[]) => {
          if (failing) throw new Error(`${step} failed`);
          return (cluster[step] as (...a: never[]) => unknown).apply(cluster, args);
        },
      });
      const a = agent(backend);
      a.registry.register(svc('a'));
      expect(() => a.start()).toThrow(`${step} failed`);
      expect(clock.countTimers()).toBe(0);
      await clock.tickAsync(5 * MIN);
      expect(cluster.readEntries('n1')).toEqual([]);
      failing = false;
      a.start();
      await clock.tickAsync(1_000);
      expect(inSync(a)).toBe(true);
      expect(a.agent.syncer.state).toBe('partialSync');
    });
  }

  it('stops cleanly after a failed start that was never retried', async () => {
    const backend = wrapped(cluster, () => ({}), {
      watchMembers: () => {
        throw new Error('watch failed');
      },
    });
    const a = agent(backend);
    expect(() => a.start()).toThrow('watch failed');
    await a.stop();
    expect(clock.countTimers()).toBe(0);
    expect(a.agent.syncer.state).not.toBe('fullSync');
  });
});
