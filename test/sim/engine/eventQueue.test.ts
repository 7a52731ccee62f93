import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventQueue, type PoppedEvent } from '../../../src/sim/engine/eventQueue.js';

const out = (): PoppedEvent => ({ time: 0, agent: 0, kind: 0, arg: 0 });

function drain(q: EventQueue): [number, number, number, number][] {
  const e = out();
  const seen: [number, number, number, number][] = [];
  while (q.pop(e)) seen.push([e.time, e.agent, e.kind, e.arg]);
  return seen;
}

describe('EventQueue', () => {
  it('pops by time, and equal times in push order', () => {
    const q = new EventQueue(2);
    q.push(5, 1, 0);
    q.push(3, 2, 0);
    q.push(5, 3, 0);
    q.push(3, 4, 1, 0.5);
    q.push(-1, 5, 0);
    expect(q.size).toBe(5);
    expect(q.peekTime()).toBe(-1);
    expect(drain(q)).toEqual([
      [-1, 5, 0, 0],
      [3, 2, 0, 0],
      [3, 4, 1, 0.5],
      [5, 1, 0, 0],
      [5, 3, 0, 0],
    ]);
    expect(q.size).toBe(0);
    expect(q.peekTime()).toBe(Infinity);
  });

  it('cancels an event once, and a stale name cancels nothing once its record is reused', () => {
    const q = new EventQueue(1);
    const seq = q.push(10, 1, 0);
    const record = q.lastRecord;
    q.push(20, 2, 0);
    expect(q.cancel(record, seq)).toBe(true);
    expect(q.cancel(record, seq)).toBe(false);
    expect(q.size).toBe(1);
    expect(drain(q)).toEqual([[20, 2, 0, 0]]);
    // The record is free again: a new event reuses it, and the old name leaves it alone.
    const seqs = [q.push(30, 3, 0), q.push(40, 4, 0)];
    const reused = q.lastRecord === record ? 1 : 0;
    expect(q.cancel(record, seq)).toBe(false);
    expect(q.cancel(record, seqs[reused]!)).toBe(true);
    expect(drain(q)).toEqual([reused === 1 ? [30, 3, 0, 0] : [40, 4, 0, 0]]);
  });

  it('refuses a NaN time, naming it, and keeps what it holds', () => {
    const q = new EventQueue();
    q.push(1, 1, 0);
    expect(() => q.push(Number.NaN, 2, 0)).toThrow(/event time must be a number, received NaN/);
    expect(drain(q)).toEqual([[1, 1, 0, 0]]);
  });

  it('matches a sorted reference over any mix of pushes, cancels and pops', () => {
    type Op = { op: 'push'; time: number } | { op: 'cancel'; pick: number } | { op: 'pop' };
    const op = fc.oneof(
      fc.record({ op: fc.constant('push' as const), time: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ op: fc.constant('cancel' as const), pick: fc.nat() }),
      fc.record({ op: fc.constant('pop' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops: Op[]) => {
        const q = new EventQueue(1);
        const ref: { time: number; seq: number; id: number; record: number }[] = [];
        let id = 0;
        const e = out();
        for (const o of ops) {
          if (o.op === 'push') {
            const seq = q.push(o.time, id, 0);
            ref.push({ time: o.time, seq, id: id++, record: q.lastRecord });
          } else if (o.op === 'cancel') {
            if (ref.length === 0) continue;
            const [victim] = ref.splice(o.pick % ref.length, 1);
            expect(q.cancel(victim!.record, victim!.seq)).toBe(true);
          } else {
            ref.sort((a, b) => a.time - b.time || a.seq - b.seq);
            const next = ref.shift();
            expect(q.pop(e)).toBe(next !== undefined);
            if (next) expect([e.time, e.agent]).toEqual([next.time, next.id]);
          }
          expect(q.size).toBe(ref.length);
        }
        ref.sort((a, b) => a.time - b.time || a.seq - b.seq);
        expect(drain(q).map(([t, a]) => [t, a])).toEqual(ref.map((r) => [r.time, r.id]));
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});
