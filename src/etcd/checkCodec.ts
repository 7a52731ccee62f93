// A health check and the node's info as etcd values: plain JSON with a fixed field order (id, name,
// serviceId, status, output, notes), so `etcdctl get` shows it readably and equal
// checks serialize to identical bytes; a value that does not decode is reported as a
// visibly corrupt check that never equals a valid one, so the next full sync rewrites it.
import type { Check, NodeInfo } from '../catalog/backend.js';
import { isStringRecord, parseStored } from './keys.js';

const STATUSES = new Set(['passing', 'warning', 'critical']);

export function encodeCheck(check: Check): string {
  const out: Record<string, unknown> = { id: check.id, name: check.name };
  if (check.serviceId !== undefined) out.serviceId = check.serviceId;
  out.status = check.status;
  if (check.output !== undefined) out.output = check.output;
  if (check.notes !== undefined) out.notes = check.notes;
  return JSON.stringify(out);
}

/** The id always comes from the key; a malformed value decodes to a critical placeholder with an empty name. */
export function decodeCheck(id: string, value: string): { check: Check; corrupt: boolean } {
  const parsed = parseStored(value);
  const v = parsed as Partial<Record<keyof Check, unknown>> | undefined;
  const optional = (x: unknown): boolean => x === undefined || typeof x === 'string';
  const ok =
    typeof v === 'object' && v !== null && !Array.isArray(v) &&
    v.id === id && typeof v.name === 'string' && STATUSES.has(v.status as string) &&
    optional(v.serviceId) && optional(v.output) && optional(v.notes);
  if (!ok) return { check: { id, name: '', status: 'critical', output: 'ae-sync: corrupt check entry' }, corrupt: true };
  const check: Check = { id, name: v.name as string, status: v.status as Check['status'] };
  if (v.serviceId !== undefined) check.serviceId = v.serviceId as string;
  if (v.output !== undefined) check.output = v.output as string;
  if (v.notes !== undefined) check.notes = v.notes as string;
  return { check, corrupt: false };
}

/** `{"address":…,"meta":{…}}`, meta keys sorted. */
export function encodeNodeInfo(info: NodeInfo): string {
  const out: Record<string, unknown> = { address: info.address };
  if (info.meta !== undefined) {
    const meta = info.meta;
    out.meta = Object.fromEntries(Object.keys(meta).sort().map((k) => [k, meta[k]]));
  }
  return JSON.stringify(out);
}

/** A malformed value decodes to an empty address, which never equals valid info. */
export function decodeNodeInfo(value: string): NodeInfo {
  const parsed = parseStored(value);
  const v = parsed as { address?: unknown; meta?: unknown } | undefined;
  if (typeof v !== 'object' || v === null || typeof v.address !== 'string' || (v.meta !== undefined && !isStringRecord(v.meta))) return { address: '' };
  return v.meta === undefined ? { address: v.address } : { address: v.address, meta: v.meta };
}
