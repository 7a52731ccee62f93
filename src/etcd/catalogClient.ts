// One member's CatalogClient: paged listing of a node's services, writes attached
// to the node's lease, and deletes by the raw keys a listing found. A key under a
// node's prefix that is not the canonical encoding of its id (`a b`, `x/y`, `%41`,
// `web%2D1`, written by someone else) is listed as a corrupt entry and remembered by
// its raw bytes, so the sync that deletes or rewrites it removes that very key.
import type { Etcd3, IKeyValue, IRequestOp } from 'etcd3';
import type { CatalogClient, Check, Service, WriteOp } from '../catalog/backend.js';
import { decodeCheck, decodeNodeInfo, encodeCheck, encodeNodeInfo } from './checkCodec.js';
import { RefusedWriteError } from '../catalog/errors.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { boundedCall } from './client.js';
import { CORRUPT_META_KEY, decodeService, encodeService, type KeyLayout } from './keys.js';
import { rangeAll } from './paging.js';
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
  return {
    listServices: async (node, signal) => {
      const prefix = keys.servicesPrefix(node);
      // Each page is its own bounded call; the whole listing is bounded by `signal`.
      const kvs = await rangeAll((request) => call(signal, (o) => etcd().kv.range(request, o)), prefix, deps.pageSize);
      const { services, foreign: found } = servicesOf(keys, node, kvs, deps.log);
      foreign.replace(node, found);
      return services;
    },
    putService: async (node, service, sessionId, signal) => {
      const key = keys.serviceKey(node, service.id);
      const extra = deletes(node, service.id);
      try {
        if (extra.length === 0) {
          await call(signal, (o) => etcd().put(key).value(encodeService(service)).lease(sessionId).options(o).exec());
        } else {
          const put: IRequestOp = { request_put: { key: Buffer.from(key), value: Buffer.from(encodeService(service)), lease: sessionId } };
          await call(signal, (o) => etcd().kv.txn({ success: [put, ...extra] }, o));
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
          await call(signal, (o) => etcd().delete().key(key).options(o).exec());
          return;
        }
        // The canonical key and every raw key the listing found for this id, in one transaction.
        await call(signal, (o) => etcd().kv.txn({ success: [{ request_delete_range: { key: Buffer.from(key) } }, ...extra] }, o));
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
        await call(signal, (o) => etcd().kv.txn({ success: requests }, o));
      } catch (err) {
        if (deps.isLeaseNotFound(err)) deps.onLeaseNotFound(sessionId, err);
        throw asRefusal(err);
      }
      for (const id of cleaned) foreign.forget(node, id);
    },
    getNodeInfo: async (node, signal) => {
      const value = await call(signal, (o) => etcd().get(keys.nodeInfoKey(node)).options(o).string());
      return value === null ? undefined : decodeNodeInfo(value);
    },
    putNodeInfo: async (node, info, sessionId, signal) => {
      try {
        await call(signal, (o) => etcd().put(keys.nodeInfoKey(node)).value(encodeNodeInfo(info)).lease(sessionId).options(o).exec());
      } catch (err) {
        if (deps.isLeaseNotFound(err)) deps.onLeaseNotFound(sessionId, err);
        throw asRefusal(err, node, 'node');
      }
    },
    listChecks: async (node, signal) => {
      const prefix = keys.checksPrefix(node);
      const kvs = await rangeAll((request) => call(signal, (o) => etcd().kv.range(request, o)), prefix, deps.pageSize);
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
        await call(signal, (o) => etcd().put(keys.checkKey(node, check.id)).value(encodeCheck(check)).lease(sessionId).options(o).exec());
      } catch (err) {
        if (deps.isLeaseNotFound(err)) deps.onLeaseNotFound(sessionId, err);
        throw asRefusal(err, check.id, 'check');
      }
    },
    deleteCheck: async (node, id, signal) => {
      try {
        await call(signal, (o) => etcd().delete().key(keys.checkKey(node, id)).options(o).exec());
      } catch (err) {
        throw asRefusal(err, id, 'check');
      }
    },
    // Count-only: etcd answers with a number, never the keys, so no paging is needed.
    countNodes: (signal) => call(signal, (o) => etcd().getAll().prefix(keys.sessionsPrefix()).options(o).count()),
  };
}
