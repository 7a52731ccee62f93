// Unit tests (no etcd) of stale reads: a fake three-member keyspace behind etcd3's
// documented mock(), where one member can lag (it applies only the writes made through
// it until it catches up). A serializable read is answered from what the member has
// applied; a linearizable one first catches the member up, as a ReadIndex would.
import { rawMemberClient } from '../../src/etcd/rawClient.js';
import { describe, expect, it } from 'vitest';
import { createClock } from '@sinonjs/fake-timers';
import { Etcd3, type IRangeRequest, type IRequestOp, type ITxnRequest } from 'etcd3';
import { createCatalogClient, ForeignKeys } from '../../src/etcd/catalogClient.js';
import { KeyLayout } from '../../src/etcd/keys.js';
import { WriteRevisions, isStaleReadError, type ReadStats } from '../../src/etcd/readFloor.js';
import { createEtcdBackend } from '../../src/etcd/index.js';
import { silentLogger } from '../../src/shared/logger.js';
import type { Service } from '../../src/catalog/backend.js';

const never = new AbortController().signal;
const svc = (id: string, port = 80): Service => ({ id, name: 'web', address: '10.0.0.1', port });

interface Write {
  revision: bigint;
  key: Buffer;
  value: Buffer | null;
}

/** One keyspace, three members; `lagging` members apply only their own writes until `catchUp`. */
class FakeCluster {
  private readonly log: Write[] = [];
  revision = 1n;
  private readonly applied = new Map<string, bigint>();
  readonly lagging = new Set<string>();
  /** Every call, in order: member, method, and for ranges whether serializable. */
  readonly calls: string[] = [];
  /** Writes fail before they apply ('lost') or after ('timeout': applied, never acknowledged). */
  failWrites: 'no' | 'lost' | 'timeout' = 'no';
  /** A broken member (a caching proxy) answering even linearizable reads from its applied state. */
  brokenLinearizable = false;

  appliedBy(member: string): bigint {
    return this.applied.get(member) ?? 1n;
  }

  catchUp(member: string): void {
    this.applied.set(member, this.revision);
  }

  client(member: string): Etcd3 {
    this.applied.set(member, this.revision);
    const etcd = new Etcd3({ hosts: 'http://127.0.0.1:1' });
    etcd.mock({ exec: (service: string, method: string, params: unknown) => this.exec(member, service, method, params) } as never);
    return etcd;
  }

  private header(revision: bigint) {
    return { cluster_id: '1', member_id: '1', raft_term: '1', revision: String(revision) };
  }

  private stateAt(at: bigint): Map<string, Buffer> {
    const state = new Map<string, Buffer>();
    for (const w of this.log) {
      if (w.revision > at) break;
      if (w.value === null) state.delete(w.key.toString('latin1'));
      else state.set(w.key.toString('latin1'), w.value);
    }
    return state;
  }

  private commit(member: string, ops: Array<{ key: Buffer; value: Buffer | null }>): bigint {
    if (this.failWrites === 'lost') throw new Error('14 UNAVAILABLE: connection lost');
    this.revision++;
    for (const op of ops) this.log.push({ revision: this.revision, ...op });
    for (const name of this.applied.keys()) if (name === member || !this.lagging.has(name)) this.applied.set(name, this.revision);
    if (this.failWrites === 'timeout') throw new Error('4 DEADLINE_EXCEEDED: deadline exceeded');
    return this.revision;
  }

  private opOf(op: IRequestOp): { key: Buffer; value: Buffer | null } {
    if (op.request_put) return { key: Buffer.from(op.request_put.key as Buffer), value: Buffer.from(op.request_put.value as Buffer) };
    if (op.request_delete_range) return { key: Buffer.from(op.request_delete_range.key as Buffer), value: null };
    throw new Error('unsupported op');
  }

  private async exec(member: string, service: string, method: string, params: unknown): Promise<unknown> {
    await Promise.resolve();
    if (service === 'Lease' && method === 'leaseGrant') return { header: this.header(this.revision), ID: '7', TTL: '6' };
    if (service === 'Lease') return { header: this.header(this.revision), TTL: '6' };
    if (service !== 'KV') throw new Error(`unexpected ${service}.${method}`);
    if (method === 'range') {
      const req = params as IRangeRequest;
      this.calls.push(`${member} range ${req.serializable === true ? 'serializable' : 'linearizable'}`);
      if (req.serializable !== true && !this.brokenLinearizable) this.catchUp(member);
      const current = this.appliedBy(member);
      const at = req.revision === undefined ? current : BigInt(req.revision);
      const start = Buffer.from(req.key as Buffer);
      const end = req.range_end === undefined ? undefined : Buffer.from(req.range_end);
      const keys = [...this.stateAt(at).entries()]
        .map(([k, v]) => ({ key: Buffer.from(k, 'latin1'), value: v }))
        .filter((kv) => (end === undefined ? kv.key.equals(start) : Buffer.compare(kv.key, start) >= 0 && Buffer.compare(kv.key, end) < 0))
        .sort((a, b) => Buffer.compare(a.key, b.key));
      const limit = Number(req.limit ?? 0);
      const page = limit > 0 ? keys.slice(0, limit) : keys;
      const kvs = req.count_only ? [] : page.map((kv) => ({ ...kv, create_revision: '1', mod_revision: '1', version: '1', lease: '7' }));
      return { header: this.header(current), kvs, more: keys.length > page.length, count: String(keys.length) };
    }
    this.calls.push(`${member} ${method}`);
    if (method === 'put') {
      const req = params as { key: Buffer; value: Buffer };
      return { header: this.header(this.commit(member, [{ key: Buffer.from(req.key), value: Buffer.from(req.value) }])) };
    }
    if (method === 'deleteRange') {
      const req = params as { key: Buffer };
      return { header: this.header(this.commit(member, [{ key: Buffer.from(req.key), value: null }])), deleted: '1' };
    }
    if (method === 'txn') {
      const req = params as ITxnRequest;
      // The session claim's compare (create_revision == 0) always holds here: one agent per node.
      const revision = this.commit(member, (req.success ?? []).map((op) => this.opOf(op)));
      return { header: this.header(revision), succeeded: true, responses: [] };
    }
    throw new Error(`unexpected KV.${method}`);
  }
}

function setup(options: { staleReads?: boolean; pageSize?: number } = {}) {
  const cluster = new FakeCluster();
  const members = { a: cluster.client('a'), b: cluster.client('b'), c: cluster.client('c') };
  const revisions = new WriteRevisions();
  const stats: ReadStats = { stale: 0, behind: 0, linearizable: 0 };
  const keys = new KeyLayout('/t');
  const foreign = new ForeignKeys();
  const clientOf = (name: keyof typeof members) =>
    createCatalogClient({
      keys,
      etcd: () => members[name],
      callTimeoutMs: 1000,
      clock: createClock(),
      pageSize: options.pageSize ?? 256,
      maxTxnOps: 128,
      foreign,
      log: silentLogger(),
      onLeaseNotFound: () => undefined,
      isLeaseNotFound: () => false,
      staleReads: options.staleReads ?? true,
      revisions,
      readStats: stats,
    });
  return { cluster, revisions, stats, a: clientOf('a'), b: clientOf('b') };
}

describe('stale reads (fake keyspace)', () => {
  it('uses the serializable answer of the member when it is at or past the last write', async () => {
    const { cluster, stats, a, b } = setup();
    await a.putService('n', svc('s1'), '7', never);
    cluster.calls.length = 0;
    expect((await b.listServices('n', never)).map((s) => s.id)).toEqual(['s1']);
    expect(cluster.calls).toEqual(['b range serializable']);
    expect(stats).toEqual({ stale: 1, behind: 0, linearizable: 0 });
  });

  it('reads again linearizably when the member is behind the last write, and sees that write', async () => {
    const { cluster, stats, a, b } = setup();
    await a.putService('n', svc('s1'), '7', never);
    cluster.lagging.add('b');
    await a.putService('n', svc('s2'), '7', never);
    expect(cluster.appliedBy('b')).toBeLessThan(cluster.revision);
    cluster.calls.length = 0;
    expect((await b.listServices('n', never)).map((s) => s.id)).toEqual(['s1', 's2']);
    expect(cluster.calls).toEqual(['b range serializable', 'b range linearizable']);
    expect(stats).toEqual({ stale: 0, behind: 1, linearizable: 1 });
  });

  it('sees its own delete through a lagging member (the fallback, not the stale copy)', async () => {
    const { cluster, a, b } = setup();
    await a.putService('n', svc('s1'), '7', never);
    cluster.lagging.add('b');
    await a.deleteService('n', 's1', never);
    expect(await b.listServices('n', never)).toEqual([]);
  });

  it('takes the floor from every kind of write: put, delete, a batch transaction, node info, checks', async () => {
    const { cluster, revisions, a } = setup();
    const steps: Array<[string, () => Promise<void>]> = [
      ['put', () => a.putService('n', svc('s1'), '7', never)],
      ['delete', () => a.deleteService('n', 's1', never)],
      ['batch', () => a.writeBatch!('n', [{ op: 'put', service: svc('s2') }, { op: 'put', service: svc('s3') }, { op: 'putNode', info: { address: '10.0.0.9' } }], '7', never)],
      ['node info', () => a.putNodeInfo!('n', { address: '10.0.0.8' }, '7', never)],
      ['check', () => a.putCheck!('n', { id: 'c1', name: 'c', status: 'passing' }, '7', never)],
      ['check delete', () => a.deleteCheck!('n', 'c1', never)],
    ];
    const seen: string[] = [];
    for (const [name, run] of steps) {
      await run();
      seen.push(`${name} ${revisions.floor('n') === cluster.revision ? 'tracked' : `floor ${revisions.floor('n')} ≠ ${cluster.revision}`}`);
    }
    expect(seen).toEqual(['put tracked', 'delete tracked', 'batch tracked', 'node info tracked', 'check tracked', 'check delete tracked']);
    // Per node: another node's reads are not held back by this node's writes.
    expect(revisions.floor('other')).toBe(0n);
    expect(revisions.floorAll()).toBe(cluster.revision);
  });

  it('falls back after a batch transaction too (the batch was the last write)', async () => {
    const { cluster, stats, a, b } = setup();
    cluster.lagging.add('b');
    await a.writeBatch!('n', [{ op: 'put', service: svc('s1') }, { op: 'put', service: svc('s2') }], '7', never);
    expect((await b.listServices('n', never)).map((s) => s.id)).toEqual(['s1', 's2']);
    expect(stats.behind).toBe(1);
  });

  it('does not advance the floor on a write that was lost or never acknowledged', async () => {
    const { cluster, revisions, stats, a, b } = setup();
    await a.putService('n', svc('s1'), '7', never);
    const floor = revisions.floor('n');
    cluster.lagging.add('b');
    cluster.failWrites = 'lost';
    await expect(a.putService('n', svc('s2'), '7', never)).rejects.toThrow(/UNAVAILABLE/);
    cluster.failWrites = 'timeout';
    await expect(a.writeBatch!('n', [{ op: 'put', service: svc('s3') }], '7', never)).rejects.toThrow(/DEADLINE/);
    expect(cluster.revision).toBe(floor + 1n); // the timed-out batch did apply
    expect(revisions.floor('n')).toBe(floor);
    // b has the acknowledged write (not the unacknowledged one): its stale answer is used.
    cluster.calls.length = 0;
    expect((await b.listServices('n', never)).map((s) => s.id)).toEqual(['s1']);
    expect(cluster.calls).toEqual(['b range serializable']);
    expect(stats.stale).toBe(1);
  });

  it('with nothing written since start (a restart), uses a stale read whatever the member has applied', async () => {
    const { cluster, stats, a } = setup();
    // Another process (this node's earlier run) wrote; this process knows no write of its own.
    await setup().a.putService('n', svc('old'), '7', never);
    cluster.lagging.add('a');
    expect(await a.listServices('n', never)).toEqual([]);
    expect(stats).toEqual({ stale: 1, behind: 0, linearizable: 0 });
  });

  it('reads every page of a listing at the first page revision, and re-reads all pages on fallback', async () => {
    const { cluster, a, b } = setup({ pageSize: 2 });
    for (const id of ['s1', 's2', 's3', 's4', 's5']) await a.putService('n', svc(id), '7', never);
    cluster.lagging.add('b');
    await a.putService('n', svc('s6'), '7', never);
    cluster.calls.length = 0;
    expect((await b.listServices('n', never)).map((s) => s.id)).toEqual(['s1', 's2', 's3', 's4', 's5', 's6']);
    // A stale first page is enough to know the snapshot is behind: no more stale pages.
    expect(cluster.calls).toEqual(['b range serializable', 'b range linearizable', 'b range linearizable', 'b range linearizable']);
    // Caught up, the same listing is three serializable pages.
    cluster.calls.length = 0;
    expect(await b.listServices('n', never)).toHaveLength(6);
    expect(cluster.calls).toEqual(['b range serializable', 'b range serializable', 'b range serializable']);
  });

  it('applies the same rule to node info and checks', async () => {
    const { cluster, stats, a, b } = setup();
    await a.putNodeInfo!('n', { address: '10.0.0.1' }, '7', never);
    cluster.lagging.add('b');
    await a.putNodeInfo!('n', { address: '10.0.0.2' }, '7', never);
    expect(await b.getNodeInfo!('n', never)).toEqual({ address: '10.0.0.2' });
    // The fallback caught b up; it lags again from the next write on.
    await a.putCheck!('n', { id: 'c1', name: 'c', status: 'critical' }, '7', never);
    expect((await b.listChecks!('n', never)).map((c) => c.status)).toEqual(['critical']);
    expect(stats).toEqual({ stale: 0, behind: 2, linearizable: 2 });
  });

  it('counts nodes no older than the last write of any node', async () => {
    const { cluster, stats, a, b } = setup();
    cluster.lagging.add('b');
    await a.putService('other', svc('s1'), '7', never);
    cluster.calls.length = 0;
    await b.countNodes(never);
    expect(cluster.calls).toEqual(['b range serializable', 'b range linearizable']);
    cluster.catchUp('b');
    await b.countNodes(never);
    expect(stats).toEqual({ stale: 1, behind: 1, linearizable: 1 });
  });

  it('reads linearizably every time with staleReads off', async () => {
    const { cluster, stats, a, b } = setup({ staleReads: false });
    await a.putService('n', svc('s1'), '7', never);
    cluster.calls.length = 0;
    await b.listServices('n', never);
    await b.getNodeInfo!('n', never);
    await b.countNodes(never);
    expect(cluster.calls).toEqual(['b range linearizable', 'b range linearizable', 'b range linearizable']);
    expect(stats).toEqual({ stale: 0, behind: 0, linearizable: 3 });
  });

  it('fails the read, acting on nothing, when even the linearizable answer is behind the last write', async () => {
    const { cluster, a, b } = setup();
    await a.putService('n', svc('s1'), '7', never);
    cluster.lagging.add('b');
    cluster.brokenLinearizable = true;
    await a.putService('n', svc('s2'), '7', never);
    const err = await b.listServices('n', never).catch((e: unknown) => e);
    expect(isStaleReadError(err)).toBe(true);
    expect(String(err)).toMatch(/revision 2, older than this agent's last write at revision 3/);
  });
});

describe('WriteRevisions', () => {
  it('only moves forward, per node, and ignores a response without a usable revision', () => {
    const revisions = new WriteRevisions();
    const at = (revision: unknown) => ({ header: { revision } }) as never;
    revisions.note('n', at('10'));
    revisions.note('n', at('7'));
    revisions.note('m', at('12'));
    for (const bad of [undefined, 'x', '-3', {}]) revisions.note('n', at(bad));
    revisions.note('n', {} as never);
    revisions.note('n', undefined as never);
    expect([revisions.floor('n'), revisions.floor('m'), revisions.floor('none'), revisions.floorAll()]).toEqual([10n, 12n, 0n, 12n]);
  });
});

describe('stale reads through the backend', () => {
  it('takes the session claim as the first write: the first full-sync read after a restart is no older than it', async () => {
    const clock = createClock();
    const backend = createEtcdBackend({ endpoints: ['127.0.0.1:1', '127.0.0.1:2'], clock, callTimeout: 500 });
    const [first, second] = backend.initialServers();
    const cluster = new FakeCluster();
    const exec = (member: string) => (service: string, method: string, params: unknown) => (cluster as unknown as { exec: (m: string, s: string, me: string, p: unknown) => Promise<unknown> }).exec(member, service, method, params);
    cluster.catchUp('a');
    cluster.catchUp('b');
    rawMemberClient(backend, first!).mock({ exec: exec('a') } as never);
    rawMemberClient(backend, second!).mock({ exec: exec('b') } as never);
    cluster.lagging.add('b');
    const session = await backend.openSession(first!, 'n', 3000, never);
    expect(cluster.calls).toEqual(['a txn']);
    cluster.calls.length = 0;
    await backend.client(second!).listServices('n', never);
    expect(cluster.calls).toEqual(['b range serializable', 'b range linearizable']);
    expect(backend.readStats()).toEqual({ stale: 0, behind: 1, linearizable: 1 });
    const closing = session.close();
    await clock.tickAsync(1000);
    await closing;
    const closed = backend.close();
    await clock.tickAsync(1000);
    await closed;
  });
});
