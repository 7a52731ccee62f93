// The fleet write cap in a real catalog agent on a fake clock: a session-loss rewrite
// paced one op per interval (both sides of each wake), a user's registration going
// first, pause/resume, stop, a second loss, a growing cluster, 10,000 entries, and a
// registration made from inside a write. Each test ends with nothing left on the clock.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryCluster } from '../../src/catalog/memory/cluster.js';
import { createCatalogAgent, type CatalogAgent, type CatalogAgentOptions } from '../../src/catalog/catalogAgent.js';
import type { CatalogBackend, CatalogClient, NodeSession, Service } from '../../src/catalog/backend.js';
import { ServiceRegistry } from '../../src/catalog/registry.js';
import { ServerManager } from '../../src/servers/serverManager.js';
import { MAX_TIMER_MS } from '../../src/shared/clock.js';
import { constantRandom, createTestClock, type TestClock } from '../../src/testing.js';
import { whenWritten } from '../../src/catalog/whenWritten.js';
import { captureLogger } from '../helpers/index.js';

const svc = (id: string, port = 80): Service => ({ id, name: 'web', address: '10.0.0.1', port });
const ids = (n: number, prefix = 's'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(5, '0')}`);
const HOUR = 3_600_000;

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

/**
 * `cluster` as a backend that counts `fleet.nodes` nodes and whose sessions a test can
 * lose: `lose()` revokes the current session (its entries vanish, as on expiry) and tells
 * its listeners. `onPut` runs inside every put.
 */
function fleetBackend(fleet: { nodes: number }, onPut: (service: Service) => void = () => undefined) {
  let current: { inner: NodeSession; listeners: Array<(err: unknown) => void> } | undefined;
  const backend: CatalogBackend = {
    initialServers: () => cluster.initialServers(),
    client: (server) => {
      const c = cluster.client(server);
      return {
        ...c,
        countNodes: async () => fleet.nodes,
        putService: (node, service, session, signal) => {
          onPut(service);
          return c.putService(node, service, session, signal);
        },
      } satisfies CatalogClient;
    },
    pinger: cluster.pinger,
    watchMembers: (l) => cluster.watchMembers(l),
    openSession: async (server, node, ttl, signal) => {
      const inner = await cluster.openSession(server, node, ttl, signal);
      const listeners: Array<(err: unknown) => void> = [];
      current = { inner, listeners };
      return { id: inner.id, onLost: (l) => void listeners.push(l), close: () => inner.close() };
    },
    close: () => cluster.close(),
    maxBatchOps: cluster.maxBatchOps,
  };
  const lose = async (): Promise<void> => {
    const lost = current;
    current = undefined;
    if (!lost) throw new Error('no session to lose');
    await lost.inner.close();
    for (const l of lost.listeners) l(new Error('session expired'));
  };
  return { backend, lose };
}

// 3 servers, 30 nodes, 1 write/s per server: each agent's share is 3 × 1 / 30 = 0.1 op/s, one op per 10 s.
const OP_MS = 10_000;

function agent(backend: CatalogBackend, options: Partial<CatalogAgentOptions> = {}): CatalogAgent {
  const a = createCatalogAgent({
    backend,
    node: 'n1',
    clock,
    random: constantRandom(0),
    interval: HOUR,
    clusterSizeRefresh: 1_000,
    writesPerSecPerServer: 1,
    writeBurst: 6,
    ...options,
  });
  agents.push(a);
  return a;
}

const stored = (): string[] => cluster.readEntries('n1').map((s) => s.id);
const puts = (): number => cluster.stats().put;

/** An agent with `n` services registered and in sync, its cluster size read as `fleet.nodes`, then its session lost. */
async function rewriting(n: number, fleet = { nodes: 30 }, options: Partial<CatalogAgentOptions> = {}, onPut?: (s: Service) => void) {
  const { backend, lose } = fleetBackend(fleet, onPut);
  const a = agent(backend, options);
  for (const id of ids(n)) a.registry.register(svc(id));
  a.start();
  await clock.tickAsync(HOUR / 2); // the first registration (a burst of up to 2 × writeBurst), and the size refreshed
  a.registry.clusterSize();
  await clock.tickAsync(0);
  expect(a.registry.stats()).toMatchObject({ clusterSize: fleet.nodes, dirty: 0 });
  expect(stored()).toEqual(ids(n));
  const before = puts();
  await lose();
  await clock.tickAsync(0); // the full sync after the loss (no stagger: random 0): opens a session, lists, defers
  expect(stored()).toEqual([]);
  return { a, lose, fleet, since: () => puts() - before };
}

describe('the fleet write cap at the cap', () => {
  it('rewrites a node after a session loss one entry per interval, none sooner (both sides of every wake)', async () => {
    const { a, since } = await rewriting(6);
    expect(a.registry.stats().dirty).toBe(6);
    const seen: number[] = [];
    for (let k = 1; k <= 6; k++) {
      await clock.tickAsync(OP_MS - 1);
      seen.push(since());
      await clock.tickAsync(1);
      seen.push(since());
    }
    expect(seen).toEqual([0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
    expect(stored()).toEqual(ids(6));
    expect(a.registry.stats().dirty).toBe(0);
    await clock.tickAsync(HOUR);
    expect(since()).toBe(6); // nothing written twice
  });

  it('writes a registration the user makes during the rewrite at once, not behind it', async () => {
    const { a, since } = await rewriting(6);
    await clock.tickAsync(2 * OP_MS);
    expect(since()).toBe(2);
    a.registry.register(svc('new'));
    await clock.tickAsync(0);
    expect(stored()).toContain('new');
    expect(since()).toBe(3);
    // The user's write borrowed one op: the bulk rewrite goes on one interval later, none lost.
    await clock.tickAsync(2 * OP_MS - 1);
    expect(since()).toBe(3);
    await clock.tickAsync(1);
    expect(since()).toBe(4);
    await clock.tickAsync(3 * OP_MS);
    expect(stored()).toEqual(['new', ...ids(6)]);
  });

  it('holds the writes while the syncer is paused and goes on after the resume, nothing lost', async () => {
    const { a, since } = await rewriting(6);
    await clock.tickAsync(OP_MS);
    expect(since()).toBe(1);
    await a.agent.syncer.pause();
    await clock.tickAsync(3 * OP_MS);
    expect(since()).toBe(1);
    a.agent.syncer.resume();
    await clock.tickAsync(0);
    // A rewrite after a session loss saves nothing: the two slots missed while paused are
    // lost (no burst when a paused or cut-off fleet comes back), the one due now is taken.
    expect(since()).toBe(2);
    await clock.tickAsync(OP_MS - 1);
    expect(since()).toBe(2);
    await clock.tickAsync(1);
    expect(since()).toBe(3);
    await clock.tickAsync(3 * OP_MS);
    expect(stored()).toEqual(ids(6));
  });

  it('stops mid-pacing with no timer and no write left behind', async () => {
    const { a, since } = await rewriting(6);
    await clock.tickAsync(2 * OP_MS);
    expect(since()).toBe(2);
    await a.stop();
    expect(clock.countTimers()).toBe(0);
    await clock.tickAsync(10 * OP_MS);
    expect(since()).toBe(2);
  });

  it('restarts the rewrite when the session is lost again mid-pacing: only what the loss took is written again', async () => {
    const { a, lose, since } = await rewriting(6);
    await clock.tickAsync(2 * OP_MS);
    expect(since()).toBe(2);
    await lose();
    await clock.tickAsync(0);
    expect(a.registry.stats().dirty).toBe(6);
    await clock.tickAsync(6 * OP_MS - 1);
    expect(since()).toBe(2 + 5);
    await clock.tickAsync(1);
    expect(since()).toBe(2 + 6); // the 2 written under the lost session again, the 4 never written once
    expect(stored()).toEqual(ids(6));
    await clock.tickAsync(HOUR);
    expect(since()).toBe(8);
  });

  it('slows down when the cluster it knows grows mid-window (30 → 60 nodes: one op per 20 s)', async () => {
    const { a, fleet, since } = await rewriting(6);
    fleet.nodes = 60;
    await clock.tickAsync(1_000);
    a.registry.clusterSize(); // the syncer reads it at its next stagger; here at once
    await clock.tickAsync(0);
    expect(a.registry.stats().clusterSize).toBe(60);
    await clock.tickAsync(OP_MS - 1_000); // the wake set at 30 nodes finds half a token and waits again
    expect(since()).toBe(0);
    await clock.tickAsync(2 * OP_MS - OP_MS - 1);
    expect(since()).toBe(0);
    await clock.tickAsync(1);
    expect(since()).toBe(1);
    await clock.tickAsync(2 * OP_MS);
    expect(since()).toBe(2);
  });

  it('writes a registration made from inside a paced write, and loses nothing', async () => {
    const hook: { agent?: CatalogAgent } = {};
    const { a } = await rewriting(6, { nodes: 30 }, {}, (service) => {
      if (hook.agent === undefined || service.id !== ids(6)[1]) return;
      const target = hook.agent;
      hook.agent = undefined;
      target.registry.register(svc('re-entrant'));
    });
    hook.agent = a;
    await clock.tickAsync(2 * OP_MS);
    expect(stored()).toEqual(['re-entrant', ...ids(2)]);
    // The user's write borrowed one op: the last bulk write comes one interval later.
    await clock.tickAsync(5 * OP_MS - 1);
    expect(stored()).toEqual(['re-entrant', ...ids(5)]);
    await clock.tickAsync(1);
    expect(stored()).toEqual(['re-entrant', ...ids(6)]);
  });
});

describe('the fleet write cap, seen from outside', () => {
  it('logs one info line when a paced run starts (with its ETA) and one when it catches up; whenWritten waits for the last write', async () => {
    const capture = captureLogger();
    const { a, since } = await rewriting(6, { nodes: 30 }, { logger: capture.logger });
    const infos = () => capture.records.filter((r) => r.level === 30 && /paced|pacing/.test(r.msg));
    expect(infos().map((r) => [r.msg, r.owed, r.etaMs])).toEqual([['pacing writes under the fleet write cap', 6, 6 * OP_MS]]);
    let written = false;
    void whenWritten(a).then(() => (written = true));
    await clock.tickAsync(6 * OP_MS - 1);
    expect([since(), written]).toEqual([5, false]);
    await clock.tickAsync(1);
    expect([since(), written]).toEqual([6, true]);
    expect(infos().map((r) => r.msg)).toEqual(['pacing writes under the fleet write cap', 'paced writes caught up']);
  });
});

describe('the fleet write cap below the cap', () => {
  it('writes a node within its burst at once, first registration and repairs alike', async () => {
    const { backend } = fleetBackend({ nodes: 30 });
    const a = agent(backend);
    for (const id of ids(6)) a.registry.register(svc(id));
    a.start();
    await clock.tickAsync(0);
    expect(stored()).toEqual(ids(6));
    await clock.tickAsync(6 * OP_MS); // the bucket refills while nothing is written
    cluster.deleteEntry('n1', ids(6)[0] as string);
    cluster.deleteEntry('n1', ids(6)[1] as string);
    a.agent.syncer.syncFull.trigger();
    await clock.tickAsync(0);
    expect(stored()).toEqual(ids(6));
  });

  it('paces the part of a first registration past twice the burst (the user\'s changes may borrow one burst)', async () => {
    const { backend } = fleetBackend({ nodes: 1 });
    const a = agent(backend);
    for (const id of ids(14)) a.registry.register(svc(id));
    a.start();
    await clock.tickAsync(0);
    // One node: one op per 1 s (the agent's own ceiling, 1000 / cap ms), not 1/3 s (its share of 3 servers).
    expect(stored()).toHaveLength(12);
    await clock.tickAsync(999);
    expect(stored()).toHaveLength(12);
    await clock.tickAsync(1);
    expect(stored()).toHaveLength(13);
    await clock.tickAsync(1_000);
    expect(stored()).toEqual(ids(14));
  });
});

describe('the fleet write cap with huge inputs', () => {
  it('rewrites 10,000 entries under the cap, every one, the agent never above its ceiling in any second', { timeout: 60_000 }, async () => {
    const { since } = await rewriting(10_000, { nodes: 1 }, { writesPerSecPerServer: 500, writeBurst: 128 });
    const times: number[] = [];
    cluster.on('op', (r) => {
      if (r.op === 'put') times.push(clock.now);
    });
    await clock.tickAsync(19_000);
    expect(since()).toBeLessThan(10_000);
    await clock.tickAsync(2_000);
    expect(since()).toBe(10_000);
    expect(stored()).toHaveLength(10_000);
    let peak = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while ((times[j] as number) <= (times[i] as number) - 1_000) j++;
      peak = Math.max(peak, i - j + 1);
    }
    expect(peak).toBeLessThanOrEqual(500);
  });

  it('clamps a wait past the longest timer to 2^31 − 1 ms instead of firing at once', async () => {
    const callTimeoutMs = 5_000;
    const clockTimers: number[] = [];
    const spy = { ...clock, setTimeout: (fn: () => void, ms: number) => (clockTimers.push(ms), clock.setTimeout(fn, ms)), clearTimeout: (h: unknown) => clock.clearTimeout(h) };
    const servers = new ServerManager({ pinger: cluster.pinger, clock, random: constantRandom(0) });
    for (const s of cluster.initialServers()) servers.addServer(s);
    const registry = new ServiceRegistry({ backend: cluster, servers, node: 'n1', clock: spy, writesPerSecPerServer: 1e-7, writeBurst: 1 });
    for (const id of ids(10_000)) registry.register(svc(id));
    await registry.syncFull(new AbortController().signal);
    expect(stored()).toHaveLength(2); // the bucket and the burst borrowed, then one op per 10^10 ms
    expect(registry.stats().dirty).toBe(9_998);
    expect(clockTimers.filter((ms) => ms > callTimeoutMs)).toEqual([MAX_TIMER_MS]);
    await registry.close();
    await servers.stop();
  });
});

describe('the fleet write cap options', () => {
  it('refuses a bad writesPerSecPerServer or writeBurst at the boundary with an error naming the value', () => {
    const servers = new ServerManager({ pinger: cluster.pinger, clock });
    const make = (o: Partial<CatalogAgentOptions>) => () => new ServiceRegistry({ backend: cluster, servers, node: 'n1', clock, ...o });
    expect(make({ writesPerSecPerServer: 0 })).toThrow(new RangeError('writesPerSecPerServer must be a finite number > 0, received 0'));
    expect(make({ writesPerSecPerServer: Infinity })).toThrow(/writesPerSecPerServer must be a finite number > 0, received Infinity/);
    expect(make({ writesPerSecPerServer: Number.NaN })).toThrow(/writesPerSecPerServer must be a finite number > 0, received NaN/);
    expect(make({ writesPerSecPerServer: '500' as unknown as number })).toThrow(new TypeError('writesPerSecPerServer must be a number, received "500"'));
    expect(make({ writeBurst: 0 })).toThrow(/writeBurst must be a finite number > 0, received 0/);
    expect(make({ writeBurst: 1.5 })).toThrow(new RangeError('writeBurst must be an integer ≥ 1, received 1.5'));
    // The catalog agent refuses them before anything starts: no timer, no session.
    expect(() => agent(cluster, { writeBurst: -3 })).toThrow(/writeBurst must be a finite number > 0, received -3/);
    agents.length = 0;
    expect(cluster.sessionCount()).toBe(0);
    expect(make({ writesPerSecPerServer: 0.5, writeBurst: 1 })().node).toBe('n1');
    void servers.stop();
  });

  it('counts the servers the manager can reach: fewer reachable servers, a smaller share each', async () => {
    const { backend, lose } = fleetBackend({ nodes: 30 });
    const a = agent(backend);
    for (const id of ids(2)) a.registry.register(svc(id));
    a.start();
    await clock.tickAsync(HOUR / 2);
    a.registry.clusterSize();
    await clock.tickAsync(0);
    expect(a.agent.servers.reachableServers()).toBe(3);
    for (const s of cluster.initialServers().slice(1)) a.agent.servers.drain(s);
    expect(a.agent.servers.reachableServers()).toBe(1);
    const before = puts();
    await lose();
    await clock.tickAsync(0);
    // 1 server: one op per 30 s instead of 10 s.
    await clock.tickAsync(3 * OP_MS - 1);
    expect(puts() - before).toBe(0);
    await clock.tickAsync(1);
    expect(puts() - before).toBe(1);
  });
});
