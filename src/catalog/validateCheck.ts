// Validation of the health checks an agent registers: everything the registry
// accepts passes through here first, so a bad call throws before any state changes,
// and what is stored is a frozen copy.
import type { Check, CheckStatus, NodeInfo } from './backend.js';
import { describeValue } from '../shared/options.js';
import { MAX_NAME_LENGTH, validateAddress, validateMeta, validateServiceId } from './validate.js';

/** Longest check output, in bytes of UTF-8 (Consul's default `check_output_max_size`, 4 KiB). */
export const MAX_CHECK_OUTPUT_BYTES = 4096;
/** Longest check notes, in characters. */
export const MAX_CHECK_NOTES_LENGTH = 512;
/** Most checks one registry holds. */
export const MAX_CHECKS = 10_000;

const STATUSES: readonly CheckStatus[] = ['passing', 'warning', 'critical'];
const CHECK_KEYS = new Set(['id', 'name', 'serviceId', 'status', 'output', 'notes']);
const CONTROL = /\p{Cc}/u;

export function validateCheckStatus(status: unknown): CheckStatus {
  if (!STATUSES.includes(status as CheckStatus)) throw new RangeError(`check status must be one of passing, warning, critical, received ${describeValue(status)}`);
  return status as CheckStatus;
}

export function validateCheckOutput(output: unknown): string {
  if (typeof output !== 'string') throw new TypeError(`check output must be a string, received ${describeValue(output)}`);
  const bytes = Buffer.byteLength(output, 'utf8');
  if (bytes > MAX_CHECK_OUTPUT_BYTES) throw new RangeError(`check output must be at most ${MAX_CHECK_OUTPUT_BYTES} bytes, received ${bytes}`);
  return output;
}

/**
 * Checks `input` (extra fields refused) and returns a frozen copy. Throws `TypeError`
 * for a wrong type and `RangeError` for a value out of bounds, naming field and value.
 */
export function validateCheck(input: unknown): Check {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new TypeError(`check must be an object, received ${describeValue(input)}`);
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) if (!CHECK_KEYS.has(key)) throw new TypeError(`check has an unknown field ${describeValue(key)}`);
  const id = validateServiceId(raw.id, 'check id');
  if (typeof raw.name !== 'string') throw new TypeError(`check name must be a string, received ${describeValue(raw.name)}`);
  if (raw.name.length === 0 || raw.name.length > MAX_NAME_LENGTH) throw new RangeError(`check name must be 1 to ${MAX_NAME_LENGTH} characters, received ${raw.name.length}`);
  if (CONTROL.test(raw.name)) throw new RangeError(`check name must not contain control characters, received ${describeValue(raw.name)}`);
  const check: Check = { id, name: raw.name, status: validateCheckStatus(raw.status) };
  if (raw.serviceId !== undefined) check.serviceId = validateServiceId(raw.serviceId, 'check serviceId');
  if (raw.output !== undefined) check.output = validateCheckOutput(raw.output);
  if (raw.notes !== undefined) {
    if (typeof raw.notes !== 'string') throw new TypeError(`check notes must be a string, received ${describeValue(raw.notes)}`);
    if (raw.notes.length > MAX_CHECK_NOTES_LENGTH) throw new RangeError(`check notes must be at most ${MAX_CHECK_NOTES_LENGTH} characters, received ${raw.notes.length}`);
    check.notes = raw.notes;
  }
  return Object.freeze(check);
}

/** True when two checks hold the same definition and state; `ignoreOutput` compares all but the output. */
export function checksEqual(a: Check, b: Check, ignoreOutput = false): boolean {
  return (
    a.id === b.id &&
    a.name === b.name &&
    (a.serviceId ?? '') === (b.serviceId ?? '') &&
    a.status === b.status &&
    (a.notes ?? '') === (b.notes ?? '') &&
    (ignoreOutput || (a.output ?? '') === (b.output ?? ''))
  );
}

/** Node info: an address (as a service's) and optional meta (as a service's); a frozen copy. */
export function validateNodeInfo(input: unknown): NodeInfo {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new TypeError(`node info must be an object, received ${describeValue(input)}`);
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) if (key !== 'address' && key !== 'meta') throw new TypeError(`node info has an unknown field ${describeValue(key)}`);
  const info: NodeInfo = { address: validateAddress('node address', raw.address) };
  if (raw.meta !== undefined) info.meta = validateMeta('node meta', raw.meta);
  return Object.freeze(info);
}

/** True when two node infos are equal (meta as a set of pairs; missing meta equals empty). */
export function nodeInfoEqual(a: NodeInfo, b: NodeInfo): boolean {
  if (a.address !== b.address) return false;
  const ma = a.meta ?? {};
  const mb = b.meta ?? {};
  const ka = Object.keys(ma);
  return ka.length === Object.keys(mb).length && ka.every((k) => Object.prototype.hasOwnProperty.call(mb, k) && ma[k] === mb[k]);
}
