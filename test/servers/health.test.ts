import { describe, expect, it } from 'vitest';
import type { Server } from '../../src/servers/types.js';
import { flushPromises, managerHarness, scriptedPinger, server, servers } from '../helpers/index.js';

const fail = () => Promise.reject(new Error('rpc failed'));
const ok = () => Promise.resolve('ok');

describe('ServerManager health', () => {
  it('starts every listed server healthy, stable since it was listed', () => {
    const { manager, clock } = managerHarness();
    clock.tick(5000);
    manager.addServer(server('a'));
    expect(manager.health()).toEqual([
      {
        server: server('a'),
        state: 'healthy',
        healthy: true,
        backup: false,
        consecutiveFailures: 0,
        lastSuccess: undefined,
        lastFailure: undefined,
        lastContact: undefined,
        stableSince: 5000,
      },
    ]);
  });

  it('goes healthy → suspect → failed after failureThreshold failed calls in a row, with an event at each change', async () => {
    const { manager, clock, health, states } = managerHarness({ failureThreshold: 3 });
    manager.addServer(server('a'));
    await expect(manager.call(fail)).rejects.toThrow('rpc failed');
    expect(states()).toEqual(['a:suspect']);
    clock.tick(10);
    await expect(manager.call(fail)).rejects.toThrow();
    expect(states()).toEqual(['a:suspect']);
    clock.tick(10);
    await expect(manager.call(fail)).rejects.toThrow();
    expect(states()).toEqual(['a:failed']);
    expect(health).toEqual(['a:healthy>suspect:call', 'a:suspect>failed:call']);
    const [h] = manager.health();
    expect(h).toMatchObject({ consecutiveFailures: 3, lastFailure: 20, stableSince: 20, healthy: false });
  });

  it('re-admits a failed server on a successful call and resets its failures', async () => {
    const { manager, clock, health } = managerHarness({ failureThreshold: 1 });
    manager.addServer(server('a'));
    await expect(manager.call(fail)).rejects.toThrow();
    clock.tick(100);
    await expect(manager.call(ok)).resolves.toBe('ok');
    expect(health).toEqual(['a:healthy>failed:call', 'a:failed>healthy:call']);
    clock.tick(50);
    expect(manager.health()[0]).toMatchObject({ state: 'healthy', consecutiveFailures: 0, lastSuccess: 100, lastContact: 50, stableSince: 100 });
  });

  it('counts notifyFailedServer failures for any listed server, rotating only the chosen one', () => {
    const { manager, names, states } = managerHarness();
    for (const s of servers(3)) manager.addServer(s);
    manager.notifyFailedServer(server('s2'));
    expect(names()).toEqual(['s1', 's2', 's3']);
    expect(states()).toEqual(['s1:healthy', 's2:suspect', 's3:healthy']);
    manager.notifyFailedServer(server('s1'));
    expect(names()).toEqual(['s2', 's3', 's1']);
    // s2 is suspect: the first healthy server is chosen.
    expect(manager.findServer()?.name).toBe('s3');
  });

  it('never chooses a failed server while a healthy one exists, and prefers suspect to failed', () => {
    const { manager } = managerHarness({ failureThreshold: 2 });
    for (const s of servers(3)) manager.addServer(s);
    for (let i = 0; i < 2; i++) manager.notifyFailedServer(server('s1'));
    manager.notifyFailedServer(server('s2'));
    manager.notifyFailedServer(server('s3'));
    // s1 failed, s2 and s3 suspect: a suspect one is chosen, never s1.
    expect(['s2', 's3']).toContain(manager.findServer()?.name);
    manager.notifyFailedServer(server('s2'));
    manager.notifyFailedServer(server('s3'));
    // All failed: the first in list order is better than nothing.
    expect(manager.findServer()).toBeDefined();
  });

  it('marks a server failed at once on a membership failed event, and re-admits it on join', async () => {
    const { manager, health, states } = managerHarness();
    manager.addServer(server('a'));
    manager.addServer(server('b'));
    manager.applyMembershipEvent({ type: 'failed', server: server('a') });
    await flushPromises();
    expect(states()).toEqual(['a:failed', 'b:healthy']);
    expect(manager.findServer()?.name).toBe('b');
    manager.applyMembershipEvent({ type: 'update', server: server('a', { address: 'moved' }) });
    await flushPromises();
    expect(states()).toEqual(['a:failed', 'b:healthy']);
    manager.applyMembershipEvent({ type: 'join', server: server('a') });
    await flushPromises();
    expect(states()).toEqual(['a:healthy', 'b:healthy']);
    expect(health).toEqual(['a:healthy>failed:membership', 'a:failed>healthy:membership']);
  });

  it('ignores failed and draining events for servers it does not list', async () => {
    const { manager, names } = managerHarness();
    manager.applyMembershipEvent({ type: 'failed', server: server('x') });
    manager.applyMembershipEvent({ type: 'draining', server: server('y') });
    await flushPromises();
    expect(names()).toEqual([]);
  });

  it('ignores a late call result for a server that left the list', async () => {
    const { manager, health } = managerHarness();
    manager.addServer(server('a'));
    let reject: (err: Error) => void = () => undefined;
    const pending = manager.call(() => new Promise((_r, rej) => (reject = rej)));
    manager.removeServer(server('a'));
    manager.addServer(server('a'));
    reject(new Error('late'));
    await expect(pending).rejects.toThrow('late');
    expect(manager.health()[0]?.state).toBe('healthy');
    expect(health).toEqual([]);
  });
});

describe('ServerManager drain', () => {
  it('never chooses a draining server and moves it away at once', () => {
    const { manager, names, health } = managerHarness();
    for (const s of servers(3)) manager.addServer(s);
    expect(manager.drain(server('s1'))).toBe(true);
    expect(names()).toEqual(['s2', 's3', 's1']);
    expect(manager.findServer()?.name).toBe('s2');
    expect(health).toEqual(['s1:healthy>draining:drain']);
    expect(manager.drain(server('zz'))).toBe(false);
  });

  it('chooses no server when every listed one is draining', async () => {
    const { manager } = managerHarness();
    manager.addServer(server('a'));
    manager.drain(server('a'));
    expect(manager.findServer()).toBeUndefined();
    await expect(manager.call(ok)).rejects.toThrow('no servers');
  });

  it('drains on a draining membership event and removes the server when it leaves', async () => {
    const { manager, names, events } = managerHarness();
    manager.addServer(server('a'));
    manager.addServer(server('b'));
    manager.applyMembershipEvent({ type: 'draining', server: server('a') });
    await flushPromises();
    expect(manager.findServer()?.name).toBe('b');
    manager.applyMembershipEvent({ type: 'leave', server: server('a') });
    await flushPromises();
    expect(names()).toEqual(['b']);
    expect(events).toContain('removed:a:leave');
  });

  it('keeps a draining server draining through failures and successes, and re-admits it on join', async () => {
    const { manager, states } = managerHarness();
    manager.addServer(server('a'));
    manager.addServer(server('b'));
    manager.drain(server('a'));
    manager.notifyFailedServer(server('a'));
    expect(states()).toEqual(['b:healthy', 'a:draining']);
    manager.applyMembershipEvent({ type: 'join', server: server('a') });
    await flushPromises();
    expect(states()).toEqual(['b:healthy', 'a:healthy']);
  });

  it('never pings a draining server in a rebalance', async () => {
    const pinger = scriptedPinger(() => true);
    const { manager } = managerHarness({ pinger });
    manager.addServer(server('a'));
    manager.addServer(server('b'));
    manager.drain(server('a'));
    for (let i = 0; i < 10; i++) await manager.rebalanceServers();
    expect(pinger.pinged.every((n) => n === 'b')).toBe(true);
    expect(manager.findServer()?.name).toBe('b');
  });
});

describe('ServerManager with health off (Consul behaviour)', () => {
  it('keeps choosing by list order: a failed server only rotates to the back', async () => {
    const { manager, states } = managerHarness({ health: false, failureThreshold: 1 });
    for (const s of servers(3)) manager.addServer(s);
    await expect(manager.call(fail)).rejects.toThrow();
    expect(states()).toEqual(['s2:healthy', 's3:healthy', 's1:failed']);
    manager.applyMembershipEvent({ type: 'failed', server: server('s2') });
    await flushPromises();
    // Health is still reported, but the list order alone decides.
    expect(manager.findServer()?.name).toBe('s2');
  });

  it('divides the rate cap by every listed server, reachable or not', async () => {
    const on = managerHarness({ clusterSize: () => 100_000, random: () => 0.5 });
    const off = managerHarness({ clusterSize: () => 100_000, random: () => 0.5, health: false });
    for (const { manager } of [on, off]) {
      for (const s of servers(5)) manager.addServer(s);
      for (const s of ['s2', 's3', 's4', 's5']) manager.applyMembershipEvent({ type: 'failed', server: server(s) });
    }
    await flushPromises();
    expect(on.manager.rebalanceDelay()).toBe(1_562_500);
    expect(off.manager.rebalanceDelay()).toBe(312_500);
  });

  it('does not re-ping failed servers or clean them up', async () => {
    const pinger = scriptedPinger((s: Server) => s.name !== 'dead');
    const { manager, clock, names } = managerHarness({ pinger, health: false, deadServerTimeout: 1000 });
    for (const name of ['good1', 'good2', 'dead']) manager.addServer(server(name));
    manager.applyMembershipEvent({ type: 'failed', server: server('dead') });
    await flushPromises();
    clock.tick(2000);
    pinger.pinged.length = 0;
    await manager.rebalanceServers();
    expect(names().sort()).toEqual(['dead', 'good1', 'good2']);
    // One ping found a good server; the failed one was not pinged again.
    expect(pinger.pinged.length === 1 || pinger.pinged[0] === 'dead').toBe(true);
  });
});
