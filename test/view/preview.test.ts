// The live view's bounded JSON preview and the graph it draws, as pure functions.
import { describe, expect, it } from 'vitest';
import { preview } from '../../src/view/preview.js';
import { activeStateIds, machineGraph } from '../../src/view/graph.js';
import { toggleMachine } from './helpers.js';

describe('preview', () => {
  it('writes small values as JSON, and cuts long ones to maxChars ending in …', () => {
    expect(preview({ a: 1, b: ['x', true, null] }, 100)).toBe('{"a":1,"b":["x",true,null]}');
    expect(preview({ a: 1, b: ['x', true, null] }, 27)).toBe('{"a":1,"b":["x",true,null]}'); // exactly full: not cut
    expect(preview({ a: 1, b: ['x', true, null] }, 26)).toBe('{"a":1,"b":["x",true,null…');
    expect(preview('y'.repeat(50_000_000), 10)).toBe('"yyyyyyyy…');
  });

  it('shows cycles, functions, symbols, BigInts, throwing getters and toJSON without failing', () => {
    const cyclic: Record<string, unknown> = { n: 1n, f: () => 1, s: Symbol('s') };
    cyclic.self = cyclic;
    expect(preview(cyclic, 200)).toBe('{"n":1n,"s":"[symbol]","self":"[cycle]"}');
    expect(preview({ toJSON: () => ({ ok: true }) }, 50)).toBe('{"ok":true}');
    expect(preview({ toJSON: () => { throw new Error('no'); } }, 50)).toBe('"[toJSON threw]"');
    const getter = Object.defineProperty({}, 'g', { enumerable: true, get: () => { throw new Error('no'); } });
    expect(preview(getter, 50)).toBe('{"g":"[getter threw]"}');
    expect(preview(undefined, 10)).toBe('undefined');
  });

  it('stops walking a huge object as soon as the preview is full', () => {
    let reads = 0;
    const huge = new Proxy({}, {
      ownKeys: () => Array.from({ length: 100_000 }, (_, i) => `k${i}`),
      getOwnPropertyDescriptor: () => ({ enumerable: true, configurable: true, value: 1 }),
      get: () => (reads++, 1),
    });
    expect(preview(huge, 40, { now: () => 0, maxMs: 5, slowKeysMs: 2 }).length).toBe(40); // a clock that stands still: only the size bounds it
    expect(reads).toBeLessThan(20);
  });
});

describe('machineGraph and activeStateIds', () => {
  it('lists the state tree, the initial states and every transition of a machine', () => {
    const graph = machineGraph(toggleMachine);
    expect(graph.root).toMatchObject({ id: '', key: 'toggle', initial: 'idle' });
    expect(graph.root.children.find((c) => c.id === 'busy')).toMatchObject({ initial: 'busy.working', children: [{ id: 'busy.working' }, { id: 'busy.resting' }] });
    expect(graph.edges).toEqual([
      { from: 'idle', to: 'done', label: 'STOP' },
      { from: 'busy', to: 'done', label: 'STOP' },
      { from: 'idle', to: 'busy', label: 'GO' },
      { from: 'busy', to: 'idle', label: 'BACK' },
      { from: 'busy.working', to: 'busy.resting', label: 'REST' },
    ]);
  });

  it('gives the active ids of a state value, ancestors first, parallel regions each', () => {
    expect(activeStateIds('idle')).toEqual(['idle']);
    expect(activeStateIds({ busy: 'working' })).toEqual(['busy', 'busy.working']);
    expect(activeStateIds({ p: { a: 'x', b: { c: 'y' } } })).toEqual(['p', 'p.a', 'p.a.x', 'p.b', 'p.b.c', 'p.b.c.y']);
    expect(activeStateIds(undefined)).toEqual([]);
  });
});

describe('preview bounds (size and time for any value)', () => {
  /** A clock that moves `stepMs` each time it is read. */
  const stepping = (stepMs: number) => {
    let t = 0;
    return { now: () => (t += stepMs), maxMs: 5, slowKeysMs: 2 };
  };

  it('shows Buffers, typed arrays and ArrayBuffers by type, length and first elements without toJSON', () => {
    const buffer = Buffer.alloc(1_048_576, 7);
    let toJSONCalls = 0;
    const original = buffer.toJSON.bind(buffer);
    buffer.toJSON = () => (toJSONCalls++, original());
    expect(preview({ payload: buffer }, 200)).toBe('{"payload":"[Buffer(1048576) 7,7,7,7,7,7,7,7,…]"}');
    expect(toJSONCalls).toBe(0);
    expect(preview(new Uint8Array(50_000_000), 60)).toBe('"[Uint8Array(50000000) 0,0,0,0,0,0,0,0,…]"');
    expect(preview(new Float64Array([1.5, 2]), 60)).toBe('"[Float64Array(2) 1.5,2]"');
    expect(preview(new BigInt64Array([3n]), 60)).toBe('"[BigInt64Array(1) 3]"');
    expect(preview(new ArrayBuffer(16), 60)).toBe('"[ArrayBuffer(16 bytes)]"');
    expect(preview(new DataView(new ArrayBuffer(4)), 60)).toBe('"[DataView(4 bytes)]"');
    expect(preview(new Map([[1, 2]]), 60)).toBe('"[Map(1)]"');
    expect(preview(new Set([1, 2, 3]), 60)).toBe('"[Set(3)]"');
  });

  it('cuts the walk when the time budget runs out, even with room left', () => {
    const wide = Array.from({ length: 10_000 }, (_, i) => i);
    const text = preview(wide, 1_000_000, stepping(1));
    expect(text.endsWith('…')).toBe(true);
    expect(text.length).toBeLessThan(1_000); // well short of the 48 K characters the whole array needs
    // A clock that stands still lets the same value through whole.
    expect(preview(wide, 1_000_000, { now: () => 0, maxMs: 5, slowKeysMs: 2 })).toBe(JSON.stringify(wide));
  });

  it('enumerates an object whose keys are slow to list once, then shows it without enumerating again', () => {
    let enumerations = 0;
    let t = 0;
    const budget = { now: () => t, maxMs: 1_000, slowKeysMs: 2 };
    // Listing the keys of `timed` "takes" 3 ms: the clock jumps while ownKeys runs.
    const timed = new Proxy({ a: 1, b: 2 }, {
      ownKeys: (target) => {
        enumerations++;
        t += 3;
        return Reflect.ownKeys(target);
      },
    });
    expect(preview({ big: timed }, 100, budget)).toBe('{"big":{…');
    const listed = enumerations;
    expect(listed).toBeGreaterThan(0);
    expect(preview({ big: timed }, 100, budget)).toBe('{"big":"[object with too many keys]"}');
    expect(enumerations).toBe(listed);
    // A quick one is enumerated every time (its contents may change).
    const quick = { a: 1 };
    expect(preview(quick, 100, budget)).toBe('{"a":1}');
    quick.a = 2;
    expect(preview(quick, 100, budget)).toBe('{"a":2}');
  });
});
