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
    expect(preview(huge, 40).length).toBe(40);
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
