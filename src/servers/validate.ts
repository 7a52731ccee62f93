// Servers at the manager's boundary: checks that name the bad field and the value,
// and the manager's own frozen copies, so a caller that mutates or renames its object
// after handing it over cannot corrupt the list. Direct calls (addServer, setServers)
// refuse bad input with a TypeError; remote inputs (heartbeats, discovery) skip the
// bad entries and keep the good ones.
import { describeValue } from '../shared/options.js';
import type { Server } from './types.js';

/** Checks one server; throws TypeError naming `what`, the field and the value. */
export function checkServer(what: string, server: unknown): asserts server is Server {
  if (typeof server !== 'object' || server === null)
    throw new TypeError(`${what} must be a server object, received ${describeValue(server)}`);
  const s = server as Partial<Server>;
  if (typeof s.name !== 'string' || s.name.length === 0)
    throw new TypeError(`${what}.name must be a non-empty string, received ${describeValue(s.name)}`);
  if (typeof s.address !== 'string')
    throw new TypeError(`${what}.address must be a string, received ${describeValue(s.address)}`);
  if (s.version !== undefined && (typeof s.version !== 'number' || !Number.isFinite(s.version)))
    throw new TypeError(`${what}.version must be a finite number, received ${describeValue(s.version)}`);
  if (s.datacenter !== undefined && typeof s.datacenter !== 'string')
    throw new TypeError(`${what}.datacenter must be a string, received ${describeValue(s.datacenter)}`);
  if (s.useTLS !== undefined && typeof s.useTLS !== 'boolean')
    throw new TypeError(`${what}.useTLS must be a boolean, received ${describeValue(s.useTLS)}`);
  const meta: unknown = s.meta;
  if (meta === undefined) return;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta))
    throw new TypeError(`${what}.meta must be an object of strings, received ${describeValue(meta)}`);
  for (const [key, value] of Object.entries(meta))
    if (typeof value !== 'string') throw new TypeError(`${what}.meta.${key} must be a string, received ${describeValue(value)}`);
}

/**
 * True when `value` is frozen, a plain object (its prototype Object.prototype or null, so
 * nothing it inherits can change) and holds only data properties (no getter can change
 * what it reads as).
 */
function isSealedData(value: object): boolean {
  if (!Object.isFrozen(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const key of Object.keys(value)) if (!('value' in (Object.getOwnPropertyDescriptor(value, key) as PropertyDescriptor))) return false;
  return true;
}

const KNOWN_FIELDS = new Set(['name', 'address', 'datacenter', 'version', 'useTLS', 'meta']);

/** A key that would re-prototype an object it is assigned to (JSON.parse makes it an own key). */
const PROTO_KEY = '__proto__';

/** A frozen copy of checked `meta`: own string entries, defined (never assigned), `__proto__` left out. */
function ownMeta(meta: Record<string, string>): Readonly<Record<string, string>> {
  const copy: Record<string, string> = {};
  for (const [key, value] of Object.entries(meta)) if (key !== PROTO_KEY) Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return Object.freeze(copy);
}

/**
 * The manager's own copy of a checked server: shallow, frozen, with a frozen copy of
 * `meta`. Other fields a caller added are copied too, unless `knownOnly` (inputs from
 * the network: heartbeats, discovery) — and a `__proto__` key never is: every field is
 * defined, never assigned, so no input can choose the copy's prototype and slip
 * unchecked `useTLS`, `version` or `meta` values past the check. A server that is already
 * frozen plain data (e.g. a copy the manager handed out) is kept as it is, so many
 * managers can share one set of server objects. Built field by field: V8 turns a frozen
 * spread copy into a dictionary (~190 B instead of ~50 B), which a fleet of managers pays
 * per server.
 */
export function ownServer(server: Server, knownOnly = false): Server {
  if (isSealedData(server) && (server.meta === undefined || isSealedData(server.meta)) && !(knownOnly && hasUnknownKeys(server))) return server;
  const copy: Server = { name: server.name, address: server.address };
  if (server.datacenter !== undefined) copy.datacenter = server.datacenter;
  if (server.version !== undefined) copy.version = server.version;
  if (server.useTLS !== undefined) copy.useTLS = server.useTLS;
  if (server.meta !== undefined) copy.meta = ownMeta(server.meta);
  if (!knownOnly) {
    for (const key of Object.keys(server)) {
      if (KNOWN_FIELDS.has(key) || key === PROTO_KEY) continue;
      Object.defineProperty(copy, key, { value: (server as unknown as Record<string, unknown>)[key], enumerable: true, writable: true, configurable: true });
    }
  }
  return Object.freeze(copy);
}

function hasUnknownKeys(server: Server): boolean {
  for (const key of Object.keys(server)) if (!KNOWN_FIELDS.has(key)) return true;
  return false;
}

/** Checks an array of servers with unique names (TypeError otherwise); returns own copies. */
export function checkServers(what: string, servers: unknown): Server[] {
  if (!Array.isArray(servers)) throw new TypeError(`${what} must be an array of servers, received ${describeValue(servers)}`);
  const seen = new Set<string>();
  const copies: Server[] = new Array<Server>(servers.length);
  for (let i = 0; i < servers.length; i++) {
    const s: unknown = servers[i];
    checkServer(`${what}[${i}]`, s);
    if (seen.has(s.name)) throw new TypeError(`${what} holds the server name ${JSON.stringify(s.name)} twice`);
    seen.add(s.name);
    copies[i] = ownServer(s);
  }
  return copies;
}

/**
 * The most servers one heartbeat or discovery answer may add. Real lists are short
 * (3–7 servers per Consul datacenter, tens in a Nomad region); a longer one is a broken
 * or hostile sender, and every server costs the agent work per rebalance and per failed
 * call (measured: 20,000 dead servers made a rebalance take 9.2 s and each failed call
 * block the event loop ~13 ms). At 1,000 that is ~0.5 s and ~0.7 ms at worst. The
 * entries beyond it are skipped like malformed ones (warned, and a heartbeat that
 * skipped any removes nothing this time), so nothing already accepted is lost.
 */
export const MAX_REMOTE_SERVERS = 1_000;

/**
 * Own copies of the well-formed entries of `servers`, the first of each name, at most
 * `max` of them (the rest are skipped in one call); every entry left out is handed to
 * `skip` with the reason. For inputs from the network, where one bad entry must not cost
 * the agent every good one.
 */
export function acceptServers(what: string, servers: readonly unknown[], skip: (index: number, reason: string) => void, max = MAX_REMOTE_SERVERS): Server[] {
  const seen = new Set<string>();
  const copies: Server[] = [];
  for (let i = 0; i < servers.length; i++) {
    if (copies.length === max) {
      skip(i, `${what} holds ${servers.length} entries: only the first ${max} usable servers are kept, entries from index ${i} on are skipped`);
      break;
    }
    const s: unknown = servers[i];
    try {
      checkServer(`${what}[${i}]`, s);
    } catch (err) {
      skip(i, (err as Error).message);
      continue;
    }
    if (seen.has(s.name)) {
      skip(i, `${what}[${i}] repeats the server name ${JSON.stringify(s.name)}`);
      continue;
    }
    seen.add(s.name);
    copies.push(ownServer(s, true));
  }
  return copies;
}

/** A cluster size from a caller: a finite number ≥ 0 (TypeError/RangeError otherwise). */
export function checkNodes(what: string, n: unknown): number {
  if (typeof n !== 'number') throw new TypeError(`${what} must be a number, received ${describeValue(n)}`);
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`${what} must be a finite number ≥ 0, received ${describeValue(n)}`);
  return n;
}
