// Validation of the services an agent registers and of node names. Everything the
// registry accepts passes through here first, so a bad call throws before any state
// changes, and what is stored is a frozen copy the caller can no longer mutate.
import type { Service } from './backend.js';
import { describeValue } from '../shared/options.js';

/**
 * Longest service id / node name, in characters. Ids become one path segment of a
 * remote key (`<prefix>/nodes/<node>/services/<id>`), so they stay short and free of
 * `/`; 128 matches what DNS labels and Consul ids comfortably hold.
 */
export const MAX_ID_LENGTH = 128;
/** Longest service name, in characters. */
export const MAX_NAME_LENGTH = 128;
/** Longest address (a hostname is at most 253 characters; IPv6 with zone fits too). */
export const MAX_ADDRESS_LENGTH = 255;
/** Most tags per service, and the longest tag in characters. */
export const MAX_TAGS = 64;
export const MAX_TAG_LENGTH = 255;
/** Most meta pairs per service and their key/value lengths (Consul's limits: 64, 128, 512). */
export const MAX_META_PAIRS = 64;
export const MAX_META_KEY_LENGTH = 128;
export const MAX_META_VALUE_LENGTH = 512;
/**
 * Largest service once encoded as JSON, in bytes (UTF-8). Every entry is rewritten
 * whole on change and read back whole on every full sync: 8 KiB × 1 000 services
 * is 8 MB per full sync of one node, which is already a lot to send every minute.
 */
export const MAX_SERVICE_BYTES = 8 * 1024;
/** Most services one registry holds (bounds the memory and the cost of a full sync). */
export const MAX_SERVICES = 10_000;

/** Ids and node names: letters, digits, `.`, `_`, `-`, `:`, `@`; starting with a letter or digit. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;
/** Service names: letters, digits, `.`, `_`, `-` (DNS-friendly); starting with a letter or digit. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Meta keys, as Consul allows them. */
const META_KEY_PATTERN = /^[A-Za-z0-9_-]+$/;
/** Whitespace and control characters have no place in an address. */
const ADDRESS_FORBIDDEN = /[\s\p{Cc}]/u;
const CONTROL = /\p{Cc}/u;
/**
 * Invisible characters that make two strings look alike or reorder how they display
 * (Trojan Source, CVE-2021-42574): zero-width spaces and joiners and the marks
 * (U+200B–U+200F), bidi embeddings and overrides (U+202A–U+202E), bidi isolates
 * (U+2066–U+2069) and the byte-order mark (U+FEFF). Refused in addresses and tags,
 * where an operator reads them and other programs match them.
 */
const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/u;

/** `U+XXXX` of the first character of `value` that `pattern` matches. */
function firstMatch(value: string, pattern: RegExp): string {
  const ch = pattern.exec(value)?.[0] ?? '';
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

const SERVICE_KEYS = new Set(['id', 'name', 'address', 'port', 'tags', 'meta']);

function boundedString(what: string, value: unknown, max: number, pattern?: RegExp, hint?: string): string {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string, received ${describeValue(value)}`);
  if (value.length === 0) throw new RangeError(`${what} must not be empty`);
  if (value.length > max) throw new RangeError(`${what} must be at most ${max} characters, received ${value.length}`);
  if (pattern && !pattern.test(value)) throw new RangeError(`${what} ${hint ?? 'has invalid characters'}, received ${describeValue(value)}`);
  return value;
}

/** A service id: non-empty, ≤ {@link MAX_ID_LENGTH}, letters/digits/`._:@-`. */
export function validateServiceId(id: unknown, what = 'service id'): string {
  return boundedString(what, id, MAX_ID_LENGTH, ID_PATTERN, 'must start with a letter or digit and use only letters, digits and . _ : @ -');
}

/** A node name: same rules as a service id (it is a key segment too). */
export function validateNodeName(node: unknown): string {
  return validateServiceId(node, 'node');
}

function validatePort(what: string, port: unknown): number {
  if (typeof port !== 'number') throw new TypeError(`${what} must be a number, received ${describeValue(port)}`);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new RangeError(`${what} must be an integer from 1 to 65535, received ${describeValue(port)}`);
  }
  return port;
}

function validateTags(what: string, tags: unknown): readonly string[] {
  if (!Array.isArray(tags)) throw new TypeError(`${what} must be an array of strings, received ${describeValue(tags)}`);
  if (tags.length > MAX_TAGS) throw new RangeError(`${what} must hold at most ${MAX_TAGS} tags, received ${tags.length}`);
  const copy: string[] = [];
  for (let i = 0; i < tags.length; i++) {
    const tag: unknown = tags[i];
    if (typeof tag !== 'string') throw new TypeError(`${what}[${i}] must be a string, received ${describeValue(tag)}`);
    if (tag.length > MAX_TAG_LENGTH) throw new RangeError(`${what}[${i}] must be at most ${MAX_TAG_LENGTH} characters, received ${tag.length}`);
    if (CONTROL.test(tag)) throw new RangeError(`${what}[${i}] must not contain control characters, received ${describeValue(tag)}`);
    if (INVISIBLE.test(tag)) throw new RangeError(`${what}[${i}] must not contain invisible or bidi characters (${firstMatch(tag, INVISIBLE)}), received ${describeValue(tag)}`);
    copy.push(tag);
  }
  return Object.freeze(copy);
}

export function validateMeta(what: string, meta: unknown): Readonly<Record<string, string>> {
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw new TypeError(`${what} must be an object of strings, received ${describeValue(meta)}`);
  }
  const proto: unknown = Object.getPrototypeOf(meta);
  if (proto !== Object.prototype && proto !== null) throw new TypeError(`${what} must be a plain object`);
  const keys = Object.keys(meta);
  if (keys.length > MAX_META_PAIRS) throw new RangeError(`${what} must hold at most ${MAX_META_PAIRS} pairs, received ${keys.length}`);
  const copy: Record<string, string> = {};
  for (const key of keys.sort()) {
    boundedString(`${what} key`, key, MAX_META_KEY_LENGTH, META_KEY_PATTERN, 'must use only letters, digits, _ and -');
    const value: unknown = (meta as Record<string, unknown>)[key];
    if (typeof value !== 'string') throw new TypeError(`${what}.${key} must be a string, received ${describeValue(value)}`);
    if (value.length > MAX_META_VALUE_LENGTH) {
      throw new RangeError(`${what}.${key} must be at most ${MAX_META_VALUE_LENGTH} characters, received ${value.length}`);
    }
    if (CONTROL.test(value)) throw new RangeError(`${what}.${key} must not contain control characters (${firstMatch(value, CONTROL)}), received ${describeValue(value)}`);
    Object.defineProperty(copy, key, { value, enumerable: true });
  }
  return Object.freeze(copy);
}

/** An address: 1–255 characters, no whitespace, control, zero-width or bidi characters. */
export function validateAddress(what: string, value: unknown): string {
  const address = boundedString(what, value, MAX_ADDRESS_LENGTH);
  if (ADDRESS_FORBIDDEN.test(address)) throw new RangeError(`${what} must not contain whitespace or control characters, received ${describeValue(address)}`);
  if (INVISIBLE.test(address)) {
    throw new RangeError(`${what} must not contain invisible or bidi characters (${firstMatch(address, INVISIBLE)}), received ${describeValue(address)}`);
  }
  return address;
}

/**
 * Checks `input` and returns a frozen copy (tags copied, meta keys sorted). Throws
 * `TypeError` for a wrong type or an unknown field and `RangeError` for a value out
 * of bounds, naming the field and the value received.
 */
export function validateService(input: unknown): Service {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new TypeError(`service must be an object, received ${describeValue(input)}`);
  }
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!SERVICE_KEYS.has(key)) throw new TypeError(`service has an unknown field ${describeValue(key)}`);
  }
  const id = validateServiceId(raw.id);
  const service: Service = {
    id,
    name: boundedString('service name', raw.name, MAX_NAME_LENGTH, NAME_PATTERN, 'must start with a letter or digit and use only letters, digits and . _ -'),
    address: validateAddress('service address', raw.address),
    port: validatePort('service port', raw.port),
  };
  if (raw.tags !== undefined) service.tags = validateTags('service tags', raw.tags) as string[];
  if (raw.meta !== undefined) service.meta = validateMeta('service meta', raw.meta);
  const bytes = Buffer.byteLength(JSON.stringify(service), 'utf8');
  if (bytes > MAX_SERVICE_BYTES) throw new RangeError(`service ${describeValue(id)} encodes to ${bytes} bytes, more than the ${MAX_SERVICE_BYTES} allowed`);
  return Object.freeze(service);
}

/**
 * True when two services hold the same registration. Tags compare in order, meta as
 * a set of pairs; a missing `tags`/`meta` equals an empty one. Tolerates malformed
 * remote entries (anything odd compares unequal, so it gets rewritten).
 */
export function servicesEqual(a: Service, b: Service): boolean {
  if (a.id !== b.id || a.name !== b.name || a.address !== b.address || a.port !== b.port) return false;
  const ta = a.tags ?? [];
  const tb = b.tags ?? [];
  if (!Array.isArray(ta) || !Array.isArray(tb) || ta.length !== tb.length) return false;
  for (let i = 0; i < ta.length; i++) if (ta[i] !== tb[i]) return false;
  const ma = a.meta ?? {};
  const mb = b.meta ?? {};
  if (typeof ma !== 'object' || typeof mb !== 'object' || ma === null || mb === null) return false;
  const ka = Object.keys(ma);
  if (ka.length !== Object.keys(mb).length) return false;
  for (const key of ka) {
    if (!Object.prototype.hasOwnProperty.call(mb, key) || ma[key] !== mb[key]) return false;
  }
  return true;
}
