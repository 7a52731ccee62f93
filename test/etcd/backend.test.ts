// Integration tests of the etcd backend against a real 3-member loopback cluster
// (client ports 24791-24793). Real processes and real time: each test sets its
// own timeout and every wait is bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { createEtcdBackend, type EtcdBackend } from '../../src/etcd/index.js';
import type { MembershipEvent, Service } from '../../src/catalog/backend.js';
import type { Server } from '../../src/servers/types.js';
import { EtcdCluster, etcdAvailable, opensslAvailable } from '../helpers/etcdCluster.js';
import { until } from '../helpers/index.js';
import { isNodeConflictError, type NodeConflictError } from '../../src/catalog/errors.js';
import type { EtcdSession } from '../../src/etcd/session.js';

const run = etcdAvailable();
const signal = (): AbortSignal => new AbortController().signal;
const svc = (id: string, port = 80): Service => ({ id, name: `svc-${id}`, address: '10.0.0.1', port, tags: ['t'], meta: { b: '2', a: '1' } });

describe.skipIf(!run)('etcd backend (real cluster)', () => {
  let cluster: EtcdCluster;
  let backend: EtcdBackend;
  let servers: Server[];
  const server = (i: number): Server => servers[i] as Server;

  beforeAll(async () => {
    cluster = new EtcdCluster({ basePort: 24791 });
    await cluster.start();
    backend = createEtcdBackend({ endpoints: cluster.endpoints, prefix: '/t-backend', callTimeout: 1000, pollMembersInterval: 200 });
    servers = backend.initialServers();
  }, 60_000);

  afterAll(async () => {
    await backend?.close();
    await cluster?.stop();
  }, 30_000);

  it('puts, lists sorted by id, and deletes services when the session is live', async () => {
    const session = await backend.openSession(server(0), 'node-a', 5000, signal());
    const c = backend.client(server(1));
    await c.putService('node-a', svc('b'), session.id, signal());
    await c.putService('node-a', svc('a'), session.id, signal());
    await c.putService('node-a', svc('c/slash'), session.id, signal());
    // Read back through a different member: the write is committed cluster-wide.
    expect(await backend.client(server(2)).listServices('node-a', signal())).toEqual([svc('a'), svc('b'), svc('c/slash')]);
    await c.deleteService('node-a', 'b', signal());
    await c.deleteService('node-a', 'missing', signal()); // deleting nothing succeeds
    expect((await c.listServices('node-a', signal())).map((s) => s.id)).toEqual(['a', 'c/slash']);
    expect(await c.listServices('node-nobody', signal())).toEqual([]);
    await session.close();
  }, 15_000);

  it('counts registered nodes with a count-only range and drops a node when its session closes', async () => {
    const c = backend.client(server(0));
    const before = await c.countNodes(signal());
    const s1 = await backend.openSession(server(0), 'count-1', 5000, signal());
    const s2 = await backend.openSession(server(1), 'count-2', 5000, signal());
    await c.putService('count-1', svc('x'), s1.id, signal());
    expect(await c.countNodes(signal())).toBe(before + 2); // services do not count as nodes
    await s1.close();
    expect(await c.countNodes(signal())).toBe(before + 1);
    expect(await c.listServices('count-1', signal())).toEqual([]); // revoked lease took its entries
    await s2.close();
    expect(await c.countNodes(signal())).toBe(before);
  }, 15_000);

  it('writes byte-identical values for equal services', async () => {
    const session = await backend.openSession(server(0), 'node-bytes', 5000, signal());
    const c = backend.client(server(0));
    await c.putService('node-bytes', { meta: { a: '1', b: '2' }, tags: ['t'], port: 80, address: '10.0.0.1', name: 'svc-x', id: 'x' }, session.id, signal());
    const admin = cluster.adminClient();
    const first = await admin.get('/t-backend/nodes/node-bytes/services/x').string();
    await c.putService('node-bytes', svc('x'), session.id, signal());
    expect(await admin.get('/t-backend/nodes/node-bytes/services/x').string()).toBe(first);
    admin.close();
    await session.close();
  }, 15_000);

  it('reports a corrupted entry as a placeholder instead of failing the listing', async () => {
    const session = await backend.openSession(server(0), 'node-corrupt', 5000, signal());
    const c = backend.client(server(0));
    await c.putService('node-corrupt', svc('ok'), session.id, signal());
    const admin = cluster.adminClient();
    await admin.put('/t-backend/nodes/node-corrupt/services/bad').value('{not json');
    const listed = await c.listServices('node-corrupt', signal());
    expect(listed.map((s) => [s.id, s.port])).toEqual([['bad', 0], ['ok', 80]]);
    await admin.delete().key('/t-backend/nodes/node-corrupt/services/bad');
    admin.close();
    await session.close();
  }, 15_000);

  it('deletes a non-canonical foreign key by the raw key the listing found', async () => {
    const session = await backend.openSession(server(0), 'node-raw', 5000, signal());
    const c = backend.client(server(0));
    await c.putService('node-raw', svc('web-1'), session.id, signal());
    const admin = cluster.adminClient();
    const base = '/t-backend/nodes/node-raw/services/';
    try {
      for (const raw of ['a b', 'x/y', '%41', 'web%2D1']) await admin.put(base + raw).value('{}');
      const listed = await backend.client(server(1)).listServices('node-raw', signal());
      expect(listed.map((s) => [s.id, s.port])).toEqual([['A', 0], ['a b', 0], ['web-1', 0], ['x/y', 0]]);
      // Delete through another member than the listing: the raw keys go, whatever member is asked.
      for (const id of ['A', 'a b', 'x/y']) await c.deleteService('node-raw', id, signal());
      // A put of an id that also has a raw key replaces both.
      await backend.client(server(2)).putService('node-raw', svc('web-1'), session.id, signal());
      expect(Object.keys(await admin.getAll().prefix(base).strings())).toEqual([`${base}web-1`]);
      expect(await c.listServices('node-raw', signal())).toEqual([svc('web-1')]);
    } finally {
      admin.close();
      await session.close();
    }
  }, 15_000);

  it('holds a node with one live lease: another backend gets NodeConflictError naming the holder until the holder closes', async () => {
    const other = createEtcdBackend({ endpoints: cluster.endpoints, prefix: '/t-backend', callTimeout: 1000 });
    const admin = cluster.adminClient();
    try {
      const first = await backend.openSession(server(0), 'node-dup', 5000, signal());
      const err = await other.openSession(other.initialServers()[1]!, 'node-dup', 5000, signal()).catch((e: unknown) => e);
      expect(isNodeConflictError(err)).toBe(true);
      expect((err as NodeConflictError).holder).toBe(first.id);
      expect(JSON.parse((await admin.get('/t-backend/sessions/node-dup').string()) ?? '{}').lease).toBe(first.id);
      // The same backend opening the node while that session is still live (another agent sharing the backend): refused the same way.
      const shared = await backend.openSession(server(1), 'node-dup', 5000, signal()).catch((e: unknown) => e);
      expect(isNodeConflictError(shared)).toBe(true);
      expect((shared as NodeConflictError).holder).toBe(first.id);
      expect(JSON.parse((await admin.get('/t-backend/sessions/node-dup').string()) ?? '{}').lease).toBe(first.id);
      // The same backend reopening its node once its earlier session was given up locally (the lease still alive in etcd) takes the key over.
      (first as EtcdSession).markLost(new Error('given up locally'));
      const again = await backend.openSession(server(1), 'node-dup', 5000, signal());
      expect(JSON.parse((await admin.get('/t-backend/sessions/node-dup').string()) ?? '{}').lease).toBe(again.id);
      await again.close();
      const third = await other.openSession(other.initialServers()[2]!, 'node-dup', 5000, signal());
      await third.close();
      // A node key on no lease is no live session (a foreign writer's leftover): it is taken.
      await admin.put('/t-backend/sessions/node-junk').value('junk');
      const junk = await other.openSession(other.initialServers()[0]!, 'node-junk', 5000, signal());
      expect(JSON.parse((await admin.get('/t-backend/sessions/node-junk').string()) ?? '{}').lease).toBe(junk.id);
      await junk.close();
    } finally {
      admin.close();
      await other.close();
    }
  }, 15_000);

  it('grants the lease for ceil(TTL × sessionGrace) seconds: the TTL is a lower bound', async () => {
    const graced = createEtcdBackend({ endpoints: cluster.endpoints, prefix: '/t-backend', callTimeout: 1000, sessionGrace: 1.5 });
    const admin = cluster.adminClient();
    try {
      const s1 = await backend.openSession(server(0), 'node-grace-1', 3000, signal());
      const s2 = await graced.openSession(server(0), 'node-grace-2', 3000, signal());
      const ttl = async (id: string): Promise<number> => Number((await admin.leaseClient.leaseTimeToLive({ ID: id })).grantedTTL);
      expect(await ttl(s1.id)).toBe(6); // default grace 2
      expect(await ttl(s2.id)).toBe(5); // ceil(4.5)
      await s1.close();
      await s2.close();
    } finally {
      admin.close();
      await graced.close();
    }
  }, 15_000);

  it('pings every healthy member true', async () => {
    for (const s of servers) expect(await backend.pinger.ping(s, signal())).toBe(true);
  }, 15_000);

  it('rejects promptly when the call signal aborts', async () => {
    const controller = new AbortController();
    controller.abort(new Error('caller gave up'));
    await expect(backend.client(server(0)).listServices('node-a', controller.signal)).rejects.toThrow('caller gave up');
  }, 5_000);

  it('bounds calls and pings to a SIGSTOPped member by the deadline, then recovers after SIGCONT', async () => {
    const frozen = cluster.members[2]!;
    const frozenServer = servers.find((s) => s.name === frozen.endpoint)!;
    const c = backend.client(frozenServer);
    await c.listServices('node-a', signal()); // connection established before the freeze
    cluster.freeze(frozen.name);
    try {
      const t0 = Date.now();
      const outcome = await c.listServices('node-a', signal()).then(() => 'resolved', (err: unknown) => String(err));
      const listMs = Date.now() - t0;
      // Whichever ends it first: the gRPC deadline or the backend's own timer of the same length.
      expect(outcome, `after ${listMs} ms`).toMatch(/deadline|timed out/i);
      const t1 = Date.now();
      const pinged = await backend.pinger.ping(frozenServer, signal()).catch(() => false);
      const pingMs = Date.now() - t1;
      expect(pinged).toBe(false);
      // callTimeoutMs is 1000: one attempt, no retries behind a circuit breaker.
      expect(listMs).toBeGreaterThanOrEqual(900);
      expect(listMs).toBeLessThan(2500);
      expect(pingMs).toBeLessThan(2500);
      // Every other call through the frozen member too: one deadline each (1000 ms), 1500 ms
      // of margin for a loaded machine's event loop.
      const others: Array<[string, () => Promise<unknown>]> = [
        ['putService', () => c.putService('node-a', svc('frozen'), '1', signal())],
        ['deleteService', () => c.deleteService('node-a', 'frozen', signal())],
        ['countNodes', () => c.countNodes(signal())],
        ['openSession', () => backend.openSession(frozenServer, 'node-frozen', 3000, signal())],
      ];
      const otherMs: string[] = [];
      for (const [name, call] of others) {
        const t = Date.now();
        await expect(call(), name).rejects.toThrow();
        const ms = Date.now() - t;
        otherMs.push(`${name} ${ms} ms`);
        expect(ms, name).toBeLessThan(1000 + 1500);
      }
      console.info(`[figure] call to SIGSTOPped member rejected after ${listMs} ms, ping after ${pingMs} ms, ${otherMs.join(', ')} (callTimeoutMs 1000)`);
      // An abort cuts the wait short.
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('aborted by test')), 100);
      const t2 = Date.now();
      await expect(c.listServices('node-a', controller.signal)).rejects.toThrow('aborted by test');
      expect(Date.now() - t2).toBeLessThan(600);
      // The other members still serve — once they have elected a new leader if the frozen
      // member led (until then etcd answers 'leader changed'), bounded.
      await until(async () => backend.client(server(0)).countNodes(signal()).then((n) => n >= 0, () => false), 10_000, 'the other members to serve');
    } finally {
      cluster.thaw(frozen.name);
    }
    await until(async () => (await backend.pinger.ping(frozenServer, signal()).catch(() => false)), 10_000, 'the thawed member to answer pings');
    // The thawed member may still be catching up with a leader change: retry its first read, bounded.
    let listed: unknown;
    await until(async () => c.listServices('node-nobody', signal()).then((l) => ((listed = l), true), () => false), 10_000, 'the thawed member to serve reads');
    expect(listed).toEqual([]);
  }, 30_000);

  it('calls onLost once and fails puts when the lease is revoked behind the session', async () => {
    const session = await backend.openSession(server(0), 'node-lost', 3000, signal());
    const lost: unknown[] = [];
    session.onLost((err) => lost.push(err));
    const admin = cluster.adminClient();
    await admin.leaseClient.leaseRevoke({ ID: session.id });
    admin.close();
    await until(() => lost.length > 0, 5000, 'onLost');
    expect(lost).toHaveLength(1);
    expect(String(lost[0])).toMatch(/expired or was revoked/);
    await expect(backend.client(server(1)).putService('node-lost', svc('z'), session.id, signal())).rejects.toThrow(/lease/i);
    await session.close(); // never rejects, even when lost
    expect(lost).toHaveLength(1);
  }, 15_000);

  it('keeps a session alive past its TTL through keepalives, even when the granting member is frozen', async () => {
    // The granting member is a follower. A frozen *leader* would cost an election, and
    // etcd 3.4 before its fix for etcd-io/etcd#12528 (PR #16822) lets a leader resumed
    // after a pause revoke every lease whose TTL passed while it was stopped — a server
    // bug this test hit once in four runs, not the keepalive it checks.
    const leader = await cluster.leader();
    const frozen = cluster.members.find((m) => m.name !== leader)!;
    const viaFrozen = servers.find((s) => s.name === frozen.endpoint)!;
    const session = await backend.openSession(viaFrozen, 'node-keep', 5000, signal());
    const lost: unknown[] = [];
    session.onLost((err) => lost.push(err));
    await backend.client(server(1)).putService('node-keep', svc('k'), session.id, signal());
    cluster.freeze(frozen.name);
    try {
      await new Promise((r) => setTimeout(r, 12_500)); // 2.5 TTLs
    } finally {
      cluster.thaw(frozen.name);
    }
    expect(lost).toEqual([]);
    await cluster.waitHealthy();
    // After the thaw the members may hold an election before reads succeed again; on a
    // loaded 2-core machine that can take several seconds. The last outcome is kept so a
    // failure says whether reads kept failing or the entry was gone.
    let lastRead = 'no read yet';
    await until(
      async () => {
        const got = await backend.client(server(1)).listServices('node-keep', signal()).then(
          (list) => ((lastRead = `listed ${list.length}`), list.length),
          (err: unknown) => ((lastRead = String(err)), 0),
        );
        return got === 1;
      },
      45_000,
      'the entry to be readable',
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; last read: ${lastRead}`);
    });
    await session.close();
  }, 90_000);

  it('emits join events for members not given as endpoints and update events adding member names', async () => {
    const single = createEtcdBackend({ endpoints: [cluster.endpoints[0]!], prefix: '/t-backend', callTimeout: 1000, pollMembersInterval: 100 });
    const events: MembershipEvent[] = [];
    const stop = single.watchMembers((e) => events.push(e));
    await until(() => events.length >= 3, 5000, 'three membership events');
    await new Promise((r) => setTimeout(r, 300)); // later polls add nothing
    stop();
    await single.close();
    expect(events.map((e) => [e.type, e.server.name, e.server.meta?.memberName])).toEqual([
      ['update', cluster.endpoints[0], 'm1'],
      ['join', cluster.endpoints[1], 'm2'],
      ['join', cluster.endpoints[2], 'm3'],
    ]);
  }, 15_000);

  it('emits a leave event when a member the poll added is removed from the cluster', async () => {
    // m3 is no endpoint of this backend: the poll added it, and its removal takes it away again.
    const single = createEtcdBackend({ endpoints: [cluster.endpoints[0]!], prefix: '/t-backend', callTimeout: 1000, pollMembersInterval: 200 });
    const events: MembershipEvent[] = [];
    const stop = single.watchMembers((e) => events.push(e));
    await until(() => events.filter((e) => e.type === 'join').length === 2, 5000, 'the other two members to join');
    await cluster.waitHealthy();
    const admin = cluster.adminClient();
    const { members } = await admin.cluster.memberList({});
    const m3 = members.find((m) => m.name === 'm3')!;
    // etcd refuses a removal while it considers the cluster unhealthy (e.g. just after a thaw): retry, bounded.
    await until(async () => admin.cluster.memberRemove({ ID: m3.ID }).then(() => true, () => false), 15_000, 'etcd to accept the member removal');
    admin.close();
    await until(() => events.some((e) => e.type === 'leave'), 5000, 'a leave event');
    stop();
    await single.close();
    expect(events.filter((e) => e.type === 'leave')).toEqual([{ type: 'leave', server: expect.objectContaining({ name: cluster.endpoints[2] }) }]);
  }, 30_000);
});

describe.skipIf(!run)('etcd backend credentials (real cluster with auth enabled)', () => {
  it('authenticates with username/password and never logs the credentials', async () => {
    const cluster = new EtcdCluster({ basePort: 24761 });
    await cluster.start();
    const lines: string[] = [];
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done(); } });
    const logger = pino({ level: 'trace' }, sink);
    const good = createEtcdBackend({ endpoints: cluster.endpoints, prefix: '/t-auth', callTimeout: 1000, logger, auth: { username: 'root', password: 'pw-Sekr1t-42' }, insecureAuth: true });
    const bad = createEtcdBackend({ endpoints: cluster.endpoints, prefix: '/t-auth', callTimeout: 1000, logger, auth: { username: 'root', password: 'wrong-Sekr1t-43' }, insecureAuth: true });
    try {
      const admin = cluster.adminClient();
      // etcd3 retries a call whose answer was lost, so "already exists/granted" means the first attempt landed.
      const landed = (err: unknown): void => {
        if (!/already|exists|granted/i.test(String(err))) throw err;
      };
      await admin.user('root').create('pw-Sekr1t-42').catch(landed);
      await admin.user('root').addRole('root').catch(landed);
      await admin.auth.authEnable();
      admin.close();
      const s = good.initialServers()[0]!;
      const session = await good.openSession(s, 'auth-node', 5000, signal());
      await good.client(s).putService('auth-node', svc('a'), session.id, signal());
      expect((await good.client(s).listServices('auth-node', signal())).map((x) => x.id)).toEqual(['a']);
      await expect(bad.client(s).listServices('auth-node', signal())).rejects.toThrow();
      const events: MembershipEvent[] = [];
      const stop = bad.watchMembers((e) => events.push(e)); // fails on every member and logs it
      await new Promise((r) => setTimeout(r, 300));
      stop();
      await session.close();
    } finally {
      await good.close();
      await bad.close();
      await cluster.stop();
    }
    const out = lines.join('');
    expect(out.length).toBeGreaterThan(0);
    expect(out).not.toContain('pw-Sekr1t-42');
    expect(out).not.toContain('wrong-Sekr1t-43');
  }, 60_000);
});

describe.skipIf(!run || !opensslAvailable())('etcd backend over TLS (real cluster with a throwaway CA)', () => {
  it('passes the TLS material through to etcd3 and refuses to talk plain gRPC to a TLS member', async () => {
    const cluster = new EtcdCluster({ basePort: 24891, tls: true });
    const secure = createEtcdBackend({ endpoints: cluster.endpoints, prefix: '/t-tls', callTimeout: 1000, tls: { rootCertificate: cluster.tls!.ca } });
    const plain = createEtcdBackend({ endpoints: cluster.endpoints.map((e) => `http://${e}`), prefix: '/t-tls', callTimeout: 1000 });
    try {
      await cluster.start();
      const s = secure.initialServers()[0]!;
      expect(s.useTLS).toBe(true);
      expect(await secure.pinger.ping(s, signal())).toBe(true);
      const session = await secure.openSession(s, 'tls-node', 5000, signal());
      await secure.client(s).putService('tls-node', svc('a'), session.id, signal());
      expect((await secure.client(secure.initialServers()[1]!).listServices('tls-node', signal())).map((x) => x.id)).toEqual(['a']);
      await session.close();
      const t0 = Date.now();
      await expect(plain.client(plain.initialServers()[0]!).listServices('tls-node', signal())).rejects.toThrow();
      expect(Date.now() - t0).toBeLessThan(2500);
    } finally {
      await secure.close();
      await plain.close();
      await cluster.stop();
    }
  }, 60_000);
});
