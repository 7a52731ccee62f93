// One member's CatalogClient: paged listing of a node's services, writes attached
// to the node's lease, and deletes by the raw keys a listing found. A key under a
// node's prefix that is not the canonical encoding of its id (`a b`, `x/y`, `%41`,
// `web%2D1`, written by someone else) is listed as a corrupt entry and remembered by
// its raw bytes, so the sync that deletes or rewrites it removes that very key.
// Reads are serializable (answered by this member) unless they would be older than
// the node's last acknowledged write (src/etcd/readFloor.ts).
import type { Etcd3, IKeyValue, IRangeResponse, IRequestOp } from 'etcd3';
import type { CatalogClient, Check, Service, WriteOp } from '../catalog/backend.js';
import { decodeCheck, decodeNodeInfo, encodeCheck, encodeNodeInfo } from './checkCodec.js';
import { RefusedWriteError } from '../catalog/errors.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { boundedCall } from './client.js';
import { CORRUPT_META_KEY, decodeService, encodeService, type KeyLayout } from './keys.js';
import { prefixEnd, rangeAll } from './paging.js';
import { readNoOlderThan, revisionOf, type ReadStats, type WriteRevisions } from './readFloor.js';
import { asRefusal } from './refusal.js';

function byId(a: Service, b: Service): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Non-canonical keys found by the last listing of each node, by the id they decode
 * to. Shared by every member's client: a listing through one member and the delete
 * through another must agree. Each listing replaces its node's map, so it stays as
 * small as the foreign junk currently in etcd.
 */
export class ForeignKeys {
  private readonly byNode = new Map<string, Map<string, Buffer[]>>();
  replace(node: string, found: Map<string, Buffer[]>): void {
    if (found.size === 0) this.byNode.delete(node);
    else this.byNode.set(node, found);
  }
  get(node: string, id: string): Buffer[] {
    return this.byNode.get(node)?.get(id) ?? [];
  }
  forget(node: string, id: string): void {
    const ids = this.byNode.get(node);
    ids?.delete(id);
    if (ids?.size === 0) this.byNode.delete(node);
  }
}

export interface CatalogClientDeps {
  keys: KeyLayout;
  etcd: () => Etcd3;
  callTimeoutMs: number;
  clock: Clock;
  pageSize: number;
  /** Most operations per transaction (`--max-txn-ops`). */
  maxTxnOps: number;
  foreign: ForeignKeys;
  log: Logger;
  /** A put was refused because the lease is gone. */
  onLeaseNotFound: (sessionId: string, err: unknown) => void;
  isLeaseNotFound: (err: unknown) => boolean;
  /** Serializable reads checked against `revisions` (true), or every read linearizable (false). */
  staleReads: boolean;
  /** Each node's last acknowledged write, shared by every member's client. */
  revisions: WriteRevisions;
  /** Counts how the reads went, shared by every member's client. */
  readStats: ReadStats;
}

const corrupt = (id: string): Service => ({ id, name: '', address: '', port: 0, meta: { [CORRUPT_META_KEY]: 'true' } });

/** Groups a node's key-values by id; an id reached through any non-canonical key is listed as corrupt. */
export function servicesOf(keys: KeyLayout, node: string, kvs: readonly IKeyValue[], log: Logger): { services: Service[]; foreign: Map<string, Buffer[]> } {
  const prefixLength = Buffer.byteLength(keys.servicesPrefix(node));
  const slots = new Map<string, { canonical?: IKeyValue; raw: Buffer[] }>();
  for (const kv of kvs) {
    const rest = kv.key.subarray(prefixLength).toString();
    const id = keys.serviceIdOf(node, kv.key.toString());
    const slot = slots.get(id) ?? { raw: [] };
    slots.set(id, slot);
    if (encodeURIComponent(id) === rest) slot.canonical = kv;
    else slot.raw.push(Buffer.from(kv.key));
  }
  const services: Service[] = [];
  const foreign = new Map<string, Buffer[]>();
  for (const [id, slot] of slots) {
    if (slot.raw.length > 0) {
      foreign.set(id, slot.raw);
      log.warn({ node, id, keys: slot.raw.map((k) => k.toString()) }, 'non-canonical key under the node; the next full sync removes it');
      services.push(corrupt(id));
      continue;
    }
    const kv = slot.canonical as IKeyValue;
    const decoded = decodeService(id, kv.value.toString());
    if (decoded.corrupt) log.warn({ node, key: kv.key.toString() }, 'corrupt service entry; the next full sync replaces it');
    services.push(decoded.service);
  }
  return { services: services.sort(byId), foreign };
}

/** The CatalogClient of one member. */
export function createCatalogClient(deps: CatalogClientDeps): CatalogClient {
  const { keys, etcd, callTimeoutMs: timeoutMs, foreign, clock } = deps;
  const call = <T>(signal: AbortSignal, run: (o: { deadline: number }) => Promise<T>): Promise<T> => boundedCall(signal, timeoutMs, run, clock);
  const deletes = (node: string, id: string): IRequestOp[] =>
    foreign.get(node, id).map((key) => ({ request_delete_range: { key } }));
  const { revisions } = deps;
  const mode = (serializable: boolean): { serializable?: true } => (serializable ? { serializable: true } : {});
  /**
   * Every key-value under `prefix`, with the revision of the snapshot the pages were read
   * at (the first page's: later pages are read at it). A first page already behind
   * `floor` ends the listing there: its answer is thrown away, so the other pages are not read.
   */
  const listPrefix = async (signal: AbortSignal, prefix: string, floor: bigint, serializable: boolean): Promise<{ value: IKeyValue[]; revision: bigint }> => {
    let revision: bigint | undefined;
    const page = async (request: Parameters<Etcd3['kv']['range']>[0]): Promise<IRangeResponse> => {
      const res = await call(signal, (o) => etcd().kv.range({ ...request, ...mode(serializable) }, o));
      revision ??= revisionOf(res);
      return revision < floor ? { ...res, more: false } : res;
    };
    // Each page is its own bounded call; the whole listing is bounded by `signal`.
    const value = await rangeAll(page, prefix, deps.pageSize);
    return { value, revision: revision ?? 0n };
  };
  const read = <T>(floor: bigint, run: (serializable: boolean) => Promise<{ value: T; revision: bigint }>): Promise<T> =>
    readNoOlderThan(deps.staleReads, floor, deps.readStats, run);
  return {
    listServices: async (node, signal) => {
      const prefix = keys.servicesPrefix(node);
      const floor = revisions.floor(node);
      const kvs = await read(floor, (serializable) => listPrefix(signal, prefix, floor, serializable));
      const { services, foreign: found } = servicesOf(keys, node, kvs, deps.log);
      foreign.replace(node, found);
      return services;
    },
    putService: async (node, service, sessionId, signal) => {
      const key = keys.serviceKey(node, service.id);
      const extra = deletes(node, service.id);
      try {
        if (extra.length === 0) {
          revisions.note(node, await call(signal, (o) => etcd().put(key).value(encodeService(service)).lease(sessionId).options(o).exec()));
        } else {
          const put: IRequestOp = { request_put: { key: Buffer.from(key), value: Buffer.from(encodeService(service)), lease: sessionId } };
          revisions.note(node, await call(signal, (o) => etcd().kv.txn({ success: [put, ...extra] }, o)));
          foreign.forget(node, service.id);
        }
      } catch (err) {
        if (deps.isLeaseNotFound(err)) deps.onLeaseNotFound(sessionId, err);
        throw asRefusal(err, service.id);
      }
    },
    deleteService: async (node, id, signal) => {
      const key = keys.serviceKey(node, id);
      const extra = deletes(node, id);
      try {
        if (extra.length === 0) {
          revisions.note(node, await call(signal, (o) => etcd().delete().key(key).options(o).exec()));
          return;
        }
        // The canonical key and every raw key the listing found for this id, in one transaction.
        revisions.note(node, await call(signal, (o) => etcd().kv.txn({ success: [{ request_delete_range: { key: Buffer.from(key) } }, ...extra] }, o)));
      } catch (err) {
        throw asRefusal(err, id);
      }
      foreign.forget(node, id);
    },
    // One transaction: all the ops land or none. etcd does not say which op it refused,
    // so a refusal names no id and the registry splits the batch.
    writeBatch: async (node: string, ops: readonly WriteOp[], sessionId: string, signal: AbortSignal) => {
      const requests: IRequestOp[] = [];
      const cleaned: string[] = [];
      for (const op of ops) {
        if (op.op === 'putNode') {
          requests.push({ request_put: { key: Buffer.from(keys.nodeInfoKey(node)), value: Buffer.from(encodeNodeInfo(op.info)), lease: sessionId } });
          continue;
        }
        if (op.op === 'putCheck' || op.op === 'deleteCheck') {
          const id = op.op === 'putCheck' ? op.check.id : op.id;
          const key = Buffer.from(keys.checkKey(node, id));
          if (op.op === 'putCheck') requests.push({ request_put: { key, value: Buffer.from(encodeCheck(op.check)), lease: sessionId } });
          else requests.push({ request_delete_range: { key } });
          continue;
        }
        const id = op.op === 'put' ? op.service.id : op.id;
        const key = Buffer.from(keys.serviceKey(node, id));
        if (op.op === 'put') requests.push({ request_put: { key, value: Buffer.from(encodeService(op.service)), lease: sessionId } });
        else requests.push({ request_delete_range: { key } });
        const extra = deletes(node, id);
        if (extra.length > 0) {
          requests.push(...extra);
          cleaned.push(id);
        }
      }
      // Foreign keys to remove can push a full batch over the limit: refuse it unsent, so it is split.
      if (requests.length > deps.maxTxnOps) throw new RefusedWriteError('tooLarge', `${requests.length} operations exceed maxTxnOps (${deps.maxTxnOps})`);
      try {
        revisions.note(node, await call(signal, (o) => etcd().kv.txn({ success: requests }, o)));
      } catch (err) {
        if (deps.isLeaseNotFound(err)) deps.onLeaseNotFound(sessionId, err);
        throw asRefusal(err);
      }
      for (const id of cleaned) foreign.forget(node, id);
    },
    getNodeInfo: async (node, signal) => {
      const key = Buffer.from(keys.nodeInfoKey(node));
      const kv = await read(revisions.floor(node), async (serializable) => {
        const res = await call(signal, (o) => etcd().kv.range({ key, ...mode(serializable) }, o));
        return { value: res.kvs[0], revision: revisionOf(res) };
      });
      return kv === undefined ? undefined : decodeNodeInfo(kv.value.toString());
    },
    putNodeInfo: async (node, info, sessionId, signal) => {
      try {
        revisions.note(node, await call(signal, (o) => etcd().put(keys.nodeInfoKey(node)).value(encodeNodeInfo(info)).lease(sessionId).options(o).exec()));
      } catch (err) {
        if (deps.isLeaseNotFound(err)) deps.onLeaseNotFound(sessionId, err);
        throw asRefusal(err, node, 'node');
      }
    },
    listChecks: async (node, signal) => {
      const prefix = keys.checksPrefix(node);
      const floor = revisions.floor(node);
      const kvs = await read(floor, (serializable) => listPrefix(signal, prefix, floor, serializable));
      const checks: Check[] = [];
      for (const kv of kvs) {
        const rest = kv.key.subarray(Buffer.byteLength(prefix)).toString();
        let id: string;
        try {
          id = decodeURIComponent(rest);
        } catch {
          id = rest;
        }
        const decoded = decodeCheck(id, kv.value.toString());
        if (decoded.corrupt) deps.log.warn({ node, key: kv.key.toString() }, 'corrupt check entry; the next full sync replaces it');
        checks.push(decoded.check);
      }
      return checks.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
    putCheck: async (node, check, sessionId, signal) => {
      try {
        revisions.note(node, await call(signal, (o) => etcd().put(keys.checkKey(node, check.id)).value(encodeCheck(check)).lease(sessionId).options(o).exec()));
      } catch (err) {
        if (deps.isLeaseNotFound(err)) deps.onLeaseNotFound(sessionId, err);
        throw asRefusal(err, check.id, 'check');
      }
    },
    deleteCheck: async (node, id, signal) => {
      try {
        revisions.note(node, await call(signal, (o) => etcd().delete().key(keys.checkKey(node, id)).options(o).exec()));
      } catch (err) {
        throw asRefusal(err, id, 'check');
      }
    },
    // Count-only: etcd answers with a number, never the keys, so no paging is needed. It
    // concerns every node, so it may be no older than the last write of any of ours.
    countNodes: (signal) => {
      const key = Buffer.from(keys.sessionsPrefix());
      return read(revisions.floorAll(), async (serializable) => {
        const res = await call(signal, (o) => etcd().kv.range({ key, range_end: prefixEnd(key), count_only: true, ...mode(serializable) }, o));
        return { value: Number(res.count), revision: revisionOf(res) };
      });
    },
  };
}
