// Unit tests (no etcd) of the paged range read and of how a listing turns raw keys
// into services: a fake Range call over a sorted in-memory keyspace.
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { IKeyValue, IRangeRequest, IRangeResponse } from 'etcd3';
import { prefixEnd, rangeAll } from '../../src/etcd/paging.js';
import { servicesOf } from '../../src/etcd/catalogClient.js';
import { KeyLayout, encodeService } from '../../src/etcd/keys.js';

const kv = (key: string, value = 'v'): IKeyValue => ({
  key: Buffer.from(key),
  value: Buffer.from(value),
  create_revision: '1',
  mod_revision: '1',
  version: '1',
  lease: '0',
});

/** A Range server over `keys` that honours key, range_end and limit, and records every request. */
function fakeRange(keys: string[], options: { tooLargeAbove?: number } = {}) {
  const sorted = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const requests: Array<{ key: string; end: string; limit: number; revision: string | undefined }> = [];
  const call = async (req: IRangeRequest): Promise<IRangeResponse> => {
    const limit = Number(req.limit);
    requests.push({ key: String(req.key), end: String(req.range_end), limit, revision: req.revision === undefined ? undefined : String(req.revision) });
    if (options.tooLargeAbove !== undefined && limit > options.tooLargeAbove) {
      throw Object.assign(new Error('8 RESOURCE_EXHAUSTED: Received message larger than max (5000000 vs. 4194304)'), { code: 8 });
    }
    const inRange = sorted.filter((k) => Buffer.compare(Buffer.from(k), req.key as Buffer) >= 0 && Buffer.compare(Buffer.from(k), req.range_end as Buffer) < 0);
    const page = inRange.slice(0, limit);
    return { header: { cluster_id: '1', member_id: '1', revision: '42', raft_term: '1' }, kvs: page.map((k) => kv(k)), more: inRange.length > limit, count: String(inRange.length) };
  };
  return { call, requests };
}

describe('rangeAll', () => {
  it('reads a prefix in pages of pageSize, each continuing after the last key, all at the first revision', async () => {
    const keys = ['/p/a', '/p/b', '/p/c', '/p/d', '/p/e', '/q/x', '/o/x'];
    const { call, requests } = fakeRange(keys);
    const got = await rangeAll(call, '/p/', 2);
    expect(got.map((k) => k.key.toString())).toEqual(['/p/a', '/p/b', '/p/c', '/p/d', '/p/e']);
    expect(requests).toEqual([
      { key: '/p/', end: '/p0', limit: 2, revision: undefined },
      { key: '/p/b\u0000', end: '/p0', limit: 2, revision: '42' },
      { key: '/p/d\u0000', end: '/p0', limit: 2, revision: '42' },
    ]);
  });

  it('makes one request when everything fits in one page, and none extra for an exact multiple', async () => {
    const { call, requests } = fakeRange(['/p/a', '/p/b']);
    expect((await rangeAll(call, '/p/', 2)).length).toBe(2);
    expect(requests.length).toBe(1);
    const empty = fakeRange([]);
    expect(await rangeAll(empty.call, '/p/', 2)).toEqual([]);
    expect(empty.requests.length).toBe(1);
  });

  it('halves the page when a response is refused as too large, down to what fits', async () => {
    const { call, requests } = fakeRange(['/p/a', '/p/b', '/p/c'], { tooLargeAbove: 1 });
    const got = await rangeAll(call, '/p/', 4);
    expect(got.map((k) => k.key.toString())).toEqual(['/p/a', '/p/b', '/p/c']);
    expect(requests.map((r) => r.limit)).toEqual([4, 2, 1, 1, 1]);
  });

  it('passes other errors through and refuses a bad page size', async () => {
    const failing = async (): Promise<IRangeResponse> => Promise.reject(new Error('boom'));
    await expect(rangeAll(failing, '/p/', 2)).rejects.toThrow('boom');
    await expect(rangeAll(failing, '/p/', 0)).rejects.toThrow(RangeError);
  });

  it('stops after maxPages when the server keeps answering "more"', async () => {
    const endless = async (req: IRangeRequest): Promise<IRangeResponse> => ({
      header: { cluster_id: '1', member_id: '1', revision: '1', raft_term: '1' },
      kvs: [kv(`${String(req.key)}x`)],
      more: true,
      count: '1',
    });
    await expect(rangeAll(endless, '/p/', 1, 5)).rejects.toThrow(/after 5 pages/);
  });

  it('computes the prefix range end like etcd', () => {
    expect(prefixEnd(Buffer.from('/a/')).toString()).toBe('/a0');
    expect([...prefixEnd(Buffer.from([0x61, 0xff]))]).toEqual([0x62]);
    expect([...prefixEnd(Buffer.from([0xff, 0xff]))]).toEqual([0]);
  });
});

describe('servicesOf', () => {
  const keys = new KeyLayout('/t');
  const log = pino({ level: 'silent' });
  const base = keys.servicesPrefix('n');
  const svc = (id: string) => ({ id, name: 'web', address: '10.0.0.1', port: 80 });

  it('lists canonical keys as services and every non-canonical key as a corrupt entry remembered by its raw key', () => {
    const kvs = [
      kv(base + 'web-1', encodeService(svc('web-1'))),
      kv(base + 'web%2D1', encodeService(svc('web-1'))),
      kv(base + '%41', encodeService(svc('A'))),
      kv(base + 'a b', '{}'),
      kv(base + 'x/y', '{}'),
      kv(base + 'ok', encodeService(svc('ok'))),
      kv(base + 'c%2Fslash', encodeService(svc('c/slash'))),
    ];
    const { services, foreign } = servicesOf(keys, 'n', kvs, log);
    expect(services.map((s) => [s.id, s.port])).toEqual([
      ['A', 0],
      ['a b', 0],
      ['c/slash', 80],
      ['ok', 80],
      ['web-1', 0], // a canonical key exists, but so does a non-canonical one: rewrite both away
      ['x/y', 0],
    ]);
    expect(Object.fromEntries([...foreign].map(([id, raw]) => [id, raw.map((k) => k.toString())]))).toEqual({
      A: [base + '%41'],
      'a b': [base + 'a b'],
      'web-1': [base + 'web%2D1'],
      'x/y': [base + 'x/y'],
    });
  });
});
