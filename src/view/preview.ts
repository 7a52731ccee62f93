// A bounded JSON preview of any value: what the live view keeps of an event or a
// context. Events can carry anything (an RPC's whole reply, a cyclic object, a
// BigInt); the view must never serialise more than it shows, so the walk stops
// as soon as the preview is full instead of stringifying the value and cutting it.

const ELLIPSIS = '…';

/**
 * JSON-like text of `value`, at most `maxChars` characters (a cut preview ends in '…').
 * Cycles show as "[cycle]", functions and symbols as their kind, BigInts as `12n`;
 * objects with `toJSON` are previewed through it (a thrown toJSON shows as "[toJSON threw]").
 */
export function preview(value: unknown, maxChars: number): string {
  const out: string[] = [];
  let length = 0;
  let cut = false;
  const seen = new Set<object>();
  const full = (): boolean => length >= maxChars;
  const put = (text: string): void => {
    if (text.length === 0) return;
    if (full()) {
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
        if (v.length > maxChars) cut = true;
        return put(JSON.stringify(v.length > maxChars ? v.slice(0, maxChars) : v));
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
      for (const key in obj) {
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
