import { describe, expect, it } from 'vitest';
import {
  MAX_ID_LENGTH,
  MAX_META_PAIRS,
  MAX_SERVICE_BYTES,
  MAX_TAGS,
  servicesEqual,
  validateNodeName,
  validateService,
  validateServiceId,
} from '../../src/catalog/validate.js';
import type { Service } from '../../src/catalog/backend.js';

const good: Service = { id: 'web-1', name: 'web', address: '10.0.0.1', port: 8080, tags: ['a', 'b'], meta: { zone: 'z1' } };

describe('validateService', () => {
  it('returns a frozen copy when the service is valid', () => {
    const input = { ...good, tags: [...(good.tags ?? [])], meta: { ...good.meta } };
    const out = validateService(input);
    expect(out).toEqual(good);
    expect(Object.isFrozen(out)).toBe(true);
    expect(Object.isFrozen(out.tags)).toBe(true);
    input.tags.push('later');
    input.meta.zone = 'changed';
    expect(out.tags).toEqual(['a', 'b']);
    expect(out.meta).toEqual({ zone: 'z1' });
  });

  it('accepts a service without tags or meta when they are omitted', () => {
    expect(validateService({ id: 'x', name: 'x', address: 'h', port: 1 })).toEqual({ id: 'x', name: 'x', address: 'h', port: 1 });
  });

  it.each([
    ['a non-object', 42, TypeError, /service must be an object/],
    ['null', null, TypeError, /service must be an object/],
    ['an array', [], TypeError, /service must be an object/],
    ['an unknown field', { ...good, tag: 'x' }, TypeError, /unknown field "tag"/],
    ['a numeric id', { ...good, id: 7 }, TypeError, /service id must be a string, received 7/],
    ['an empty id', { ...good, id: '' }, RangeError, /service id must not be empty/],
    ['an id with a slash', { ...good, id: 'a/b' }, RangeError, /service id must start with .* received "a\/b"/],
    ['an id starting with a dot', { ...good, id: '.x' }, RangeError, /service id/],
    ['an overlong id', { ...good, id: 'a'.repeat(MAX_ID_LENGTH + 1) }, RangeError, /at most 128 characters, received 129/],
    ['a missing name', { ...good, name: undefined }, TypeError, /service name must be a string, received undefined/],
    ['a name with spaces', { ...good, name: 'my web' }, RangeError, /service name/],
    ['an empty address', { ...good, address: '' }, RangeError, /service address must not be empty/],
    ['an address with whitespace', { ...good, address: '10.0.0.1 x' }, RangeError, /service address must not contain whitespace/],
    ['a string port', { ...good, port: '80' }, TypeError, /service port must be a number, received "80"/],
    ['port 0', { ...good, port: 0 }, RangeError, /from 1 to 65535, received 0/],
    ['port 65536', { ...good, port: 65_536 }, RangeError, /received 65536/],
    ['a fractional port', { ...good, port: 80.5 }, RangeError, /received 80.5/],
    ['a NaN port', { ...good, port: NaN }, RangeError, /received NaN/],
    ['tags not an array', { ...good, tags: 'a' }, TypeError, /service tags must be an array/],
    ['a non-string tag', { ...good, tags: ['a', 3] }, TypeError, /service tags\[1\] must be a string, received 3/],
    ['too many tags', { ...good, tags: Array.from({ length: MAX_TAGS + 1 }, (_, i) => `t${i}`) }, RangeError, /at most 64 tags, received 65/],
    ['a tag with a newline', { ...good, tags: ['a\nb'] }, RangeError, /control characters/],
    ['meta not an object', { ...good, meta: ['x'] }, TypeError, /service meta must be an object/],
    ['meta a class instance', { ...good, meta: new Map() }, TypeError, /plain object/],
    ['a non-string meta value', { ...good, meta: { a: 1 } }, TypeError, /service meta.a must be a string, received 1/],
    ['a bad meta key', { ...good, meta: { 'a b': 'x' } }, RangeError, /service meta key/],
    ['too many meta pairs', { ...good, meta: Object.fromEntries(Array.from({ length: MAX_META_PAIRS + 1 }, (_, i) => [`k${i}`, 'v'])) }, RangeError, /at most 64 pairs/],
    ['an oversized meta value', { ...good, meta: { k: 'v'.repeat(513) } }, RangeError, /at most 512 characters, received 513/],
    ['a meta value with a newline', { ...good, meta: { note: 'a\nb' } }, RangeError, /service meta.note must not contain control characters \(U\+000A\)/],
    ['a meta value with NUL', { ...good, meta: { note: 'a\u0000' } }, RangeError, /service meta.note .*U\+0000/],
    ['a meta value with DEL', { ...good, meta: { note: 'a\u007f' } }, RangeError, /service meta.note .*U\+007F/],
    ['a meta value with a C1 control', { ...good, meta: { note: 'a\u009b' } }, RangeError, /service meta.note .*U\+009B/],
    ['an address with a zero-width space', { ...good, address: '10.0.0.1\u200B' }, RangeError, /service address must not contain invisible or bidi characters \(U\+200B\)/],
    ['an address with a right-to-left mark', { ...good, address: 'web\u200F.local' }, RangeError, /service address .*U\+200F/],
    ['an address with a bidi override', { ...good, address: 'a\u202Eb' }, RangeError, /service address .*U\+202E/],
    ['an address with a bidi isolate', { ...good, address: 'a\u2066b' }, RangeError, /service address .*U\+2066/],
    ['an address with a BOM', { ...good, address: '\uFEFFhost' }, RangeError, /service address must not contain/],
    ['a tag with a zero-width joiner', { ...good, tags: ['ok', 'v\u200D2'] }, RangeError, /service tags\[1\] must not contain invisible or bidi characters \(U\+200D\)/],
    ['a tag with a bidi embedding', { ...good, tags: ['\u202Aprod'] }, RangeError, /service tags\[0\] .*U\+202A/],
    ['a tag with a pop-directional isolate', { ...good, tags: ['x\u2069'] }, RangeError, /service tags\[0\] .*U\+2069/],
  ])('throws when given %s', (_label, input, type, message) => {
    expect(() => validateService(input)).toThrow(type);
    expect(() => validateService(input)).toThrow(message);
  });

  it('accepts visible non-ASCII text in meta values, tags and addresses next to the refused ranges', () => {
    const service = { ...good, address: 'bücher.example', tags: ['日本', 'v\u2010x', 'a\u2070'], meta: { note: 'café – ok' } };
    expect(validateService(service)).toEqual(service);
  });

  it('throws RangeError when the encoded service exceeds the byte limit', () => {
    const tags = Array.from({ length: 40 }, () => 'é'.repeat(200)); // 2 bytes per character in UTF-8
    expect(() => validateService({ ...good, tags })).toThrow(RangeError);
    expect(() => validateService({ ...good, tags })).toThrow(new RegExp(`more than the ${MAX_SERVICE_BYTES} allowed`));
  });

  it('sorts meta keys when copying', () => {
    expect(Object.keys(validateService({ ...good, meta: { b: '2', a: '1' } }).meta ?? {})).toEqual(['a', 'b']);
  });
});

describe('validateServiceId / validateNodeName', () => {
  it('accepts ids with the allowed punctuation when they start alphanumerically', () => {
    expect(validateServiceId('a.b_c:d@e-f')).toBe('a.b_c:d@e-f');
    expect(validateNodeName('node-1')).toBe('node-1');
  });

  it('names the node in the error when a node name is bad', () => {
    expect(() => validateNodeName('a/b')).toThrow(/^node must start/);
    expect(() => validateNodeName(undefined)).toThrow(TypeError);
  });
});

describe('servicesEqual', () => {
  it('treats missing tags/meta as empty and meta key order as irrelevant when comparing', () => {
    const base = { id: 'a', name: 'a', address: 'h', port: 1 };
    expect(servicesEqual(base, { ...base, tags: [], meta: {} })).toBe(true);
    expect(servicesEqual({ ...base, meta: { a: '1', b: '2' } }, { ...base, meta: { b: '2', a: '1' } })).toBe(true);
  });

  it('returns false when any field differs', () => {
    expect(servicesEqual(good, { ...good, port: 1 })).toBe(false);
    expect(servicesEqual(good, { ...good, address: 'x' })).toBe(false);
    expect(servicesEqual(good, { ...good, name: 'x' })).toBe(false);
    expect(servicesEqual(good, { ...good, tags: ['b', 'a'] })).toBe(false);
    expect(servicesEqual(good, { ...good, meta: { zone: 'z2' } })).toBe(false);
    expect(servicesEqual(good, { ...good, meta: { zone: 'z1', extra: '' } })).toBe(false);
  });

  it('returns false when a remote entry is malformed', () => {
    expect(servicesEqual(good, { ...good, tags: 'a' } as unknown as Service)).toBe(false);
    expect(servicesEqual(good, { ...good, meta: null } as unknown as Service)).toBe(false);
  });
});
