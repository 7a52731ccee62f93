import { describe, expect, it } from 'vitest';
import { createActor, setup } from 'xstate';
import { sleep } from '../../src/shared/clock.js';
import { HeapClock, drainMicrotasks } from '../../src/sim/heapClock.js';
import { InstantGuard } from '../../src/sim/instantGuard.js';

describe('HeapClock', () => {
  it('fires timers in deadline order when they were set out of order', async () => {
    const clock = new HeapClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('c'), 30);
    clock.setTimeout(() => fired.push('a'), 10);
    clock.setTimeout(() => fired.push('b'), 20);
    await clock.runUntil(100);
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(clock.eventsProcessed).toBe(3);
  });

  it('fires timers with equal deadlines in insertion order when many share one deadline', async () => {
    const clock = new HeapClock();
    const fired: number[] = [];
    for (let i = 0; i < 200; i++) clock.setTimeout(() => fired.push(i), 50);
    clock.setTimeout(() => fired.push(-1), 49);
    await clock.runUntil(50);
    expect(fired).toEqual([-1, ...Array.from({ length: 200 }, (_, i) => i)]);
  });

  it('does not fire a timer 1 ms before its deadline and fires it at the deadline', async () => {
    const clock = new HeapClock();
    let fired = 0;
    clock.setTimeout(() => fired++, 1000);
    await clock.advance(999);
    expect(fired).toBe(0);
    expect(clock.now()).toBe(999);
    await clock.advance(1);
    expect(fired).toBe(1);
    expect(clock.now()).toBe(1000);
  });

  it('never fires a cleared timer and counts it out of pending when cleared', async () => {
    const clock = new HeapClock();
    const fired: string[] = [];
    const a = clock.setTimeout(() => fired.push('a'), 10);
    clock.setTimeout(() => fired.push('b'), 10);
    expect(clock.pending).toBe(2);
    clock.clearTimeout(a);
    clock.clearTimeout(a); // twice is harmless
    clock.clearTimeout(undefined);
    expect(clock.pending).toBe(1);
    await clock.runUntil(20);
    expect(fired).toEqual(['b']);
    expect(clock.pending).toBe(0);
  });

  it('keeps order and live count when most timers are cleared (heap compaction)', async () => {
    const clock = new HeapClock();
    const fired: number[] = [];
    const handles = Array.from({ length: 5000 }, (_, i) => clock.setTimeout(() => fired.push(i), 5000 - i));
    for (let i = 0; i < 5000; i++) if (i % 10 !== 0) clock.clearTimeout(handles[i]);
    expect(clock.pending).toBe(500);
    await clock.runUntil(10_000);
    const expected = Array.from({ length: 500 }, (_, k) => 4990 - 10 * k);
    expect(fired).toEqual(expected);
  });

  it('runs timers set from timers, including zero-delay ones, at the right times', async () => {
    const clock = new HeapClock();
    const log: [string, number][] = [];
    clock.setTimeout(() => {
      log.push(['outer', clock.now()]);
      clock.setTimeout(() => log.push(['zero', clock.now()]), 0);
      clock.setTimeout(() => log.push(['later', clock.now()]), 15);
    }, 10);
    clock.setTimeout(() => log.push(['sibling', clock.now()]), 10);
    await clock.runUntil(24);
    expect(log).toEqual([
      ['outer', 10],
      ['sibling', 10],
      ['zero', 10],
    ]);
    await clock.runUntil(25);
    expect(log.at(-1)).toEqual(['later', 25]);
  });

  it('runs promise continuations at the simulated time of the timer that resolved them', async () => {
    const clock = new HeapClock();
    const seen: number[] = [];
    const chain = async (): Promise<void> => {
      await sleep(clock, 100).promise;
      for (let i = 0; i < 50; i++) await Promise.resolve(); // a deep chain of microtasks
      seen.push(clock.now());
      await sleep(clock, 100).promise;
      seen.push(clock.now());
    };
    void chain();
    clock.setTimeout(() => undefined, 150);
    await clock.runUntil(1000);
    expect(seen).toEqual([100, 200]);
  });

  it('ends a run with an error naming the instant when a timer re-arms itself at 0 ms through a promise', async () => {
    const clock = new HeapClock();
    let fired = 0;
    const rearm = (): void => {
      fired++;
      void Promise.resolve().then(() => clock.setTimeout(rearm, 0));
    };
    clock.setTimeout(rearm, 10);
    await expect(clock.runUntil(1_000, { guard: new InstantGuard(50, 1e9) })).rejects.toThrow(/stuck at 10 ms: 51 rounds of events/);
    expect(fired).toBe(51);
  });

  it('ends a run with an error when a timer re-arms itself at 0 ms synchronously (it never leaves its round)', async () => {
    const clock = new HeapClock();
    const rearm = (): void => void clock.setTimeout(rearm, 0);
    clock.setTimeout(rearm, 7);
    await expect(clock.runUntil(1_000, { guard: new InstantGuard(1e9, 500) })).rejects.toThrow(/stuck at 7 ms: 501 events/);
  });

  it('lets a cascade at one instant run to its end within the bounds, and counts each instant afresh', async () => {
    const clock = new HeapClock();
    const seen: number[] = [];
    const cascade = (depth: number): void => {
      seen.push(clock.now());
      if (depth > 0) void Promise.resolve().then(() => clock.setTimeout(() => cascade(depth - 1), 0));
    };
    clock.setTimeout(() => cascade(50), 10);
    clock.setTimeout(() => cascade(50), 20);
    await clock.runUntil(1_000, { guard: new InstantGuard(50, 51) });
    expect(seen).toEqual([...Array(51).fill(10), ...Array(51).fill(20)]);
  });

  it('stops after maxSteps timers when the step bound is reached', async () => {
    const clock = new HeapClock();
    const tick = (): void => void clock.setTimeout(tick, 0); // would never end
    clock.setTimeout(tick, 5);
    const steps = await clock.runUntil(10, { maxSteps: 1000 });
    expect(steps).toBe(1000);
    expect(clock.now()).toBe(5);
  });

  it('treats negative and NaN delays as zero when a timer is set', async () => {
    const clock = new HeapClock(100);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), -5);
    clock.setTimeout(() => fired.push(clock.now()), Number.NaN);
    expect(clock.nextDeadline()).toBe(100);
    await clock.runUntil(100);
    expect(fired).toEqual([100, 100]);
  });

  it('reports progress while running when onProgress is given', async () => {
    const clock = new HeapClock();
    for (let i = 0; i < 100; i++) clock.setTimeout(() => undefined, i);
    const seen: number[] = [];
    await clock.runUntil(200, { progressEvery: 25, onProgress: (c) => seen.push(c.eventsProcessed) });
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen.every((n, i) => i === 0 || n > (seen[i - 1] as number))).toBe(true);
  });

  it('drives xstate delayed transitions when handed to createActor as its clock', async () => {
    const machine = setup({ delays: { wait: 3000 } }).createMachine({
      initial: 'a',
      states: { a: { after: { wait: 'b' } }, b: { after: { 500: 'c' } }, c: {} },
    });
    const clock = new HeapClock();
    const actor = createActor(machine, { clock }).start();
    await clock.advance(2999);
    expect(actor.getSnapshot().value).toBe('a');
    await clock.advance(1);
    expect(actor.getSnapshot().value).toBe('b');
    await clock.advance(499);
    expect(actor.getSnapshot().value).toBe('b');
    await clock.advance(1);
    expect(actor.getSnapshot().value).toBe('c');
    actor.stop();
  });

  it('leaves no timer behind when xstate cancels a delayed event on exit', async () => {
    const machine = setup({}).createMachine({
      initial: 'a',
      states: { a: { after: { 1000: 'b' }, on: { GO: 'c' } }, b: {}, c: {} },
    });
    const clock = new HeapClock();
    const actor = createActor(machine, { clock }).start();
    expect(clock.pending).toBe(1);
    actor.send({ type: 'GO' });
    expect(clock.pending).toBe(0);
    await clock.advance(2000);
    expect(actor.getSnapshot().value).toBe('c');
  });

  it('drainMicrotasks resolves after queued microtasks ran', async () => {
    let done = false;
    void Promise.resolve()
      .then(() => Promise.resolve())
      .then(() => {
        done = true;
      });
    await drainMicrotasks();
    expect(done).toBe(true);
  });
});
