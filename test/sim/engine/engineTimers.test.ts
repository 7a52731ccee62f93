// Timers and round trips as queue events: a Clock the hosted registries set timers on,
// in the order the heap clock gives, and clearTimeout that takes one out.
import { describe, expect, it } from 'vitest';
import { EventQueue, type PoppedEvent } from '../../../src/sim/engine/eventQueue.js';
import { EngineTimers } from '../../../src/sim/engine/engineTimers.js';

const TIMER = 1;
const REPLY = 2;

function setup() {
  const queue = new EventQueue();
  let now = 0;
  const timers = new EngineTimers(queue, () => now, TIMER, REPLY);
  /** Pops every event due by `until`, as the engine does (microtasks not included). */
  const run = (until: number): void => {
    const e: PoppedEvent = { time: 0, agent: 0, kind: 0, arg: 0 };
    while (queue.peekTime() <= until) {
      queue.pop(e);
      now = e.time;
      if (e.kind === TIMER) timers.fire(e.arg);
      else timers.reply(e.arg);
    }
    now = until;
  };
  return { queue, timers, run, now: () => now };
}

describe('EngineTimers', () => {
  it('fires a timer at its time and not before, equal times in the order they were set', () => {
    const { timers, run } = setup();
    const fired: string[] = [];
    timers.clock.setTimeout(() => fired.push('b'), 10);
    timers.clock.setTimeout(() => fired.push('a'), 5);
    timers.clock.setTimeout(() => fired.push('c'), 10);
    run(9);
    expect(fired).toEqual(['a']);
    run(10);
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(timers.timers).toBe(0);
  });

  it('takes a cleared timer out (a second clear, or a clear after it fired, changes nothing)', () => {
    const { timers, run, queue } = setup();
    const fired: string[] = [];
    const h = timers.clock.setTimeout(() => fired.push('x'), 5);
    timers.clock.setTimeout(() => fired.push('y'), 5);
    timers.clock.clearTimeout(h);
    timers.clock.clearTimeout(h);
    expect(queue.size).toBe(1);
    run(5);
    timers.clock.clearTimeout(h);
    expect(fired).toEqual(['y']);
  });

  it('treats a negative or zero delay as now', () => {
    const { timers, run } = setup();
    const fired: number[] = [];
    timers.clock.setTimeout(() => fired.push(1), -5);
    timers.clock.setTimeout(() => fired.push(2), 0);
    run(0);
    expect(fired).toEqual([1, 2]);
  });

  it('resolves a round trip when its event pops, at its time', async () => {
    const { timers, run, now } = setup();
    let at = -1;
    const p = timers.after(3, 7).then(() => (at = now()));
    run(6);
    await Promise.resolve();
    expect(at).toBe(-1);
    run(7);
    await p;
    expect(at).toBe(7);
  });
});
