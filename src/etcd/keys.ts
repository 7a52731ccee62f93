// The key layout in etcd and the encoding of a service as a value. Values are
// JSON with a fixed field order (and sorted meta keys) so equal services always
// serialize to identical bytes, and a value that does not decode is reported as
// a visibly corrupt entry rather than hidden.
import type { Service } from '../catalog/backend.js';

/** Key names for one backend prefix. Node names and service ids are URI-encoded as path segments. */
export class KeyLayout {
  constructor(readonly prefix: string) {}
  /** `<prefix>/nodes/<node>/services/` — every service of one node. */
  servicesPrefix(node: string): string {
    return `${this.prefix}/nodes/${encodeURIComponent(node)}/services/`;
  }
  /** `<prefix>/nodes/<node>/services/<id>` */
  serviceKey(node: string, id: string): string {
    return this.servicesPrefix(node) + encodeURIComponent(id);
  }
  /** `<prefix>/nodes/<node>/info` — the node's address and meta, attached to its lease. */
  nodeInfoKey(node: string): string {
    return `${this.prefix}/nodes/${encodeURIComponent(node)}/info`;
  }
  /** `<prefix>/nodes/<node>/checks/` — every health check of one node. */
  checksPrefix(node: string): string {
    return `${this.prefix}/nodes/${encodeURIComponent(node)}/checks/`;
  }
  /** `<prefix>/nodes/<node>/checks/<id>`, attached to the node's lease like its services. */
  checkKey(node: string, id: string): string {
    return this.checksPrefix(node) + encodeURIComponent(id);
  }
  /** The id encoded in a key returned by a range over `servicesPrefix(node)`. */
  serviceIdOf(node: string, key: string): string {
    const rest = key.slice(this.servicesPrefix(node).length);
    try {
      return decodeURIComponent(rest);
    } catch {
      return rest;
    }
  }
  /**
   * `<prefix>/sessions/` — one key per live node registration. Kept in its own
   * range (not under `nodes/<node>/`) so the cluster size is a count-only range.
   */
  sessionsPrefix(): string {
    return `${this.prefix}/sessions/`;
  }
  /** `<prefix>/sessions/<node>`, attached to the node's lease. */
  sessionKey(node: string): string {
    return this.sessionsPrefix() + encodeURIComponent(node);
  }
}

/** Marker in `meta` of a service whose stored value could not be decoded. */
export const CORRUPT_META_KEY = 'ae-sync.corrupt';

/** JSON with a stable field order: id, name, address, port, tags, meta (keys sorted). */
export function encodeService(service: Service): string {
  const out: Record<string, unknown> = {
    id: service.id,
    name: service.name,
    address: service.address,
    port: service.port,
  };
  if (service.tags !== undefined) out.tags = [...service.tags];
  if (service.meta !== undefined) {
    const meta = service.meta;
    out.meta = Object.fromEntries(Object.keys(meta).sort().map((k) => [k, meta[k]]));
  }
  return JSON.stringify(out);
}

/** A stored value as JSON, or undefined when it is not JSON at all (decoders then make a placeholder). */
export function parseStored(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

export function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}

/**
 * Decodes a stored value. The id always comes from the key. A value that is not
 * a well-formed service decodes to a placeholder (port 0, `meta['ae-sync.corrupt']`)
 * that can never equal a valid local service, so the next full sync rewrites or deletes it.
 */
export function decodeService(id: string, value: string): { service: Service; corrupt: boolean } {
  const parsed = parseStored(value);
  const v = parsed as Partial<Record<keyof Service, unknown>> | undefined;
  const ok =
    typeof v === 'object' && v !== null && !Array.isArray(v) &&
    v.id === id &&
    typeof v.name === 'string' &&
    typeof v.address === 'string' &&
    typeof v.port === 'number' && Number.isInteger(v.port) &&
    (v.tags === undefined || (Array.isArray(v.tags) && v.tags.every((t) => typeof t === 'string'))) &&
    (v.meta === undefined || isStringRecord(v.meta));
  if (!ok) return { service: { id, name: '', address: '', port: 0, meta: { [CORRUPT_META_KEY]: 'true' } }, corrupt: true };
  const service: Service = { id, name: v.name as string, address: v.address as string, port: v.port as number };
  if (v.tags !== undefined) service.tags = v.tags as string[];
  if (v.meta !== undefined) service.meta = v.meta as Record<string, string>;
  return { service, corrupt: false };
}
