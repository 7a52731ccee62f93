import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/shared/random.js';
import type { Server } from '../../src/servers/types.js';
import { flushPromises, managerHarness, server, servers } from '../helpers/index.js';

describe('ServerManager setServers', () => {
  it('returns false and keeps a rotated order and the health when the names are unchanged (Nomad #4997)', () => {
    const { manager, events, names, states } = managerHarness();
    expect(manager.setServers(servers(3))).toBe(true);
    manager.notifyFailedServer(manager.findServer() as Server);
    const rotated = names();
    const before = states();
    events.length = 0;
    const fresh = servers(3).reverse().map((s) => ({ ...s, address: 'new' }));
    expect(manager.setServers(fresh)).toBe(false);
    expect(names()).toEqual(rotated);
    expect(states()).toEqual(before);
    expect(manager.servers().every((s) => s.address === 'new')).toBe(true);
    expect(events).toEqual([]);
  });

  it('replaces the list with a shuffled copy and reports what appeared and disappeared', () => {
    const { manager, events, names } = managerHarness({ random: createRandom(8) });
    manager.setServers(servers(3));
    events.length = 0;
    expect(manager.setServers([server('s2'), server('s3'), server('s4'), server('s5'), server('s6')])).toBe(true);
    expect([...names()].sort()).toEqual(['s2', 's3', 's4', 's5', 's6']);
    expect(events.sort()).toEqual(['removed:s1:replaced', 'up:s4', 'up:s5', 'up:s6']);
  });

  it('keeps the health of servers it keeps', () => {
    const { manager } = managerHarness();
    manager.setServers(servers(3));
    manager.notifyFailedServer(server('s2'));
    manager.setServers([server('s2'), server('s4')]);
    expect(manager.health().find((h) => h.server.name === 's2')?.state).toBe('suspect');
  });

  it('clears offline when the new list is not empty, and not when it is', () => {
    const { manager, events } = managerHarness();
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
    const { manager, names } = managerHarness();
    manager.setServers(servers(2));
    const before = names();
    expect(() => manager.setServers(bad as unknown as Server[])).toThrow(TypeError);
    expect(names()).toEqual(before);
  });

  it('handles 20,000 servers, replaced by 20,000 half-overlapping ones, with exact events', () => {
    const { manager } = managerHarness({ random: createRandom(3) });
    let up = 0;
    let removed = 0;
    manager.on('serverUp', () => up++);
    manager.on('serverRemoved', () => removed++);
    expect(manager.setServers(servers(20_000, 'a'))).toBe(true);
    const next = [...servers(10_000, 'a'), ...servers(10_000, 'b')];
    expect(manager.setServers(next)).toBe(true);
    expect(manager.numServers()).toBe(20_000);
    expect(up).toBe(30_000);
    expect(removed).toBe(10_000);
    expect(new Set(manager.servers().map((s) => s.name)).size).toBe(20_000);
    expect(manager.setServers(next.slice().reverse())).toBe(false);
  });
});

describe('ServerManager setBackupServers', () => {
  it('drops the old backups when replaced, keeping the ones still named in place', () => {
    const { manager, names } = managerHarness();
    manager.setServers([server('p1')]);
    manager.setBackupServers([server('b1'), server('b2'), server('b3')]);
    manager.setBackupServers([server('b4'), server('b3'), server('b1')]);
    expect(names()).toEqual(['p1', 'b1', 'b3', 'b4']);
  });

  it('brings an offline manager online when a backup enters the list', () => {
    const { manager, events } = managerHarness();
    manager.setBackupServers([server('b1')]);
    expect(manager.isOffline()).toBe(false);
    expect(events).toEqual(['up:b1', 'online']);
  });

  it('refuses a duplicate name with a TypeError and keeps the backups', () => {
    const { manager, names } = managerHarness();
    manager.setBackupServers([server('b1')]);
    expect(() => manager.setBackupServers([server('b2'), server('b2')])).toThrow(TypeError);
    expect(names()).toEqual(['b1']);
  });
});

describe('ServerManager updateFromHeartbeat', () => {
  it('appends new servers, removes missing ones, updates known ones in place, and records size and leader', () => {
    const { manager, events, names } = managerHarness();
    for (const s of ['a', 'b', 'c']) manager.addServer(server(s));
    events.length = 0;
    manager.updateFromHeartbeat({ servers: [server('d'), server('b', { address: 'moved' }), server('a')], numNodes: 250, leaderAddress: '10.0.0.9:4647' });
    expect(names()).toEqual(['a', 'b', 'd']);
    expect(manager.servers()[1]?.address).toBe('moved');
    expect(manager.numNodes()).toBe(250);
    expect(manager.leaderAddress()).toBe('10.0.0.9:4647');
    expect(events).toEqual(['up:d', 'removed:c:heartbeat']);
  });

  it('skips a malformed entry with a rate-limited warning and applies the good ones, removing nothing this time', () => {
    const { manager, clock, log, names } = managerHarness();
    manager.addServer(server('a'));
    manager.addServer(server('gone'));
    const beat = () =>
      manager.updateFromHeartbeat({ servers: [server('a'), { name: 7 } as unknown as Server, server('a'), server('c')], numNodes: 3 });
    const warnings = () => log.warnings().filter((l) => l.msg.includes('malformed server entry')).length;
    beat();
    expect(names()).toEqual(['a', 'gone', 'c']);
    expect(warnings()).toBe(1);
    clock.tick(59_999);
    beat();
    expect(warnings()).toBe(1);
    clock.tick(1);
    beat();
    expect(warnings()).toBe(2);
    // A clean heartbeat then removes what it lacks.
    manager.updateFromHeartbeat({ servers: [server('a')], numNodes: 1 });
    expect(names()).toEqual(['a']);
  });

  it.each([
    ['not an object', 5],
    ['servers missing', { numNodes: 3 }],
    ['servers not an array', { servers: 'a,b', numNodes: 3 }],
    ['numNodes NaN', { servers: [server('z')], numNodes: Number.NaN }],
    ['numNodes a string', { servers: [server('z')], numNodes: '3' }],
    ['a bad leader address', { servers: [server('z')], numNodes: 3, leaderAddress: 7 }],
  ])('refuses a heartbeat with %s and changes nothing', (_l, bad) => {
    const { manager, names } = managerHarness();
    manager.addServer(server('a'));
    manager.setNumNodes(10);
    expect(() => manager.updateFromHeartbeat(bad as never)).toThrow(/heartbeat/);
    expect(names()).toEqual(['a']);
    expect(manager.numNodes()).toBe(10);
  });
});

describe('ServerManager applyMembershipEvent', () => {
  it('applies join, update and leave asynchronously and in order', async () => {
    const { manager } = managerHarness();
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
    const { manager, log } = managerHarness();
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
    const { manager, names } = managerHarness();
    manager.applyMembershipEvent({ type: 'join', server: server('ok') });
    expect(() => manager.applyMembershipEvent(bad as never)).toThrow(TypeError);
    expect(manager.membershipBacklog()).toBe(1);
    await flushPromises();
    expect(names()).toEqual(['ok']);
  });

  it('keeps applying when a listener changes the list from inside an event (re-entrant calls)', async () => {
    const { manager, names } = managerHarness();
    manager.on('serverUp', (s) => {
      if (s.name === 'a') manager.removeServer(server('a'));
      if (s.name === 'b') manager.addServer(server('c'));
    });
    manager.applyMembershipEvent({ type: 'join', server: server('a') });
    manager.applyMembershipEvent({ type: 'join', server: server('b') });
    await flushPromises();
    expect(names()).toEqual(['b', 'c']);
    expect(manager.findServer()?.name).toBe('b');
  });
});

describe('ServerManager events', () => {
  it('keeps working and logs when a listener throws', () => {
    const { manager, log } = managerHarness();
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
