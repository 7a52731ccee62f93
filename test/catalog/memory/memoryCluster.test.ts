import { afterEach, describe, expect, it } from 'vitest';
import { settle } from '../../helpers/index.js';
import { isNodeConflictError, isSessionLostError } from '../../../src/catalog/errors.js';
import { MemoryCluster } from '../../../src/catalog/memory/cluster.js';
import type { MemoryOpRecord } from '../../../src/catalog/memory/types.js';
import { ServerUnavailableError, SessionNotFoundError } from '../../../src/catalog/errors.js';
import type { MembershipEvent, NodeSession, Service } from '../../../src/catalog/backend.js';
import type { Server } from '../../../src/servers/types.js';
import { createTestClock, type TestClock } from '../../../src/testing.js';

const svc = (id: string, port = 80): Service => ({ id, name: 'web', address: '10.0.0.1', port });
const never = new AbortController().signal;


function track<T>(promise: Promise<T>): { settled: () => boolean; value: () => T | undefined; error: () => unknown } {
  let done = false;
  let value: T | undefined;
  let error: unknown;
  promise.then(
    (v) => {
      done = true;
      value = v;
    },
    (e: unknown) => {
      done = true;
      error = e;
    },
  );
  return { settled: () => done, value: () => value, error: () => error };
}

describe('MemoryCluster', () => {
  let clock: TestClock;
  let cluster: MemoryCluster;

  afterEach(async () => {
    await cluster.close();
  });

  function setup(options: ConstructorParameters<typeof MemoryCluster>[0] = {}): { session: () => Promise<NodeSession> } {
    clock = createTestClock();
    cluster = new MemoryCluster({ clock, ...options });
    return { session: () => cluster.openSession(cluster.initialServers()[0]!, 'n1', 900, never) };
  }

  it('names three servers mem-1..mem-3 when no servers are given', () => {
    setup();
    expect(cluster.initialServers()).toEqual([
      { name: 'mem-1', address: 'memory://mem-1' },
      { name: 'mem-2', address: 'memory://mem-2' },
      { name: 'mem-3', address: 'memory://mem-3' },
    ]);
  });

  it('stores, lists (sorted copies) and deletes entries when the servers are up', async () => {
    const { session } = setup();
    const s = await session();
    const [a, b] = cluster.initialServers() as [Server, Server];
    await cluster.client(a).putService('n1', svc('z'), s.id, never);
    await cluster.client(b).putService('n1', svc('a'), s.id, never);
    const listed = await cluster.client(b).listServices('n1', never);
    expect(listed.map((x) => x.id)).toEqual(['a', 'z']);
    listed[0]!.port = 1;
    expect(cluster.readEntries('n1')[0]!.port).toBe(80);
    await cluster.client(a).deleteService('n1', 'a', never);
    await cluster.client(a).deleteService('n1', 'missing', never);
    expect(cluster.readEntries('n1').map((x) => x.id)).toEqual(['z']);
    expect(await cluster.client(a).countNodes(never)).toBe(1);
    expect(cluster.stats()).toMatchObject({ put: 2, delete: 2, list: 1, count: 1, openSession: 1, failed: 0 });
  });

  it('rejects a put when its session is unknown', async () => {
    setup();
    await expect(cluster.client(cluster.initialServers()[0]!).putService('n1', svc('a'), 'nope', never)).rejects.toBeInstanceOf(SessionNotFoundError);
    expect(cluster.readEntries('n1')).toEqual([]);
  });

  it('rejects calls and pings at once when a server failed, and serves again after heal', async () => {
    setup();
    const [a] = cluster.initialServers();
    cluster.fail('mem-1');
    await expect(cluster.client(a!).listServices('n1', never)).rejects.toBeInstanceOf(ServerUnavailableError);
    await expect(cluster.pinger.ping(a!, never)).rejects.toThrow(/mem-1 unavailable: connection refused/);
    cluster.heal('mem-1');
    await expect(cluster.pinger.ping(a!, never)).resolves.toBe(true);
  });

  it('holds calls to a frozen server until heal', async () => {
    setup();
    const [a] = cluster.initialServers();
    cluster.freeze(a!);
    const call = track(cluster.client(a!).countNodes(never));
    await clock.tickAsync(60_000);
    expect(call.settled()).toBe(false);
    cluster.heal(a!);
    await settle(clock);
    expect(call.settled()).toBe(true);
    expect(call.value()).toBe(0);
  });

  it('rejects a call parked on a frozen server with the abort reason when its signal aborts', async () => {
    setup();
    const [a] = cluster.initialServers();
    cluster.freeze(a!);
    const controller = new AbortController();
    const call = track(cluster.pinger.ping(a!, controller.signal));
    await settle(clock);
    const reason = new Error('deadline');
    controller.abort(reason);
    await settle(clock);
    expect(call.error()).toBe(reason);
  });

  it('rejects a parked call when its frozen server fails or is removed', async () => {
    setup();
    const [a, b] = cluster.initialServers();
    cluster.freeze(a!);
    cluster.freeze(b!);
    const first = track(cluster.pinger.ping(a!, never));
    const second = track(cluster.pinger.ping(b!, never));
    cluster.fail(a!);
    cluster.removeServer(b!);
    await settle(clock);
    expect(first.error()).toBeInstanceOf(ServerUnavailableError);
    expect(second.error()).toBeInstanceOf(ServerUnavailableError);
    expect((second.error() as Error).message).toMatch(/not a member/);
  });

  it('completes a call only after its latency when latency is set', async () => {
    setup({ latency: 100 });
    const [a] = cluster.initialServers();
    const call = track(cluster.pinger.ping(a!, never));
    await clock.tickAsync(99);
    expect(call.settled()).toBe(false);
    await clock.tickAsync(1);
    expect(call.value()).toBe(true);
  });

  it('still takes the deprecated latencyMs, and refuses it beside a different latency', async () => {
    setup({ latencyMs: 100 });
    const [a] = cluster.initialServers();
    const call = track(cluster.pinger.ping(a!, never));
    await clock.tickAsync(99);
    expect(call.settled()).toBe(false);
    await clock.tickAsync(1);
    expect(call.value()).toBe(true);
    expect(() => new MemoryCluster({ clock, latency: 5, latencyMs: 10 })).toThrow(TypeError);
    expect(() => new MemoryCluster({ clock, latency: 5, latencyMs: 10 })).toThrow(/^latency and its deprecated alias latencyMs were both given, with different values: received 5 and 10; pass latency only$/);
    expect(() => new MemoryCluster({ clock, latencyMs: -1 })).toThrow(/^latencyMs must be a finite number ≥ 0, received -1$/);
  });

  it('fails a call whose server fails during the latency', async () => {
    setup({ latency: (op) => (op === 'ping' ? 50 : 0) });
    const [a] = cluster.initialServers();
    const call = track(cluster.pinger.ping(a!, never));
    await clock.tickAsync(10);
    cluster.fail(a!);
    await clock.tickAsync(40);
    expect(call.error()).toBeInstanceOf(ServerUnavailableError);
  });

  it('reports joins and leaves to watchers until they unsubscribe', () => {
    setup();
    const events: MembershipEvent[] = [];
    const stop = cluster.watchMembers((e) => events.push(e));
    cluster.addServer('mem-4');
    cluster.removeServer('mem-2');
    cluster.removeServer('unknown');
    stop();
    cluster.addServer('mem-5');
    expect(events).toEqual([
      { type: 'join', server: { name: 'mem-4', address: 'memory://mem-4' } },
      { type: 'leave', server: { name: 'mem-2', address: 'memory://mem-2' } },
    ]);
    expect(cluster.serverNames()).toEqual(['mem-1', 'mem-3', 'mem-4', 'mem-5']);
    expect(() => cluster.addServer('mem-1')).toThrow(RangeError);
    expect(() => cluster.fail('nope')).toThrow(/unknown server "nope"/);
  });

  it('keeps a session alive while renewals succeed', async () => {
    const { session } = setup();
    const s = await session();
    await cluster.client(cluster.initialServers()[0]!).putService('n1', svc('a'), s.id, never);
    await clock.tickAsync(10_000);
    expect(cluster.readEntries('n1')).toHaveLength(1);
    expect(cluster.sessionCount()).toBe(1);
  });

  it('reports a session lost one TTL after its last renewal and the servers expire it only TTL × grace after, when no server is reachable', async () => {
    const { session } = setup();
    const s = await session();
    const lost: unknown[] = [];
    s.onLost((err) => lost.push(err));
    await cluster.client(cluster.initialServers()[0]!).putService('n1', svc('a'), s.id, never);
    await clock.tickAsync(300); // renewed at 300: the servers keep it until 300 + 2 × 900 = 2100
    cluster.failAll();
    await clock.tickAsync(899); // t = 1199
    expect(lost).toEqual([]);
    await clock.tickAsync(1); // t = 1200 = 300 + TTL: the client gives up first (conservative side)
    expect(lost).toHaveLength(1);
    expect(cluster.readEntries('n1')).toHaveLength(1);
    await clock.tickAsync(899); // t = 2099: the servers never undercut TTL × grace
    expect(cluster.readEntries('n1')).toHaveLength(1);
    expect(cluster.sessionCount()).toBe(1);
    await clock.tickAsync(1); // t = 2100
    expect(cluster.readEntries('n1')).toEqual([]);
    expect(cluster.sessionCount()).toBe(0);
    expect(clock.countTimers()).toBe(0);
  });

  it('expires a session exactly TTL × sessionGrace after its grant when it is never renewed', async () => {
    setup({ sessionGrace: 1.5 });
    const expired: unknown[] = [];
    cluster.on('sessionExpired', (e) => expired.push(e));
    const s = await cluster.openSession(cluster.initialServers()[0]!, 'n1', 1000, never);
    (s as unknown as { stopRenewing(): void }).stopRenewing();
    await clock.tickAsync(1499);
    expect(cluster.sessionCount()).toBe(1);
    await clock.tickAsync(1);
    expect(cluster.sessionCount()).toBe(0);
    expect(expired).toEqual([{ id: s.id, node: 'n1', at: 1500 }]);
  });

  it('pushes the expiry to now + TTL × grace at every renewal', async () => {
    setup({ sessionGrace: 1 });
    const s = await cluster.openSession(cluster.initialServers()[0]!, 'n1', 900, never);
    await clock.tickAsync(800); // the client renewed at 300 and 600 (every TTL / 3)
    (s as unknown as { stopRenewing(): void }).stopRenewing();
    await clock.tickAsync(699); // t = 1499: expires at 600 + 900, not 900
    expect(cluster.sessionCount()).toBe(1);
    await clock.tickAsync(1); // t = 1500
    expect(cluster.sessionCount()).toBe(0);
  });

  it('resets every session expiry to now + TTL × grace on a leader failover', async () => {
    setup();
    const failovers: unknown[] = [];
    cluster.on('failover', (e) => failovers.push(e));
    const [a] = cluster.initialServers();
    const s1 = await cluster.openSession(a!, 'n1', 900, never);
    const s2 = await cluster.openSession(a!, 'n2', 300, never);
    for (const s of [s1, s2]) (s as unknown as { stopRenewing(): void }).stopRenewing();
    await clock.tickAsync(500); // n1 would expire at 1800, n2 at 600
    cluster.failover(); // n1: max(1800, 500 + 1800) = 2300; n2: 500 + 600 = 1100
    expect(failovers).toEqual([{ at: 500, sessions: 2 }]);
    await clock.tickAsync(599); // t = 1099
    expect(cluster.sessionCount()).toBe(2);
    await clock.tickAsync(1); // t = 1100
    expect(cluster.sessionCount()).toBe(1);
    await clock.tickAsync(1199); // t = 2299
    expect(cluster.sessionCount()).toBe(1);
    await clock.tickAsync(1); // t = 2300
    expect(cluster.sessionCount()).toBe(0);
  });

  it('removes the entries at once when a session is closed', async () => {
    const { session } = setup();
    const s = await session();
    await cluster.client(cluster.initialServers()[0]!).putService('n1', svc('a'), s.id, never);
    await s.close();
    await s.close();
    expect(cluster.readEntries('n1')).toEqual([]);
    expect(clock.countTimers()).toBe(0);
  });

  it('cuts off only the partitioned agent when partition is called', async () => {
    setup();
    const mine = cluster.connect('agent-a');
    const other = cluster.connect('agent-b');
    const [a] = cluster.initialServers();
    cluster.partition('agent-a');
    const controller = new AbortController();
    const parked = track(mine.pinger.ping(a!, controller.signal));
    await expect(other.pinger.ping(a!, never)).resolves.toBe(true);
    await clock.tickAsync(1000);
    expect(parked.settled()).toBe(false);
    cluster.unpartition('agent-a');
    await settle(clock);
    expect(parked.value()).toBe(true);
  });

  it('lets a partitioned agent lose its session while others keep theirs', async () => {
    setup();
    const mine = cluster.connect('agent-a');
    const other = cluster.connect('agent-b');
    const [a] = cluster.initialServers();
    const s1 = await mine.openSession(a!, 'n1', 900, never);
    const s2 = await other.openSession(a!, 'n2', 900, never);
    await mine.client(a!).putService('n1', svc('x'), s1.id, never);
    await other.client(a!).putService('n2', svc('y'), s2.id, never);
    cluster.partition('agent-a');
    await clock.tickAsync(1800); // TTL × grace after the grant
    expect(cluster.readEntries('n1')).toEqual([]);
    expect(cluster.readEntries('n2')).toHaveLength(1);
    expect(await other.client(a!).countNodes(never)).toBe(1);
  });

  it('changes the store behind the agents when drift is injected', async () => {
    const { session } = setup();
    const s = await session();
    const client = cluster.client(cluster.initialServers()[0]!);
    await client.putService('n1', svc('a'), s.id, never);
    await client.putService('n1', svc('b'), s.id, never);
    expect(cluster.corruptEntry('n1', 'a')).toBe(true);
    expect(cluster.deleteEntry('n1', 'b')).toBe(true);
    expect(cluster.deleteEntry('n1', 'b')).toBe(false);
    cluster.injectEntry('n1', svc('c'));
    expect(cluster.readEntries('n1')).toEqual([
      { ...svc('a', 81), meta: { corrupted: 'true' } },
      svc('c'),
    ]);
    expect(cluster.corruptEntry('n1', 'a', (x) => ({ ...x, address: 'evil' }))).toBe(true);
    expect(cluster.readEntries('n1')[0]!.address).toBe('evil');
  });

  it('emits one op record per operation, failed ones included', async () => {
    setup();
    const ops: MemoryOpRecord[] = [];
    cluster.on('op', (r) => ops.push(r));
    const [a] = cluster.initialServers();
    await clock.tickAsync(5);
    await cluster.client(a!).listServices('n1', never);
    cluster.fail(a!);
    await cluster.client(a!).listServices('n1', never).catch(() => undefined);
    expect(ops).toEqual([
      { op: 'list', server: 'mem-1', agent: undefined, node: 'n1', id: undefined, at: 5, ok: true },
      { op: 'list', server: 'mem-1', agent: undefined, node: 'n1', id: undefined, at: 5, ok: false },
    ]);
  });

  it('rejects parked calls and stops all timers when closed', async () => {
    const { session } = setup();
    await session();
    cluster.freeze('mem-1');
    const parked = track(cluster.pinger.ping(cluster.initialServers()[0]!, never));
    await cluster.close();
    await settle(clock);
    expect(parked.error()).toBeInstanceOf(ServerUnavailableError);
    expect(clock.countTimers()).toBe(0);
  });

  it('refuses a second live session for a node with NodeConflictError naming the holder, until the first ends', async () => {
    setup();
    const [a] = cluster.initialServers();
    const s1 = await cluster.openSession(a!, 'n1', 900, never);
    await cluster.openSession(a!, 'n2', 900, never);
    const refused = cluster.connect('other').openSession(a!, 'n1', 900, never);
    await expect(refused).rejects.toSatisfy((err: unknown) => isNodeConflictError(err) && err.holder === s1.id);
    expect(await cluster.client(a!).countNodes(never)).toBe(2);
    expect(cluster.sessionCount()).toBe(2);
    await s1.close();
    expect(await cluster.client(a!).countNodes(never)).toBe(1);
    const s3 = await cluster.openSession(a!, 'n1', 900, never);
    expect(s3.id).not.toBe(s1.id);
    expect(await cluster.client(a!).countNodes(never)).toBe(2);
  });

  it('calls a listener added after the loss, and a throwing one neither stops the others nor escapes', async () => {
    const { session } = setup();
    const s = await session();
    cluster.failAll();
    await clock.tickAsync(900);
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown): void => void uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const calls: string[] = [];
      s.onLost(() => {
        calls.push('throws');
        throw new Error('listener bug');
      });
      s.onLost((err) => calls.push(isSessionLostError(err) ? 'second' : 'wrong'));
      await settle(clock);
      expect(calls).toEqual(['throws', 'second']);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('cancels calls waiting out their latency when closed', async () => {
    setup({ latency: 1000 });
    const call = track(cluster.pinger.ping(cluster.initialServers()[0]!, never));
    await clock.tickAsync(10);
    await cluster.close();
    await settle(clock);
    expect(call.error()).toBeInstanceOf(ServerUnavailableError);
    expect(clock.countTimers()).toBe(0);
  });

  it('rejects with RangeError and opens nothing when a session TTL is not positive', async () => {
    setup();
    const [a] = cluster.initialServers();
    await expect(cluster.openSession(a!, 'n1', 0, never)).rejects.toBeInstanceOf(RangeError);
    await expect(cluster.openSession(a!, 'n1', NaN, never)).rejects.toThrow(/ttlMs/);
    await expect(cluster.openSession(a!, 'n1', 2 ** 31, never)).rejects.toThrow(/ttlMs must be at most 2147483647 ms/);
    expect(cluster.sessionCount()).toBe(0);
  });

  it('refuses bad options with typed errors', () => {
    clock = createTestClock();
    expect(() => new MemoryCluster({ clock, latency: -1 })).toThrow(RangeError);
    expect(() => new MemoryCluster({ clock, latency: 2 ** 31 })).toThrow(/latency must be at most 2147483647 ms/);
    expect(() => new MemoryCluster({ clock, servers: 0 })).toThrow(RangeError);
    expect(() => new MemoryCluster({ clock, servers: [''] })).toThrow(TypeError);
    expect(() => new MemoryCluster({ clock, servers: 2.5 })).toThrow(/servers must be an integer ≥ 1, received 2.5/);
    expect(() => new MemoryCluster({ clock, servers: ['a', 'b', 'a'] })).toThrow(/server "a" already exists/);
    expect(() => new MemoryCluster({ clock, servers: ['a', 'b', 'a'] })).toThrow(RangeError);
    expect(() => new MemoryCluster({ clock, sessionGrace: 0.5 })).toThrow(/sessionGrace must be a number ≥ 1.*received 0.5/);
    expect(() => new MemoryCluster({ clock, sessionGrace: Infinity })).toThrow(RangeError);
    cluster = new MemoryCluster({ clock, servers: ['a', 'b'] });
    expect(cluster.serverNames()).toEqual(['a', 'b']);
  });
});

describe('MemoryCluster.refuseReads', () => {
  it('refuses every read on that server before serving it, while pings, writes and sessions go through, until heal', async () => {
    const clock = createTestClock();
    const cluster = new MemoryCluster({ clock, servers: ['a', 'b'] });
    const [a, b] = cluster.initialServers() as [Server, Server];
    const records: MemoryOpRecord[] = [];
    cluster.on('op', (r) => records.push(r));
    const session = await cluster.openSession(a, 'n1', 10_000, never);
    await cluster.client(a).putService('n1', svc('s1'), session.id, never);
    cluster.refuseReads('a');
    const ca = cluster.client(a);
    for (const read of [() => ca.listServices('n1', never), () => ca.countNodes(never), () => ca.listChecks!('n1', never), () => ca.getNodeInfo!('n1', never)]) {
      const err = await read().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(ServerUnavailableError);
      expect(cluster.notApplied(err)).toBe(true);
      expect((err as Error).message).toBe('server a unavailable: refusing reads');
    }
    await expect(cluster.pinger.ping(a, never)).resolves.toBe(true);
    await expect(ca.putService('n1', svc('s2'), session.id, never)).resolves.toBeUndefined();
    await expect(cluster.client(b).listServices('n1', never)).resolves.toHaveLength(2);
    expect(records.filter((r) => !r.ok).map((r) => `${r.op}@${r.server}`)).toEqual(['list@a', 'count@a', 'listChecks@a', 'getNode@a']);
    expect(cluster.status('a')).toBe('up');
    cluster.heal('a');
    await expect(ca.listServices('n1', never)).resolves.toHaveLength(2);
    expect(() => cluster.refuseReads('nope')).toThrow(RangeError);
    await session.close();
    await cluster.close();
  });

  it('says which errors prove a call never applied: its own ServerUnavailableErrors only', async () => {
    const clock = createTestClock();
    const cluster = new MemoryCluster({ clock, servers: ['a'] });
    cluster.fail('a');
    const [a] = cluster.initialServers() as [Server];
    const refused = await cluster.openSession(a, 'n1', 10_000, never).then(() => undefined, (e: unknown) => e);
    expect(cluster.notApplied(refused)).toBe(true);
    expect(cluster.notApplied(new Error('connection reset after the request was sent'))).toBe(false);
    expect(cluster.connect('agent').notApplied?.(refused)).toBe(true);
    await cluster.close();
  });
});
