// A bounded JSON preview of any value: what the live view keeps of an event or a
// context. Events can carry anything (an RPC's whole reply, a cyclic object, a
// BigInt, a 50 MB Buffer); the view must never serialise more than it shows, so the
// walk stops as soon as the preview is full, never calls toJSON on binary data, and
// gives up after a time budget whatever the value's shape.

const ELLIPSIS = '…';
/** Elements of a typed array shown before its length says the rest. */
const BINARY_HEAD = 8;
/** Values walked between two looks at the clock. */
const STEPS_PER_CHECK = 32;

/** How long one preview may take. The clock is injectable so tests can step it. */
export interface PreviewBudget {
  /** ms, monotonic. Defaults to `performance.now`. */
  now(): number;
  /** Longest walk, ms; past it the preview is cut. Defaults to 5 ms. */
  maxMs: number;
  /**
   * An object whose own keys took longer than this to start enumerating (a dictionary
   * of a million keys costs ~1 s per `for…in`) is remembered and later previewed as
   * "[object with too many keys]" without enumerating again. Defaults to 2 ms.
   */
  slowKeysMs: number;
}

export const DEFAULT_PREVIEW_BUDGET: PreviewBudget = { now: () => performance.now(), maxMs: 5, slowKeysMs: 2 };

/** Objects whose keys were too slow to enumerate: weakly held, so they are never kept alive by the view. */
const slowObjects = new WeakSet<object>();

function binary(obj: object): string | undefined {
  if (obj instanceof ArrayBuffer) return `[ArrayBuffer(${obj.byteLength} bytes)]`;
  if (typeof SharedArrayBuffer !== 'undefined' && obj instanceof SharedArrayBuffer) return `[SharedArrayBuffer(${obj.byteLength} bytes)]`;
  if (!ArrayBuffer.isView(obj)) return undefined;
  if (obj instanceof DataView) return `[DataView(${obj.byteLength} bytes)]`;
  const view = obj as unknown as { length: number; [i: number]: number | bigint; constructor: { name?: string } };
  const head: string[] = [];
  for (let i = 0; i < Math.min(BINARY_HEAD, view.length); i++) head.push(String(view[i]));
  const name = typeof view.constructor?.name === 'string' ? view.constructor.name.slice(0, 40) : 'TypedArray';
  return `[${name}(${view.length}) ${head.join(',')}${view.length > BINARY_HEAD ? ',…' : ''}]`;
}

/**
 * JSON-like text of `value`, at most `maxChars` characters (a cut preview ends in '…').
 * Cycles show as "[cycle]", functions and symbols as their kind, BigInts as `12n`,
 * typed arrays, Buffers and ArrayBuffers as their type, length and first elements,
 * Maps and Sets as their size; other objects with `toJSON` are previewed through it
 * (a thrown toJSON shows as "[toJSON threw]"). The walk also stops after
 * `budget.maxMs`, so a preview costs bounded time for any value.
 */
export function preview(value: unknown, maxChars: number, budget: PreviewBudget = DEFAULT_PREVIEW_BUDGET): string {
  const out: string[] = [];
  let length = 0;
  let cut = false;
  let steps = 0;
  const deadline = budget.now() + budget.maxMs;
  const seen = new Set<object>();
  const full = (): boolean => {
    if (cut || length >= maxChars) return true;
    if (++steps % STEPS_PER_CHECK === 0 && budget.now() > deadline) cut = true;
    return cut;
  };
  const put = (text: string): void => {
    if (text.length === 0 || cut) return;
    if (length >= maxChars) {
      cut = true;
      return;
    }
    const room = maxChars - length;
    if (text.length > room) cut = true;
    const piece = text.length <= room ? text : text.slice(0, room);
    out.push(piece);
    length += piece.length;
  };
  const walk = (v: unknown, depth: number): void => {
    if (full()) {
      cut = true;
      return;
    }
    if (v === null || v === undefined) return put(String(v));
    switch (typeof v) {
      case 'string':
        // Cut long strings before quoting them: JSON.stringify of a 100 MB string is 100 MB.
        put(JSON.stringify(v.length > maxChars ? v.slice(0, maxChars) : v));
        if (v.length > maxChars) cut = true;
        return;
      case 'number':
      case 'boolean':
        return put(String(v));
      case 'bigint':
        return put(`${v}n`);
      case 'function':
        return put('"[function]"');
      case 'symbol':
        return put('"[symbol]"');
    }
    const obj = v;
    if (seen.has(obj)) return put('"[cycle]"');
    if (depth > 8) return put('"[…]"');
    // Before toJSON: Buffer#toJSON copies every byte into an array of numbers.
    const bin = binary(obj);
    if (bin !== undefined) return put(JSON.stringify(bin));
    if (obj instanceof Map || obj instanceof Set) return put(`"[${obj instanceof Map ? 'Map' : 'Set'}(${obj.size})]"`);
    if (slowObjects.has(obj)) return put('"[object with too many keys]"');
    const toJSON = (obj as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      let json: unknown;
      try {
        json = toJSON.call(obj);
      } catch {
        return put('"[toJSON threw]"');
      }
      if (json !== obj) return walk(json, depth + 1);
    }
    seen.add(obj);
    try {
      if (Array.isArray(obj)) {
        put('[');
        for (let i = 0; i < obj.length && !full(); i++) {
          if (i > 0) put(',');
          walk(obj[i], depth + 1);
        }
        put(']');
        return;
      }
      put('{');
      let first = true;
      let enumerating = true;
      const t0 = budget.now();
      for (const key in obj) {
        if (enumerating) {
          enumerating = false;
          if (budget.now() - t0 > budget.slowKeysMs) {
            slowObjects.add(obj);
            cut = true;
            break;
          }
        }
        if (full()) {
          cut = true;
          break;
        }
        if (!Object.prototype.hasOwnProperty.call(obj, key)) continue;
        let child: unknown;
        try {
          child = (obj as Record<string, unknown>)[key];
        } catch {
          child = '[getter threw]';
        }
        if (child === undefined || typeof child === 'function') continue;
        if (!first) put(',');
        first = false;
        put(`${JSON.stringify(key.length > maxChars ? key.slice(0, maxChars) : key)}:`);
        walk(child, depth + 1);
      }
      put('}');
    } finally {
      seen.delete(obj);
    }
  };
  walk(value, 0);
  const text = out.join('');
  return cut ? `${text.slice(0, Math.max(0, maxChars - 1))}${ELLIPSIS}` : text;
}
