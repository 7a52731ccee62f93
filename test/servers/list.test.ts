import { describe, expect, it } from 'vitest';
import { NO_SERVERS_LOG_INTERVAL_MS, type ServerManager } from '../../src/servers/serverManager.js';
import type { Server } from '../../src/servers/types.js';
import { flushPromises, managerHarness, server, servers } from '../helpers/index.js';

describe('ServerManager list', () => {
  it('is offline and empty at construction', () => {
    const { manager } = managerHarness();
    expect(manager.isOffline()).toBe(true);
    expect(manager.numServers()).toBe(0);
    expect(manager.findServer()).toBeUndefined();
  });

  it('appends an unknown server, emits serverUp then online, and clears offline when adding', () => {
    const { manager, events, names } = managerHarness();
    manager.addServer(server('a'));
    manager.addServer(server('b'));
    expect(names()).toEqual(['a', 'b']);
    expect(manager.isOffline()).toBe(false);
    expect(events).toEqual(['up:a', 'online', 'up:b']);
  });

  it('replaces a known server in place without serverUp when adding the same name', () => {
    const { manager, events, names } = managerHarness();
    manager.addServer(server('a'));
    manager.addServer(server('b'));
    manager.addServer(server('a', { address: 'moved:1' }));
    expect(names()).toEqual(['a', 'b']);
    expect(manager.findServer()).toEqual(server('a', { address: 'moved:1' }));
    expect(events).toEqual(['up:a', 'online', 'up:b']);
  });

  it.each([
    null,
    {},
    { name: 5, address: 'x' },
    { name: '', address: 'x' },
    { name: 'a' },
    { name: 'a', address: 'x', version: 'v2' },
    { name: 'a', address: 'x', meta: 'm' },
    { name: 'a', address: 'x', meta: { k: 1 } },
    { name: 'a', address: 'x', useTLS: 'yes' },
    { name: 'a', address: 'x', datacenter: 3 },
  ])('refuses %j with a TypeError and keeps the list when adding, removing, failing or draining', (bad) => {
    const { manager, events, names } = managerHarness();
    manager.addServer(server('a'));
    manager.addServer(server('b'));
    const before = events.length;
    expect(() => manager.addServer(bad as unknown as Server)).toThrow(TypeError);
    expect(() => manager.removeServer(bad as unknown as Server)).toThrow(TypeError);
    expect(() => manager.notifyFailedServer(bad as unknown as Server)).toThrow(TypeError);
    expect(() => manager.drain(bad as unknown as Server)).toThrow(TypeError);
    expect(names()).toEqual(['a', 'b']);
    expect(events.length).toBe(before);
  });

  it('removes by name with reason removed, and ignores unknown names', () => {
    const { manager, events, names } = managerHarness();
    manager.addServer(server('a'));
    manager.addServer(server('b'));
    manager.removeServer(server('a', { address: 'other' }));
    manager.removeServer(server('zz'));
    expect(names()).toEqual(['b']);
    expect(events.filter((e) => e.startsWith('removed'))).toEqual(['removed:a:removed']);
  });

  it('returns the same front object from findServer until the list changes', () => {
    const { manager } = managerHarness();
    manager.addServer(server('a'));
    manager.addServer(server('b'));
    const front = manager.findServer();
    expect(front?.name).toBe('a');
    expect(manager.findServer()).toBe(front);
  });

  it('warns about an empty list at most once a minute on the clock', () => {
    const { manager, clock, log } = managerHarness();
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

  it('hands out copies from servers() so callers cannot change the list', () => {
    const { manager } = managerHarness();
    manager.addServer(server('a'));
    manager.servers().push(server('x'));
    expect(manager.numServers()).toBe(1);
  });
});

describe('ServerManager keeps its own copies', () => {
  it('is not corrupted when the caller renames or re-addresses its object after adding it', () => {
    const { manager, names } = managerHarness();
    const mine: Server = { name: 'a', address: '10.0.0.1:8300', meta: { zone: 'z1' } };
    manager.addServer(mine);
    manager.addServer(server('b'));
    mine.name = 'b';
    mine.address = 'evil:1';
    (mine.meta as Record<string, string>).zone = 'z9';
    expect(names()).toEqual(['a', 'b']);
    expect(manager.findServer()).toEqual({ name: 'a', address: '10.0.0.1:8300', meta: { zone: 'z1' } });
    manager.removeServer(server('a'));
    expect(names()).toEqual(['b']);
  });

  it('hands out frozen servers, so a caller cannot mutate the list through them either', () => {
    const { manager } = managerHarness();
    manager.addServer({ name: 'a', address: 'x', meta: { k: 'v' } });
    const handed = manager.findServer() as Server;
    expect(Object.isFrozen(handed)).toBe(true);
    expect(Object.isFrozen(handed.meta)).toBe(true);
    expect(() => {
      (handed as { name: string }).name = 'zz';
    }).toThrow(TypeError);
    expect(manager.servers()[0]?.name).toBe('a');
  });

  it('copies every entry path: setServers, backups, heartbeats and membership events', async () => {
    const { manager, names } = managerHarness();
    const p = [server('p1')];
    const b = [server('b1')];
    const h = [server('h1')];
    const j = server('j1');
    manager.setServers(p);
    manager.setBackupServers(b);
    manager.updateFromHeartbeat({ servers: [...h, server('p1')], numNodes: 1 });
    manager.applyMembershipEvent({ type: 'join', server: j });
    for (const s of [p[0], b[0], h[0], j]) (s as Server).name = 'renamed';
    await flushPromises();
    expect(names().sort()).toEqual(['b1', 'h1', 'j1', 'p1']);
  });

  it('shares a frozen server object across managers instead of copying it', () => {
    const shared = Object.freeze({ name: 'a', address: 'x', meta: Object.freeze({ k: 'v' }) });
    const one = managerHarness().manager;
    const two = managerHarness().manager;
    one.addServer(shared);
    two.addServer(shared);
    expect(one.findServer()).toBe(shared);
    expect(two.findServer()).toBe(shared);
  });

  it('copies a frozen server whose name is a getter (it could change)', () => {
    let name = 'a';
    const tricky = Object.freeze({
      get name() {
        return name;
      },
      address: 'x',
    });
    const { manager, names } = managerHarness();
    manager.addServer(tricky);
    name = 'b';
    expect(names()).toEqual(['a']);
  });
});

describe('ServerManager primaries before backups', () => {
  const isBackup = (m: ServerManager) => m.health().map((h) => h.backup);
  /** Primaries first: the backup flags never go from true back to false. */
  const ordered = (m: ServerManager) => {
    const flags = isBackup(m);
    return flags.every((b, i) => i === 0 || !(flags[i - 1] === true && !b));
  };

  it('puts a server added after the backups in front of them (the order docs promise)', () => {
    const { manager, names } = managerHarness();
    manager.setBackupServers([server('b1'), server('b2')]);
    manager.addServer(server('p1'));
    expect(names()).toEqual(['p1', 'b1', 'b2']);
    expect(manager.findServer()?.name).toBe('p1');
  });

  it('puts heartbeat servers in front of the backups and keeps backups through heartbeats', () => {
    const { manager, names, events } = managerHarness();
    manager.setServers([server('p1')]);
    manager.setBackupServers([server('b1'), server('b2')]);
    manager.setBackupServers([server('b2'), server('b3')]);
    expect(names()).toEqual(['p1', 'b2', 'b3']);
    manager.updateFromHeartbeat({ servers: [server('p2')], numNodes: 3 });
    expect(names()).toEqual(['p2', 'b2', 'b3']);
    expect(manager.findServer()?.name).toBe('p2');
    expect(events).toEqual(['up:p1', 'online', 'up:b1', 'up:b2', 'up:b3', 'removed:b1:replaced', 'up:p2', 'removed:p1:heartbeat']);
  });

  it('puts joined servers in front of the backups', async () => {
    const { manager, names } = managerHarness();
    manager.setBackupServers([server('b1')]);
    manager.applyMembershipEvent({ type: 'join', server: server('p1') });
    await flushPromises();
    expect(names()).toEqual(['p1', 'b1']);
  });

  it('promotes a backup the cluster names as a primary, keeping its health', () => {
    const { manager, names } = managerHarness();
    manager.setServers([server('p1')]);
    manager.setBackupServers([server('b1'), server('b2')]);
    manager.notifyFailedServer(server('b1'));
    manager.addServer(server('b1'));
    expect(names()).toEqual(['p1', 'b1', 'b2']);
    expect(manager.health().map((h) => `${h.server.name}:${h.backup}:${h.state}`)).toEqual(['p1:false:healthy', 'b1:false:suspect', 'b2:true:healthy']);
  });

  it('keeps a name that is both a primary and a backup as a primary', () => {
    const { manager, names } = managerHarness();
    manager.setServers([server('a'), server('c')]);
    manager.setBackupServers([server('a'), server('b')]);
    expect(names().slice(-1)).toEqual(['b']);
    expect(manager.health().filter((h) => h.backup).map((h) => h.server.name)).toEqual(['b']);
    expect(ordered(manager)).toBe(true);
  });

  it('hands out a backup when no primary is known, and reaches one through failures only after every primary failed', () => {
    const { manager } = managerHarness();
    manager.setBackupServers([server('b1')]);
    expect(manager.findServer()?.name).toBe('b1');
    manager.setServers([server('p1'), server('p2')]);
    manager.notifyFailedServer(manager.findServer() as Server);
    expect(manager.findServer()?.name.startsWith('p')).toBe(true);
    manager.notifyFailedServer(manager.findServer() as Server);
    expect(manager.findServer()?.name).toBe('b1');
  });
});

describe('ServerManager API-version filter on every entry path', () => {
  const tooNew = server('new', { version: 3 });
  const fine = server('old', { version: 2 });

  it('ignores a too-new server from addServer, setServers, setBackupServers, heartbeats, join and update', async () => {
    const { manager, names } = managerHarness({ apiVersion: 2 });
    manager.addServer(tooNew);
    manager.setServers([fine, tooNew]);
    manager.setBackupServers([tooNew, server('b1')]);
    manager.updateFromHeartbeat({ servers: [fine, tooNew], numNodes: 2 });
    manager.applyMembershipEvent({ type: 'join', server: tooNew });
    manager.applyMembershipEvent({ type: 'update', server: tooNew });
    await flushPromises();
    expect(names()).toEqual(['old', 'b1']);
  });

  it('removes a listed server that upgraded past apiVersion, with reason apiVersion', async () => {
    const { manager, events, names } = managerHarness({ apiVersion: 2 });
    manager.addServer(server('a', { version: 2 }));
    manager.addServer(server('b', { version: 2 }));
    manager.applyMembershipEvent({ type: 'update', server: server('a', { version: 3 }) });
    await flushPromises();
    manager.setServers([server('b', { version: 3 })]);
    expect(names()).toEqual([]);
    expect(events.filter((e) => e.startsWith('removed'))).toEqual(['removed:a:apiVersion', 'removed:b:apiVersion']);
  });

  it('warns about a filtered server at most once per server per 3 hours on the clock', () => {
    const { manager, clock, log } = managerHarness({ apiVersion: 1 });
    const mismatches = () => log.warnings().filter((l) => l.msg.includes('newer API version')).length;
    const beat = () => manager.updateFromHeartbeat({ servers: [server('old', { version: 1 }), server('new', { version: 2 })], numNodes: 2 });
    beat();
    manager.addServer(server('new', { version: 2 }));
    expect(mismatches()).toBe(1);
    clock.tick(3 * 60 * 60 * 1000 - 1);
    beat();
    expect(mismatches()).toBe(1);
    clock.tick(1);
    beat();
    expect(mismatches()).toBe(2);
  });

  it('keeps every version when no apiVersion is set', () => {
    const { manager, names } = managerHarness();
    manager.updateFromHeartbeat({ servers: [server('x', { version: 99 })], numNodes: 1 });
    manager.addServer(server('y', { version: 1e9 }));
    expect(names()).toEqual(['x', 'y']);
  });
});

describe('ServerManager with more servers', () => {
  it('keeps 20 servers in order through adds, removals and rotations', () => {
    const { manager, names } = managerHarness();
    for (const s of servers(20)) manager.addServer(s);
    manager.removeServer(server('s10'));
    manager.notifyFailedServer(server('s1'));
    const expected = servers(20).map((s) => s.name).filter((n) => n !== 's10' && n !== 's1');
    expect(names()).toEqual([...expected, 's1']);
    expect(manager.findServer()?.name).toBe('s2');
  });
});
