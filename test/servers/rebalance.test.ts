import { describe, expect, it } from 'vitest';
import { MAX_TIMER_MS, MIN_REUSE_DURATION_MS } from '../../src/servers/serverManager.js';
import { StoppedError, TimeoutError } from '../../src/shared/errors.js';
import { createRandom } from '../../src/shared/random.js';
import type { Pinger, Server } from '../../src/servers/types.js';
import { flushPromises, managerHarness, manualPinger, scriptedPinger, server, servers } from '../helpers/index.js';

describe('ServerManager rebalanceDelay', () => {
  // The worked numbers quoted in src/servers/options.ts and docs/server-manager.md.
  it.each([
    // nodes, healthy servers, random, delay ms, new connections per healthy server per second
    [10_000, 5, 0.5, 150_000, 13.33],
    [10_000, 5, 0, 120_000, 16.67],
    [48_000, 5, 0.5, 150_000, 64],
    [100_000, 5, 0.5, 312_500, 64],
    [100_000, 1, 0.5, 1_562_500, 64],
    [10_000, 1, 0.5, 156_250, 64],
    [1_000_000, 5, 0, 3_125_000, 64],
    [65_535, 1, 0, 1_023_984.375, 64],
  ])('waits as documented for %i nodes and %i healthy servers (random %f)', (nodes, count, r, delayMs, connsPerSec) => {
    const { manager } = managerHarness({ clusterSize: () => nodes, random: () => r });
    for (const s of servers(count)) manager.addServer(s);
    expect(manager.rebalanceDelay()).toBe(delayMs);
    expect(nodes / (delayMs / 1000) / count).toBeCloseTo(connsPerSec, 1);
  });

  it('divides by the healthy servers only: 5 listed, 1 reachable, 100,000 nodes → 1,562.5 s (64/s on the one)', async () => {
    const { manager } = managerHarness({ clusterSize: () => 100_000, random: () => 0.5, failureThreshold: 1 });
    for (const s of servers(5)) manager.addServer(s);
    expect(manager.rebalanceDelay()).toBe(312_500);
    for (const name of ['s2', 's3', 's4', 's5']) manager.notifyFailedServer(server(name));
    expect(manager.rebalanceDelay()).toBe(1_562_500);
    manager.applyMembershipEvent({ type: 'join', server: server('s2') });
    await flushPromises();
    expect(manager.rebalanceDelay()).toBe(781_250);
  });

  it('keeps a suspect server in the count: one lost call does not stretch the wait, failureThreshold in a row do', () => {
    const { manager } = managerHarness({ clusterSize: () => 100_000, random: () => 0.5, failureThreshold: 3 });
    for (const s of servers(5)) manager.addServer(s);
    manager.notifyFailedServer(server('s5'));
    expect(manager.health().find((h) => h.server.name === 's5')?.state).toBe('suspect');
    expect(manager.rebalanceDelay()).toBe(312_500);
    manager.notifyFailedServer(server('s5'));
    expect(manager.rebalanceDelay()).toBe(312_500);
    manager.notifyFailedServer(server('s5'));
    expect(manager.health().find((h) => h.server.name === 's5')?.state).toBe('failed');
    expect(manager.rebalanceDelay()).toBe(390_625);
  });

  it('divides by at least 1 when no server is healthy', () => {
    const { manager } = managerHarness({ clusterSize: () => 100_000, random: () => 0.5, failureThreshold: 1 });
    expect(manager.rebalanceDelay()).toBe(1_562_500);
    manager.addServer(server('a'));
    manager.notifyFailedServer(server('a'));
    expect(manager.rebalanceDelay()).toBe(1_562_500);
  });

  it('is never below minReuseDuration for 0..1,000,000 nodes and 0..19 servers', () => {
    let nodes = 0;
    const { manager } = managerHarness({ clusterSize: () => nodes, random: createRandom(3) });
    let lowest = Infinity;
    for (let count = 0; count < 20; count++) {
      if (count > 0) manager.addServer(server(`g${count}`));
      for (nodes = 0; nodes <= 1_000_000; nodes += nodes < 10_000 ? 1 : 97) lowest = Math.min(lowest, manager.rebalanceDelay());
    }
    expect(lowest).toBeGreaterThanOrEqual(MIN_REUSE_DURATION_MS);
    expect(lowest).toBeLessThan(MIN_REUSE_DURATION_MS + 1000);
  });

  it('never exceeds the largest timer a clock can hold', () => {
    const { manager } = managerHarness({ clusterSize: () => 1e12 });
    manager.addServer(server('a'));
    expect(manager.rebalanceDelay()).toBe(MAX_TIMER_MS);
  });
});

describe('ServerManager rebalanceServers', () => {
  it('puts a shuffled order in place and emits rebalanced when the front answers', async () => {
    const pinger = scriptedPinger(() => true);
    const { manager, events, names } = managerHarness({ pinger, random: createRandom(11) });
    manager.setServers(servers(5));
    const before = names();
    events.length = 0;
    await manager.rebalanceServers();
    expect(pinger.pinged).toHaveLength(1);
    expect(names()[0]).toBe(pinger.pinged[0]);
    expect([...names()].sort()).toEqual([...before].sort());
    expect(events).toEqual([`rebalanced:${pinger.pinged[0]}`]);
  });

  it('rotates servers that failed a ping to the back, in the order they failed, pinging each at most once', async () => {
    const pinger = scriptedPinger((s) => s.name === 's4');
    const { manager, names } = managerHarness({ pinger, health: false });
    for (const s of servers(5)) manager.addServer(s);
    await manager.rebalanceServers();
    expect(manager.findServer()?.name).toBe('s4');
    expect(new Set(pinger.pinged).size).toBe(pinger.pinged.length);
    expect(names().slice(-(pinger.pinged.length - 1))).toEqual(pinger.pinged.slice(0, -1));
  });

  it('goes offline and keeps the order when no server answers, counting rejections and throws as failures', async () => {
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
    const { manager, events, names, states } = managerHarness({ pinger });
    for (const s of servers(3)) manager.addServer(s);
    events.length = 0;
    await manager.rebalanceServers();
    expect(manager.isOffline()).toBe(true);
    expect(names()).toEqual(['s1', 's2', 's3']);
    expect([...pinger.pinged].sort()).toEqual(['s1', 's2', 's3']);
    expect(states()).toEqual(['s1:suspect', 's2:suspect', 's3:suspect']);
    expect(events).toEqual(['offline']);
  });

  it('goes offline with an empty list without pinging anything', async () => {
    const pinger = scriptedPinger(() => true);
    const { manager, events } = managerHarness({ pinger });
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
      const { manager } = managerHarness({ pinger: scriptedPinger((s) => s.name !== 'bad'), random: createRandom(trial) });
      manager.addServer(server('bad'));
      manager.addServer(server('good1'));
      manager.addServer(server('good2'));
      await manager.rebalanceServers();
      expect(manager.findServer()?.name).not.toBe('bad');
    }
  });

  it('spreads 100 servers into at least 50 distinct orders over 100 rebalances with half the pings failing', async () => {
    const coin = createRandom(99);
    const { manager, names } = managerHarness({ pinger: scriptedPinger(() => coin() < 0.5), random: createRandom(5), health: false });
    manager.setServers(servers(100));
    const orders = new Set<string>();
    for (let i = 0; i < 100; i++) {
      await manager.rebalanceServers();
      orders.add(names().join(','));
    }
    expect(orders.size).toBeGreaterThanOrEqual(50);
  });

  it('pings healthy servers before suspect and failed ones, and primaries before backups', async () => {
    const pinger = scriptedPinger(() => false);
    const { manager } = managerHarness({ pinger, failureThreshold: 2, random: createRandom(3) });
    manager.setServers([server('p1'), server('p2'), server('p3')]);
    manager.setBackupServers([server('b1')]);
    manager.notifyFailedServer(server('p1'));
    manager.notifyFailedServer(server('p1'));
    manager.notifyFailedServer(server('p2'));
    await manager.rebalanceServers();
    expect(pinger.pinged).toEqual(['p3', 'b1', 'p2', 'p1']);
  });

  it('re-pings failed and suspect servers after finding a healthy one, re-admitting those that answer', async () => {
    let down = new Set(['s2', 's3']);
    const pinger = scriptedPinger((s) => !down.has(s.name));
    const { manager, states, health } = managerHarness({ pinger, failureThreshold: 1 });
    for (const s of servers(3)) manager.addServer(s);
    manager.notifyFailedServer(server('s2'));
    manager.notifyFailedServer(server('s3'));
    health.length = 0;
    await manager.rebalanceServers();
    expect(states().sort()).toEqual(['s1:healthy', 's2:failed', 's3:failed']);
    expect(pinger.pinged.filter((n) => n !== 's1').sort()).toEqual(['s2', 's3']);
    down = new Set(['s3']);
    pinger.pinged.length = 0;
    await manager.rebalanceServers();
    expect(states().sort()).toEqual(['s1:healthy', 's2:healthy', 's3:failed']);
    expect(health).toEqual(['s2:failed>healthy:ping']);
  });

  it('chooses a re-admitted primary over the backup that answered first', async () => {
    let primaryUp = false;
    const pinger = scriptedPinger((s) => (s.name === 'p1' ? primaryUp : true));
    const { manager } = managerHarness({ pinger, failureThreshold: 1 });
    manager.setServers([server('p1')]);
    manager.setBackupServers([server('b1')]);
    await manager.rebalanceServers();
    expect(manager.findServer()?.name).toBe('b1');
    primaryUp = true;
    await manager.rebalanceServers();
    expect(manager.findServer()?.name).toBe('p1');
  });

  it('keeps backups behind the primaries in a rebalance until every primary fails its ping', async () => {
    let primariesUp = true;
    const pinger = scriptedPinger((s) => (s.name.startsWith('p') ? primariesUp : true));
    const { manager } = managerHarness({ pinger, random: createRandom(2) });
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

  it('appends a server added during the ping', async () => {
    const pinger = manualPinger();
    const { manager, names } = managerHarness({ pinger });
    for (const s of servers(3)) manager.addServer(s);
    const done = manager.rebalanceServers();
    await flushPromises();
    const chosen = pinger.pending[0]?.server.name;
    manager.addServer(server('late'));
    pinger.pending[0]?.resolve(true);
    await done;
    expect(names()[0]).toBe(chosen);
    expect(names()).toHaveLength(4);
    expect(names()[3]).toBe('late');
  });

  it('drops a non-chosen server removed during the ping', async () => {
    const pinger = manualPinger();
    const { manager, names } = managerHarness({ pinger });
    for (const s of servers(3)) manager.addServer(s);
    const done = manager.rebalanceServers();
    await flushPromises();
    const chosen = pinger.pending[0]?.server.name as string;
    const other = ['s1', 's2', 's3'].find((n) => n !== chosen) as string;
    manager.removeServer(server(other));
    pinger.pending[0]?.resolve(true);
    await done;
    expect(names()[0]).toBe(chosen);
    expect(names()).not.toContain(other);
    expect(names()).toHaveLength(2);
  });

  it('freezes the live list in place when the chosen server is removed during the ping', async () => {
    const pinger = manualPinger();
    const { manager, events, names } = managerHarness({ pinger, random: createRandom(4) });
    for (const s of servers(4)) manager.addServer(s);
    const done = manager.rebalanceServers();
    await flushPromises();
    const chosen = pinger.pending[0]?.server.name as string;
    manager.removeServer(server(chosen));
    const live = names();
    events.length = 0;
    pinger.pending[0]?.resolve(true);
    await done;
    expect(names()).toEqual(live);
    expect(events).toEqual([`rebalanced:${live[0]}:frozen`]);
  });

  it('shares one in-flight rebalance between concurrent callers', async () => {
    const pinger = manualPinger();
    const { manager } = managerHarness({ pinger });
    manager.addServer(server('a'));
    const one = manager.rebalanceServers();
    expect(manager.rebalanceServers()).toBe(one);
    await flushPromises();
    expect(pinger.pending).toHaveLength(1);
    pinger.pending[0]?.resolve(true);
    await one;
    const three = manager.rebalanceServers();
    expect(three).not.toBe(one);
    await flushPromises();
    pinger.pending[1]?.resolve(true);
    await three;
  });

  it('aborts a ping at pingTimeout and not a millisecond before, then tries the next server', async () => {
    const pinger = manualPinger();
    const { manager, clock } = managerHarness({ pinger, pingTimeout: 2000 });
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
    // The timed-out server is re-pinged (it is suspect now); it answers this time.
    await flushPromises();
    pinger.pending[2]?.resolve(true);
    await done;
    expect(manager.findServer()?.name).toBe(pinger.pending[1]?.server.name);
    expect(clock.countTimers()).toBe(0);
  });

  it('abandons a hung ping at pingTimeout also on a signal that served earlier pings, where nothing an earlier ping left fires', async () => {
    const pinger = manualPinger();
    const { manager, clock } = managerHarness({ pinger, pingTimeout: 2000 });
    manager.addServer(server('a'));
    const fired: string[] = [];
    const first = manager.rebalanceServers();
    await flushPromises();
    const earlier = pinger.pending[0];
    earlier?.signal.addEventListener('abort', () => fired.push('left by the earlier ping'));
    earlier?.resolve(true);
    await first;
    const second = manager.rebalanceServers();
    await flushPromises();
    const hung = pinger.pending[1];
    // One signal for both: no AbortController per ping.
    expect(hung?.signal).toBe(earlier?.signal);
    clock.tick(1999);
    await flushPromises();
    expect(hung?.signal.aborted).toBe(false);
    expect(pinger.pending).toHaveLength(2);
    clock.tick(1);
    await flushPromises();
    expect(hung?.signal.reason).toBeInstanceOf(TimeoutError);
    await second;
    expect(manager.isOffline()).toBe(true);
    expect(fired).toEqual([]);
    expect(clock.countTimers()).toBe(0);
  });

  it('resolves stop() during a ping, aborts the ping, changes nothing and leaves no timer', async () => {
    const pinger = manualPinger();
    const { manager, clock, events, names } = managerHarness({ pinger, jitterFirstRebalance: false });
    for (const s of servers(3)) manager.addServer(s);
    manager.start();
    clock.tick(MIN_REUSE_DURATION_MS);
    await flushPromises();
    expect(pinger.pending).toHaveLength(1);
    const before = names();
    events.length = 0;
    await manager.stop();
    expect(pinger.pending[0]?.signal.aborted).toBe(true);
    expect(pinger.pending[0]?.signal.reason).toBeInstanceOf(StoppedError);
    expect(names()).toEqual(before);
    expect(events).toEqual([]);
    expect(clock.countTimers()).toBe(0);
    pinger.pending[0]?.resolve(true);
    await flushPromises();
    expect(names()).toEqual(before);
  });

  it('resolves without pinging after stop()', async () => {
    const pinger = scriptedPinger(() => true);
    const { manager } = managerHarness({ pinger });
    manager.addServer(server('a'));
    await manager.stop();
    await manager.rebalanceServers();
    expect(pinger.pinged).toEqual([]);
  });
});

describe('ServerManager dead-server cleanup', () => {
  /** 5 servers, `dead` marked failed by membership at t = 0 and never answering a ping. */
  async function withDead(dead: string[], options: Parameters<typeof managerHarness>[0] = {}) {
    const down = new Set(dead);
    const pinger = scriptedPinger((s: Server) => !down.has(s.name));
    const h = managerHarness({ pinger, deadServerTimeout: 60_000, ...options });
    for (const s of servers(5)) h.manager.addServer(s);
    for (const name of dead) h.manager.applyMembershipEvent({ type: 'failed', server: server(name) });
    await flushPromises();
    return { ...h, down };
  }

  it('removes a server failed for deadServerTimeout at the next rebalance, and not a millisecond before', async () => {
    const { manager, clock, names, events } = await withDead(['s3']);
    clock.tick(59_999);
    await manager.rebalanceServers();
    expect(names()).toContain('s3');
    clock.tick(1);
    await manager.rebalanceServers();
    expect(names()).not.toContain('s3');
    expect(events).toContain('removed:s3:dead');
  });

  it('keeps a failed server that answers a re-ping before the timeout', async () => {
    const { manager, clock, names, down } = await withDead(['s3']);
    clock.tick(30_000);
    down.clear();
    await manager.rebalanceServers();
    clock.tick(60_000);
    await manager.rebalanceServers();
    expect(names()).toContain('s3');
  });

  it('removes at most a minority of the list per round (2 of 5, then 1 of 3), oldest failure first', async () => {
    const { manager, clock, names, down } = await withDead(['s4']);
    for (const name of ['s2', 's3']) {
      clock.tick(1000);
      down.add(name);
      manager.applyMembershipEvent({ type: 'failed', server: server(name) });
      await flushPromises();
    }
    clock.tick(60_000);
    await manager.rebalanceServers();
    // All three are past the timeout; s4 failed first, then s2: those two go.
    expect(names().sort()).toEqual(['s1', 's3', 's5']);
    await manager.rebalanceServers();
    expect(names().sort()).toEqual(['s1', 's5']);
  });

  it('never removes a server from a list of two (a minority of 2 is 0)', async () => {
    const pinger = scriptedPinger((s: Server) => s.name !== 'dead');
    const { manager, clock, names } = managerHarness({ pinger, deadServerTimeout: 1000, failureThreshold: 1 });
    manager.addServer(server('good'));
    manager.addServer(server('dead'));
    manager.notifyFailedServer(server('dead'));
    clock.tick(10_000);
    await manager.rebalanceServers();
    expect(names()).toEqual(['good', 'dead']);
  });

  it('removes nothing while no server is healthy (the agent is more likely cut off)', async () => {
    const { manager, clock, names } = await withDead(['s1', 's2', 's3', 's4', 's5']);
    clock.tick(600_000);
    await manager.rebalanceServers();
    expect(names()).toHaveLength(5);
  });

  it('never removes a healthy server and lets membership add a removed one back', async () => {
    const { manager, clock, names, events } = await withDead(['s5']);
    clock.tick(60_000);
    await manager.rebalanceServers();
    expect(names().sort()).toEqual(['s1', 's2', 's3', 's4']);
    manager.applyMembershipEvent({ type: 'join', server: server('s5') });
    await flushPromises();
    expect(names()).toContain('s5');
    expect(events.filter((e) => e.endsWith(':s5') || e.includes(':s5:'))).toEqual(['up:s5', 'removed:s5:dead', 'up:s5']);
  });

  it('removes nothing when the chosen server left during the pings and none of the rest is healthy', async () => {
    const pinger = manualPinger();
    const { manager, clock, names } = managerHarness({ pinger, deadServerTimeout: 60_000 });
    for (const s of servers(5)) manager.addServer(s);
    for (const name of ['s2', 's3', 's4', 's5']) manager.applyMembershipEvent({ type: 'failed', server: server(name) });
    await flushPromises();
    clock.tick(60_000);
    const done = manager.rebalanceServers();
    await flushPromises();
    expect(pinger.pending[0]?.server.name).toBe('s1');
    manager.removeServer(server('s1'));
    pinger.pending[0]?.resolve(true);
    await flushPromises();
    for (const p of pinger.pending.slice(1)) p.resolve(false);
    await done;
    expect(names().sort()).toEqual(['s2', 's3', 's4', 's5']);
  });

  it('is off with cleanupDeadServers: false', async () => {
    const { manager, clock, names } = await withDead(['s3'], { cleanupDeadServers: false });
    clock.tick(600_000);
    await manager.rebalanceServers();
    expect(names()).toContain('s3');
  });
});
