import { describe, expect, it } from 'vitest';
import { createClock } from '@sinonjs/fake-timers';
import {
  API_MISMATCH_LOG_INTERVAL_MS,
  CONNS_PER_SEC_PER_SERVER,
  JITTER_FRACTION,
  MAX_TIMER_MS,
  MIN_REUSE_DURATION_MS,
  NO_SERVERS_LOG_INTERVAL_MS,
  PING_TIMEOUT_MS,
  ServerManager,
  type ServerManagerOptions,
} from '../../src/servers/serverManager.js';
import { isNoServersError, NoServersError, StoppedError, TimeoutError } from '../../src/shared/errors.js';
import { createRandom } from '../../src/shared/random.js';
import type { Pinger, Server } from '../../src/servers/types.js';
import { captureLogger, flushPromises, manualPinger, scriptedPinger, server, servers } from '../helpers/index.js';

const okPinger = (): Pinger => ({ ping: () => Promise.resolve(true) });

function make(options: Partial<ServerManagerOptions> = {}) {
  const clock = createClock();
  const log = captureLogger();
  const manager = new ServerManager({
    pinger: okPinger(),
    clock,
    random: createRandom(1),
    logger: log.logger,
    ...options,
  });
  const events: string[] = [];
  manager.on('serverUp', (s) => events.push(`up:${s.name}`));
  manager.on('serverRemoved', (s) => events.push(`removed:${s.name}`));
  manager.on('offline', () => events.push('offline'));
  manager.on('online', () => events.push('online'));
  manager.on('rebalanced', (e) => events.push(`rebalanced:${e.server.name}${e.frozen ? ':frozen' : ''}`));
  return { manager, clock, log, events };
}

const names = (m: ServerManager) => m.servers().map((s) => s.name);

describe('ServerManager options', () => {
  it('uses the documented defaults when options are omitted', () => {
    expect([MIN_REUSE_DURATION_MS, JITTER_FRACTION, CONNS_PER_SEC_PER_SERVER, PING_TIMEOUT_MS]).toEqual([
      120_000, 2, 64, 10_000,
    ]);
    const { manager } = make({ random: () => 0 });
    expect(manager.rebalanceDelay()).toBe(120_000);
  });

  it.each([
    ['minReuseDuration', 0, RangeError, /minReuseDuration.*0/],
    ['minReuseDuration', -5, RangeError, /minReuseDuration.*-5/],
    ['minReuseDuration', Number.NaN, RangeError, /minReuseDuration.*NaN/],
    ['minReuseDuration', Infinity, RangeError, /minReuseDuration.*Infinity/],
    ['minReuseDuration', 3e9, RangeError, /minReuseDuration.*3000000000/],
    ['minReuseDuration', '120s', TypeError, /minReuseDuration.*"120s"/],
    ['jitterFraction', 0, RangeError, /jitterFraction.*0/],
    ['connsPerSecPerServer', -1, RangeError, /connsPerSecPerServer.*-1/],
    ['pingTimeout', Number.NaN, RangeError, /pingTimeout.*NaN/],
    ['apiVersion', Number.NaN, RangeError, /apiVersion.*NaN/],
    ['clusterSize', 5, TypeError, /clusterSize.*5/],
    ['random', 0.5, TypeError, /random.*0.5/],
    ['clock', {}, TypeError, /clock/],
    ['pinger', {}, TypeError, /pinger/],
    ['pinger', undefined, TypeError, /pinger.*undefined/],
  ] as const)('throws when %s is %s', (name, value, type, message) => {
    const build = () => new ServerManager({ pinger: okPinger(), [name]: value });
    expect(build).toThrow(type);
    expect(build).toThrow(message);
  });

  it('throws a TypeError when given no options object', () => {
    expect(() => new ServerManager(undefined as unknown as ServerManagerOptions)).toThrow(TypeError);
  });
});

describe('ServerManager list', () => {
  it('is offline and empty at construction', () => {
    const { manager } = make();
    expect(manager.isOffline()).toBe(true);
    expect(manager.numServers()).toBe(0);
    expect(manager.findServer()).toBeUndefined();
  });

  it('appends an unknown server, emits serverUp then online, and clears offline when adding', () => {
    const { manager, events } = make();
    manager.addServer(server('a'));
    manager.addServer(server('b'));
    expect(names(manager)).toEqual(['a', 'b']);
    expect(manager.isOffline()).toBe(false);
    expect(events).toEqual(['up:a', 'online', 'up:b']);
  });

  it('replaces a known server in place without serverUp when adding the same name', () => {
    const { manager, events } = make();
    manager.addServer(server('a'));
    manager.addServer(server('b'));
    const moved = server('a', { address: 'moved:1' });
    manager.addServer(moved);
    expect(names(manager)).toEqual(['a', 'b']);
    expect(manager.findServer()).toBe(moved);
    expect(events).toEqual(['up:a', 'online', 'up:b']);
  });

  it.each([null, {}, { name: 5, address: 'x' }, { name: '', address: 'x' }, { name: 'a' }, { name: 'a', address: 'x', version: 'v2' }])(
    'refuses %j with a TypeError and keeps the list when adding, removing or failing',
    (bad) => {
      const { manager, events } = make();
      manager.addServer(server('a'));
      manager.addServer(server('b'));
      const before = events.length;
      expect(() => manager.addServer(bad as unknown as Server)).toThrow(TypeError);
      expect(() => manager.removeServer(bad as unknown as Server)).toThrow(TypeError);
      expect(() => manager.notifyFailedServer(bad as unknown as Server)).toThrow(TypeError);
      expect(names(manager)).toEqual(['a', 'b']);
      expect(events.length).toBe(before);
    },
  );

  it('removes by name, emits serverRemoved, and ignores unknown names', () => {
    const { manager, events } = make();
    manager.setServers([]);
    manager.addServer(server('a'));
    manager.addServer(server('b'));
    manager.removeServer(server('a', { address: 'other' }));
    manager.removeServer(server('zz'));
    expect(names(manager)).toEqual(['b']);
    expect(events.filter((e) => e.startsWith('removed'))).toEqual(['removed:a']);
  });

  it('returns the same front object from findServer until the list changes', () => {
    const { manager } = make();
    const a = server('a');
    manager.addServer(a);
    manager.addServer(server('b'));
    expect(manager.findServer()).toBe(a);
    expect(manager.findServer()).toBe(a);
  });

  it('warns about an empty list at most once a minute on the clock', () => {
    const { manager, clock, log } = make();
    const warned = () => log.warnings().filter((l) => l.msg === 'no servers available').length;
    manager.findServer();
    manager.findServer();
    expect(warned()).toBe(1);
    clock.tick(NO_SERVERS_LOG_INTERVAL_MS - 1);
    manager.findServer();
    expect(warned()).toBe(1);
    clock.tick(1);
    manager.findServer();
    expect(warned()).toBe(2);
  });

  it('rotates the front to the back when it fails and another server exists', () => {
    const { manager } = make();
    for (const s of servers(3)) manager.addServer(s);
    manager.notifyFailedServer(server('s1', { address: 'other' }));
    expect(names(manager)).toEqual(['s2', 's3', 's1']);
  });

  it('ignores a failure of a server that is not at the front, or of the only server', () => {
    const { manager } = make();
    for (const s of servers(3)) manager.addServer(s);
    manager.notifyFailedServer(server('s2'));
    expect(names(manager)).toEqual(['s1', 's2', 's3']);
    const one = make().manager;
    one.addServer(server('a'));
    one.notifyFailedServer(server('a'));
    expect(names(one)).toEqual(['a']);
    make().manager.notifyFailedServer(server('a'));
  });

  it('hands out copies from servers() so callers cannot change the list', () => {
    const { manager } = make();
    manager.addServer(server('a'));
    manager.servers().push(server('x'));
    expect(manager.numServers()).toBe(1);
  });
});

describe('ServerManager numNodes', () => {
  it('uses clusterSize() when given', () => {
    let n = 500;
    const { manager } = make({ clusterSize: () => n });
    expect(manager.numNodes()).toBe(500);
    n = 7;
    expect(manager.numNodes()).toBe(7);
  });

  it.each([
    ['throws', () => { throw new Error('serf not ready'); }],
    ['returns NaN', () => Number.NaN],
    ['returns 0', () => 0],
    ['returns -3', () => -3],
    ['returns Infinity', () => Infinity],
    ['returns a string', () => '12' as unknown as number],
  ])('counts 1 node and logs once when clusterSize() %s', (_label, clusterSize) => {
    const { manager, log } = make({ clusterSize });
    expect(manager.numNodes()).toBe(1);
    expect(manager.numNodes()).toBe(1);
    expect(log.warnings().filter((l) => l.msg.includes('clusterSize'))).toHaveLength(1);
  });

  it('uses the last setNumNodes or heartbeat value without clusterSize, else 1', () => {
    const { manager } = make();
    expect(manager.numNodes()).toBe(1);
    manager.setNumNodes(40);
    expect(manager.numNodes()).toBe(40);
    manager.updateFromHeartbeat({ servers: [], numNodes: 9000 });
    expect(manager.numNodes()).toBe(9000);
    manager.setNumNodes(0);
    expect(manager.numNodes()).toBe(1);
  });

  it.each([
    ['NaN', Number.NaN, RangeError],
    ['-1', -1, RangeError],
    ['Infinity', Infinity, RangeError],
    ['"5"', '5', TypeError],
  ] as const)('refuses setNumNodes(%s) and keeps the previous value', (_l, bad, type) => {
    const { manager } = make();
    manager.setNumNodes(12);
    expect(() => manager.setNumNodes(bad as unknown as number)).toThrow(type);
    expect(manager.numNodes()).toBe(12);
  });
});

describe('ServerManager rebalanceDelay', () => {
  // The worked numbers quoted in src/servers/serverManager.ts and docs/server-manager.md.
  it.each([
    // nodes, servers, random, delay ms, new connections per server per second
    [10_000, 5, 0.5, 150_000, 13.33],
    [10_000, 5, 0, 120_000, 16.67],
    [48_000, 5, 0.5, 150_000, 64],
    [100_000, 5, 0.5, 312_500, 64],
    [100_000, 1, 0.5, 1_562_500, 64],
    [10_000, 1, 0.5, 156_250, 64],
    [1_000_000, 5, 0, 3_125_000, 64],
    [65_535, 1, 0, 1_023_984.375, 64],
  ])('waits as documented for %i nodes and %i servers (random %f)', (nodes, count, r, delayMs, connsPerSec) => {
    const { manager } = make({ clusterSize: () => nodes, random: () => r });
    for (const s of servers(count)) manager.addServer(s);
    expect(manager.rebalanceDelay()).toBe(delayMs);
    // Each of `nodes` agents reconnects once per delay, spread over `count` servers.
    expect(nodes / (delayMs / 1000) / count).toBeCloseTo(connsPerSec, 1);
  });

  it('gives at least 50 minutes for 1,000,000 nodes on 5 servers and 8 minutes for 65,535 on 1', () => {
    const big = make({ clusterSize: () => 1_000_000, random: () => 0 }).manager;
    for (const s of servers(5)) big.addServer(s);
    expect(big.rebalanceDelay()).toBeGreaterThanOrEqual(50 * 60_000);
    const one = make({ clusterSize: () => 65_535, random: () => 0 }).manager;
    one.addServer(server('a'));
    expect(one.rebalanceDelay()).toBeGreaterThanOrEqual(8 * 60_000);
  });

  it('is never below minReuseDuration for 0..1,000,000 nodes and 0..19 servers', () => {
    let nodes = 0;
    const random = createRandom(3);
    const { manager } = make({ clusterSize: () => nodes, random });
    let lowest = Infinity;
    for (let count = 0; count < 20; count++) {
      if (count > 0) manager.addServer(server(`g${count}`));
      expect(manager.numServers()).toBe(count);
      for (nodes = 0; nodes <= 1_000_000; nodes += nodes < 10_000 ? 1 : 97) {
        const d = manager.rebalanceDelay();
        if (d < lowest) lowest = d;
      }
      nodes = 1_000_000;
      lowest = Math.min(lowest, manager.rebalanceDelay());
    }
    expect(lowest).toBeGreaterThanOrEqual(MIN_REUSE_DURATION_MS);
    expect(lowest).toBeLessThan(MIN_REUSE_DURATION_MS + 1000);
  });

  it('never exceeds the largest timer a clock can hold', () => {
    const { manager } = make({ clusterSize: () => 1e12 });
    manager.addServer(server('a'));
    expect(manager.rebalanceDelay()).toBe(MAX_TIMER_MS);
  });
});

describe('ServerManager rebalanceServers', () => {
  it('puts a shuffled order in place, emits online and rebalanced, when the front answers', async () => {
    const pinger = scriptedPinger(() => true);
    const { manager, events } = make({ pinger, random: createRandom(11) });
    manager.setServers(servers(5));
    const before = names(manager);
    events.length = 0;
    manager.setNumNodes(1);
    await manager.rebalanceServers();
    expect(pinger.pinged).toHaveLength(1);
    expect(names(manager)[0]).toBe(pinger.pinged[0]);
    expect([...names(manager)].sort()).toEqual([...before].sort());
    expect(events).toEqual([`rebalanced:${pinger.pinged[0]}`]);
  });

  it('rotates failed servers to the back and pings each at most once', async () => {
    const pinger = scriptedPinger((s) => s.name === 's4');
    const { manager } = make({ pinger });
    for (const s of servers(5)) manager.addServer(s);
    await manager.rebalanceServers();
    expect(manager.findServer()?.name).toBe('s4');
    expect(new Set(pinger.pinged).size).toBe(pinger.pinged.length);
    // Servers that failed sit behind the healthy one, in the order they failed.
    expect(names(manager).slice(-(pinger.pinged.length - 1))).toEqual(pinger.pinged.slice(0, -1));
  });

  it('goes offline and keeps the list when no server answers, counting rejections and throws as failures', async () => {
    let i = 0;
    const pinger: Pinger & { pinged: string[] } = {
      pinged: [],
      ping(s) {
        this.pinged.push(s.name);
        i++;
        if (i === 1) throw new Error('sync throw');
        if (i === 2) return Promise.reject(new Error('refused'));
        return Promise.resolve(false);
      },
    };
    const { manager, events } = make({ pinger });
    for (const s of servers(3)) manager.addServer(s);
    events.length = 0;
    await manager.rebalanceServers();
    expect(manager.isOffline()).toBe(true);
    expect(names(manager)).toEqual(['s1', 's2', 's3']);
    expect([...pinger.pinged].sort()).toEqual(['s1', 's2', 's3']);
    expect(events).toEqual(['offline']);
  });

  it('goes offline with an empty list without pinging anything', async () => {
    const pinger = scriptedPinger(() => true);
    const { manager, events } = make({ pinger });
    manager.addServer(server('a'));
    manager.removeServer(server('a'));
    events.length = 0;
    await manager.rebalanceServers();
    expect(manager.isOffline()).toBe(true);
    expect(events).toEqual(['offline']);
    expect(pinger.pinged).toEqual([]);
  });

  it('never puts an always-failing server in front when another is healthy (Consul #3463, 100 trials)', async () => {
    for (let trial = 0; trial < 100; trial++) {
      const { manager } = make({ pinger: scriptedPinger((s) => s.name !== 'bad'), random: createRandom(trial) });
      manager.addServer(server('bad'));
      manager.addServer(server('good1'));
      manager.addServer(server('good2'));
      await manager.rebalanceServers();
      expect(manager.findServer()?.name).not.toBe('bad');
    }
  });

  it('spreads 100 servers into at least 50 distinct orders over 100 rebalances with half the pings failing', async () => {
    const coin = createRandom(99);
    const { manager } = make({ pinger: scriptedPinger(() => coin() < 0.5), random: createRandom(5) });
    manager.setServers(servers(100));
    const orders = new Set<string>();
    for (let i = 0; i < 100; i++) {
      await manager.rebalanceServers();
      orders.add(names(manager).join(','));
    }
    expect(orders.size).toBeGreaterThanOrEqual(50);
  });

  it('appends a server added during the ping', async () => {
    const pinger = manualPinger();
    const { manager } = make({ pinger });
    for (const s of servers(3)) manager.addServer(s);
    const done = manager.rebalanceServers();
    await flushPromises();
    const shuffledFront = pinger.pending[0]?.server.name;
    manager.addServer(server('late'));
    pinger.pending[0]?.resolve(true);
    await done;
    expect(names(manager)[0]).toBe(shuffledFront);
    expect(names(manager)).toHaveLength(4);
    expect(names(manager)[3]).toBe('late');
  });

  it('drops a non-front server removed during the ping', async () => {
    const pinger = manualPinger();
    const { manager } = make({ pinger });
    for (const s of servers(3)) manager.addServer(s);
    const done = manager.rebalanceServers();
    await flushPromises();
    const chosen = pinger.pending[0]?.server.name as string;
    const other = ['s1', 's2', 's3'].find((n) => n !== chosen) as string;
    manager.removeServer(server(other));
    pinger.pending[0]?.resolve(true);
    await done;
    expect(names(manager)[0]).toBe(chosen);
    expect(names(manager)).not.toContain(other);
    expect(names(manager)).toHaveLength(2);
  });

  it('freezes the live list in place when the chosen front is removed during the ping', async () => {
    const pinger = manualPinger();
    const { manager, events } = make({ pinger, random: createRandom(4) });
    for (const s of servers(4)) manager.addServer(s);
    const done = manager.rebalanceServers();
    await flushPromises();
    const chosen = pinger.pending[0]?.server.name as string;
    manager.removeServer(server(chosen));
    const live = names(manager);
    events.length = 0;
    pinger.pending[0]?.resolve(true);
    await done;
    expect(names(manager)).toEqual(live);
    expect(events).toEqual([`rebalanced:${live[0]}:frozen`]);
  });

  it('shares one in-flight rebalance between concurrent callers', async () => {
    const pinger = manualPinger();
    const { manager } = make({ pinger });
    manager.addServer(server('a'));
    const one = manager.rebalanceServers();
    const two = manager.rebalanceServers();
    expect(two).toBe(one);
    await flushPromises();
    expect(pinger.pending).toHaveLength(1);
    pinger.pending[0]?.resolve(true);
    await Promise.all([one, two]);
    const three = manager.rebalanceServers();
    expect(three).not.toBe(one);
    await flushPromises();
    expect(pinger.pending).toHaveLength(2);
    pinger.pending[1]?.resolve(true);
    await three;
  });

  it('aborts a ping at pingTimeout and not a millisecond before, then tries the next server', async () => {
    const pinger = manualPinger();
    const { manager, clock } = make({ pinger, pingTimeout: 2000 });
    manager.addServer(server('a'));
    manager.addServer(server('b'));
    const done = manager.rebalanceServers();
    await flushPromises();
    const first = pinger.pending[0];
    clock.tick(1999);
    await flushPromises();
    expect(first?.signal.aborted).toBe(false);
    expect(pinger.pending).toHaveLength(1);
    clock.tick(1);
    await flushPromises();
    expect(first?.signal.aborted).toBe(true);
    expect(first?.signal.reason).toBeInstanceOf(TimeoutError);
    // The first pinger ignored its signal; the rebalance moved on regardless.
    expect(pinger.pending).toHaveLength(2);
    pinger.pending[1]?.resolve(true);
    await done;
    expect(manager.findServer()?.name).toBe(pinger.pending[1]?.server.name);
    expect(clock.countTimers()).toBe(0);
  });

  it('resolves stop() during a ping, aborts the ping, changes nothing and leaves no timer', async () => {
    const pinger = manualPinger();
    const { manager, clock, events } = make({ pinger });
    for (const s of servers(3)) manager.addServer(s);
    manager.start();
    clock.tick(MIN_REUSE_DURATION_MS);
    await flushPromises();
    expect(pinger.pending).toHaveLength(1);
    const before = names(manager);
    events.length = 0;
    await manager.stop();
    expect(pinger.pending[0]?.signal.aborted).toBe(true);
    expect(pinger.pending[0]?.signal.reason).toBeInstanceOf(StoppedError);
    expect(names(manager)).toEqual(before);
    expect(events).toEqual([]);
    expect(clock.countTimers()).toBe(0);
    pinger.pending[0]?.resolve(true);
    await flushPromises();
    expect(names(manager)).toEqual(before);
  });

  it('resolves without pinging after stop()', async () => {
    const pinger = scriptedPinger(() => true);
    const { manager } = make({ pinger });
    manager.addServer(server('a'));
    await manager.stop();
    await manager.rebalanceServers();
    expect(pinger.pinged).toEqual([]);
  });
});

describe('ServerManager loop', () => {
  it('runs the first rebalance at minReuseDuration and not a millisecond before', async () => {
    const pinger = scriptedPinger(() => true);
    const { manager, clock } = make({ pinger });
    manager.addServer(server('a'));
    manager.start();
    clock.tick(MIN_REUSE_DURATION_MS - 1);
    await flushPromises();
    expect(pinger.pinged).toHaveLength(0);
    clock.tick(1);
    await flushPromises();
    expect(pinger.pinged).toHaveLength(1);
    await manager.stop();
  });

  it('waits rebalanceDelay() after each rebalance and not a millisecond less', async () => {
    const pinger = scriptedPinger(() => true);
    // random 0.5: 120 s + 30 s jitter; 2 servers and 1 node keep the rate cap out of it.
    const { manager, clock } = make({ pinger, random: () => 0.5 });
    manager.addServer(server('a'));
    manager.addServer(server('b'));
    manager.start();
    clock.tick(MIN_REUSE_DURATION_MS);
    await flushPromises();
    expect(pinger.pinged).toHaveLength(1);
    clock.tick(150_000 - 1);
    await flushPromises();
    expect(pinger.pinged).toHaveLength(1);
    clock.tick(1);
    await flushPromises();
    expect(pinger.pinged).toHaveLength(2);
    expect(manager.actor?.getSnapshot().context.rebalances).toBe(2);
    await manager.stop();
    expect(clock.countTimers()).toBe(0);
  });

  it('rebalances at once on request, and once more for requests made during a rebalance', async () => {
    const pinger = manualPinger();
    const { manager, clock } = make({ pinger });
    manager.addServer(server('a'));
    manager.start();
    manager.requestRebalance();
    await flushPromises();
    expect(pinger.pending).toHaveLength(1);
    manager.requestRebalance();
    manager.requestRebalance();
    pinger.pending[0]?.resolve(true);
    await flushPromises();
    expect(pinger.pending).toHaveLength(2);
    pinger.pending[1]?.resolve(true);
    await flushPromises();
    expect(pinger.pending).toHaveLength(2);
    expect(manager.actor?.getSnapshot().value).toBe('waiting');
    await manager.stop();
    expect(clock.countTimers()).toBe(0);
  });

  it('remembers a request made before start() and ignores one made after stop()', async () => {
    const pinger = scriptedPinger(() => true);
    const { manager } = make({ pinger });
    manager.addServer(server('a'));
    manager.requestRebalance();
    manager.requestRebalance();
    expect(pinger.pinged).toHaveLength(0);
    manager.start();
    await flushPromises();
    expect(pinger.pinged).toHaveLength(1);
    await manager.stop();
    manager.requestRebalance();
    await flushPromises();
    expect(pinger.pinged).toHaveLength(1);
  });

  it('resolves stop() before start(), repeatedly, and refuses start() afterwards', async () => {
    const { manager, clock } = make();
    const first = manager.stop();
    await expect(first).resolves.toBeUndefined();
    await expect(manager.stop()).resolves.toBeUndefined();
    expect(() => manager.start()).toThrow(StoppedError);
    expect(clock.countTimers()).toBe(0);
  });

  it('starts once when start() is called twice, and leaves no timer after stop while waiting', async () => {
    const { manager, clock } = make();
    manager.addServer(server('a'));
    expect(manager.start()).toBe(manager);
    const actor = manager.actor;
    manager.start();
    expect(manager.actor).toBe(actor);
    expect(clock.countTimers()).toBe(1);
    await manager.stop();
    await manager.stop();
    expect(manager.actor?.getSnapshot().value).toBe('stopped');
    expect(clock.countTimers()).toBe(0);
  });
});

describe('ServerManager setServers', () => {
  it('returns false and keeps a rotated order when the names are unchanged (Nomad #4997)', () => {
    const { manager, events } = make();
    expect(manager.setServers(servers(3))).toBe(true);
    const order = names(manager);
    manager.notifyFailedServer(server(order[0] as string));
    const rotated = names(manager);
    events.length = 0;
    const fresh = servers(3).reverse().map((s) => ({ ...s, address: 'new' }));
    expect(manager.setServers(fresh)).toBe(false);
    expect(names(manager)).toEqual(rotated);
    expect(manager.servers().every((s) => s.address === 'new')).toBe(true);
    expect(events).toEqual([]);
  });

  it('replaces the list with a shuffled copy and reports what appeared and disappeared', () => {
    const { manager, events } = make({ random: createRandom(8) });
    manager.setServers(servers(3));
    events.length = 0;
    const next = [server('s2'), server('s3'), server('s4'), server('s5'), server('s6')];
    expect(manager.setServers(next)).toBe(true);
    expect([...names(manager)].sort()).toEqual(['s2', 's3', 's4', 's5', 's6']);
    expect(events.sort()).toEqual(['removed:s1', 'up:s4', 'up:s5', 'up:s6']);
  });

  it('clears offline when the new list is not empty, and not when it is', () => {
    const { manager, events } = make();
    manager.setServers([]);
    expect(manager.isOffline()).toBe(true);
    manager.setServers([server('a')]);
    expect(manager.isOffline()).toBe(false);
    expect(events).toEqual(['up:a', 'online']);
  });

  it.each([
    ['not an array', 'x'],
    ['a bad entry', [server('a'), { name: 3 }]],
    ['a duplicate name', [server('a'), server('a')]],
  ])('refuses %s with a TypeError and keeps the list', (_l, bad) => {
    const { manager } = make();
    manager.setServers(servers(2));
    const before = names(manager);
    expect(() => manager.setServers(bad as unknown as Server[])).toThrow(TypeError);
    expect(names(manager)).toEqual(before);
  });
});

describe('ServerManager backups', () => {
  it('hands out a backup when no primary is known', () => {
    const { manager } = make();
    manager.setBackupServers([server('b1')]);
    expect(manager.findServer()?.name).toBe('b1');
  });

  it('keeps backups behind the primaries in a rebalance until every primary fails', async () => {
    let primariesUp = true;
    const pinger = scriptedPinger((s) => (s.name.startsWith('p') ? primariesUp : true));
    const { manager } = make({ pinger, random: createRandom(2) });
    manager.setBackupServers([server('b1'), server('b2')]);
    manager.setServers([server('p1'), server('p2'), server('p3')]);
    for (let i = 0; i < 20; i++) {
      await manager.rebalanceServers();
      expect(manager.findServer()?.name.startsWith('p')).toBe(true);
    }
    primariesUp = false;
    await manager.rebalanceServers();
    expect(manager.findServer()?.name.startsWith('b')).toBe(true);
    expect(manager.isOffline()).toBe(false);
  });

  it('reaches a backup through RPC failures only after every primary failed', () => {
    const { manager } = make();
    manager.setBackupServers([server('b1')]);
    manager.setServers([server('p1'), server('p2')]);
    manager.notifyFailedServer(manager.findServer() as Server);
    expect(manager.findServer()?.name.startsWith('p')).toBe(true);
    manager.notifyFailedServer(manager.findServer() as Server);
    expect(manager.findServer()?.name).toBe('b1');
  });

  it('drops the old backups when replaced and keeps backups through heartbeats', () => {
    const { manager, events } = make();
    manager.setServers([server('p1')]);
    manager.setBackupServers([server('b1'), server('b2')]);
    manager.setBackupServers([server('b2'), server('b3')]);
    expect(names(manager)).toEqual(['p1', 'b2', 'b3']);
    manager.updateFromHeartbeat({ servers: [server('p2')], numNodes: 3 });
    expect(names(manager)).toEqual(['b2', 'b3', 'p2']);
    expect(events).toEqual(['up:p1', 'online', 'up:b1', 'up:b2', 'up:b3', 'removed:b1', 'up:p2', 'removed:p1']);
  });
});

describe('ServerManager updateFromHeartbeat', () => {
  it('appends new servers, removes missing ones, updates known ones in place, and records size and leader', () => {
    const { manager, events } = make();
    manager.addServer(server('a'));
    manager.addServer(server('b'));
    manager.addServer(server('c'));
    events.length = 0;
    const b2 = server('b', { address: 'moved' });
    manager.updateFromHeartbeat({ servers: [server('d'), b2, server('a')], numNodes: 250, leaderAddress: '10.0.0.9:4647' });
    expect(names(manager)).toEqual(['a', 'b', 'd']);
    expect(manager.servers()[1]).toBe(b2);
    expect(manager.numNodes()).toBe(250);
    expect(manager.leaderAddress()).toBe('10.0.0.9:4647');
    expect(events).toEqual(['up:d', 'removed:c']);
  });

  it('ignores servers newer than apiVersion and warns at most once per server per 3 hours on the clock', () => {
    const { manager, clock, log } = make({ apiVersion: 1 });
    const beat = () =>
      manager.updateFromHeartbeat({ servers: [server('old', { version: 1 }), server('new', { version: 2 })], numNodes: 2 });
    const mismatches = () => log.warnings().filter((l) => l.msg.includes('newer API version')).length;
    beat();
    expect(names(manager)).toEqual(['old']);
    expect(mismatches()).toBe(1);
    beat();
    clock.tick(API_MISMATCH_LOG_INTERVAL_MS - 1);
    beat();
    expect(mismatches()).toBe(1);
    clock.tick(1);
    beat();
    expect(mismatches()).toBe(2);
    expect(names(manager)).toEqual(['old']);
  });

  it('keeps every version when no apiVersion is set', () => {
    const { manager } = make();
    manager.updateFromHeartbeat({ servers: [server('x', { version: 99 })], numNodes: 1 });
    expect(names(manager)).toEqual(['x']);
  });

  it.each([
    ['not an object', 5],
    ['servers missing', { numNodes: 3 }],
    ['numNodes NaN', { servers: [server('z')], numNodes: Number.NaN }],
    ['numNodes a string', { servers: [server('z')], numNodes: '3' }],
    ['a bad leader address', { servers: [server('z')], numNodes: 3, leaderAddress: 7 }],
  ])('refuses a heartbeat with %s and changes nothing', (_l, bad) => {
    const { manager } = make();
    manager.addServer(server('a'));
    manager.setNumNodes(10);
    expect(() => manager.updateFromHeartbeat(bad as never)).toThrow(/heartbeat/);
    expect(names(manager)).toEqual(['a']);
    expect(manager.numNodes()).toBe(10);
  });
});

describe('ServerManager applyMembershipEvent', () => {
  it('applies join, update and leave asynchronously and in order', async () => {
    const { manager } = make();
    manager.applyMembershipEvent({ type: 'join', server: server('a') });
    manager.applyMembershipEvent({ type: 'join', server: server('b') });
    manager.applyMembershipEvent({ type: 'update', server: server('a', { address: 'moved' }) });
    manager.applyMembershipEvent({ type: 'leave', server: server('b') });
    expect(manager.numServers()).toBe(0);
    expect(manager.membershipBacklog()).toBe(4);
    await flushPromises();
    expect(manager.servers()).toEqual([server('a', { address: 'moved' })]);
    expect(manager.membershipBacklog()).toBe(0);
  });

  it('warns once when the backlog passes 200, and again only after draining and passing it again', async () => {
    const { manager, log } = make();
    const backlogWarnings = () => log.warnings().filter((l) => l.msg.includes('backing up'));
    const burst = (n: number, tag: string) => {
      for (let i = 0; i < n; i++) manager.applyMembershipEvent({ type: 'join', server: server(`${tag}${i}`) });
    };
    burst(200, 'a');
    expect(backlogWarnings()).toHaveLength(0);
    burst(1, 'b');
    expect(backlogWarnings()).toHaveLength(1);
    expect(backlogWarnings()[0]?.backlog).toBe(201);
    burst(100, 'c');
    expect(backlogWarnings()).toHaveLength(1);
    await flushPromises();
    burst(200, 'd');
    expect(backlogWarnings()).toHaveLength(1);
    burst(1, 'e');
    expect(backlogWarnings()).toHaveLength(2);
    await flushPromises();
    expect(manager.numServers()).toBe(502);
  });

  it.each([
    ['null', null],
    ['an unknown type', { type: 'joined', server: server('a') }],
    ['a server without a name', { type: 'join', server: { address: 'x' } }],
  ])('refuses %s with a TypeError and queues nothing', async (_l, bad) => {
    const { manager } = make();
    manager.applyMembershipEvent({ type: 'join', server: server('ok') });
    expect(() => manager.applyMembershipEvent(bad as never)).toThrow(TypeError);
    expect(manager.membershipBacklog()).toBe(1);
    await flushPromises();
    expect(names(manager)).toEqual(['ok']);
  });
});

describe('ServerManager call', () => {
  it('runs the function against the front server and resolves its result', async () => {
    const { manager } = make();
    manager.addServer(server('a'));
    manager.addServer(server('b'));
    const seen: string[] = [];
    await expect(manager.call((s) => (seen.push(s.name), Promise.resolve(42)))).resolves.toBe(42);
    expect(seen).toEqual(['a']);
    expect(names(manager)).toEqual(['a', 'b']);
  });

  it('rotates the server and rethrows when the function rejects or throws', async () => {
    const { manager } = make();
    for (const s of servers(3)) manager.addServer(s);
    const err = new Error('rpc failed');
    await expect(manager.call(() => Promise.reject(err))).rejects.toBe(err);
    expect(names(manager)).toEqual(['s2', 's3', 's1']);
    await expect(
      manager.call(() => {
        throw err;
      }),
    ).rejects.toBe(err);
    expect(names(manager)).toEqual(['s3', 's1', 's2']);
  });

  it('rejects with NoServersError when no server is known', async () => {
    const { manager } = make();
    const err: unknown = await manager.call(() => Promise.resolve(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoServersError);
    expect((err as Error).name).toBe('NoServersError');
    expect(isNoServersError(err)).toBe(true);
  });

  it('rejects a non-function with a TypeError and keeps the list', async () => {
    const { manager } = make();
    manager.addServer(server('a'));
    await expect(manager.call(5 as never)).rejects.toThrow(TypeError);
    expect(names(manager)).toEqual(['a']);
  });

  it('hands the function a signal that aborts on stop()', async () => {
    const { manager } = make();
    manager.addServer(server('a'));
    let signal: AbortSignal | undefined;
    const pending = manager.call((_s, sig) => {
      signal = sig;
      return new Promise((_r, reject) => sig.addEventListener('abort', () => reject(sig.reason as Error)));
    });
    expect(signal?.aborted).toBe(false);
    await manager.stop();
    await expect(pending).rejects.toBeInstanceOf(StoppedError);
  });
});

describe('ServerManager events', () => {
  it('keeps working and logs when a listener throws', () => {
    const { manager, log } = make();
    manager.on('serverUp', () => {
      throw new Error('bad listener');
    });
    const seen: string[] = [];
    manager.on('serverUp', (s) => seen.push(s.name));
    manager.addServer(server('a'));
    expect(seen).toEqual(['a']);
    expect(log.records.some((l) => l.msg === 'server manager listener threw')).toBe(true);
  });
});
