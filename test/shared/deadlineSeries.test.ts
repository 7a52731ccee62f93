import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { DeadlineSeries } from '../../src/shared/deadline.js';
import { TimeoutError, isTimeoutError } from '../../src/shared/errors.js';
import { createTestClock } from '../../src/testing.js';

const timeout = (what: string) => () => new TimeoutError(`${what} too slow`);

function settledFlag(promise: Promise<unknown>): () => boolean {
  let settled = false;
  void promise.then(() => (settled = true));
  return () => settled;
}

describe('DeadlineSeries', () => {
  it('hands consecutive deadlines one signal while none aborts, each aborting exactly at its own time', async () => {
    const clock = createTestClock();
    const series = new DeadlineSeries(clock);
    const first = series.next(1_000, timeout('first'), undefined, undefined);
    await clock.tickAsync(400);
    first.dispose();
    expect(clock.countTimers()).toBe(0);
    const second = series.next(1_000, timeout('second'), undefined, undefined);
    expect(second.signal).toBe(first.signal);
    const gaveUp = settledFlag(second.abandoned);
    await clock.tickAsync(999);
    expect(second.signal.aborted).toBe(false);
    expect(gaveUp()).toBe(false);
    await clock.tickAsync(1);
    expect(second.signal.aborted).toBe(true);
    expect((second.signal.reason as Error).message).toBe('second too slow');
    expect(isTimeoutError(second.signal.reason)).toBe(true);
    expect(second.timedOut()).toBe(true);
    expect(first.timedOut()).toBe(false);
    expect(gaveUp()).toBe(true);
    expect(clock.countTimers()).toBe(0);
    second.dispose();
    // The next deadline gets a fresh signal: the aborted one is never handed out again.
    const third = series.next(1_000, timeout('third'), undefined, undefined);
    expect(third.signal).not.toBe(second.signal);
    expect(third.signal.aborted).toBe(false);
    expect(third.timedOut()).toBe(false);
    third.dispose();
  });

  it('cuts off work that ignores its signal at the deadline of a reused signal', async () => {
    const clock = createTestClock();
    const series = new DeadlineSeries(clock);
    for (let i = 0; i < 5; i++) {
      const quick = series.next(1_000, timeout('quick'), undefined, undefined);
      await Promise.race([Promise.resolve(true), quick.abandoned]);
      quick.dispose();
    }
    const hung = series.next(1_000, timeout('hung'), undefined, undefined);
    const outcome = Promise.race([new Promise<never>(() => undefined), hung.abandoned]);
    const done = settledFlag(outcome);
    await clock.tickAsync(999);
    expect(done()).toBe(false);
    await clock.tickAsync(1);
    expect(done()).toBe(true);
    expect(await outcome).toBe(false);
    hung.dispose();
  });

  it('follows a parent that aborts during a deadline, and starts aborted without a timer once a parent has', async () => {
    const clock = createTestClock();
    const series = new DeadlineSeries(clock);
    const stop = new AbortController();
    const loop = new AbortController();
    const warmup = series.next(1_000, timeout('warmup'), stop.signal, loop.signal);
    warmup.dispose();
    const limit = series.next(1_000, timeout('ping'), stop.signal, loop.signal);
    const gaveUp = settledFlag(limit.abandoned);
    loop.abort(new Error('loop stopped'));
    expect((limit.signal.reason as Error).message).toBe('loop stopped');
    expect(limit.timedOut()).toBe(false);
    expect(clock.countTimers()).toBe(0);
    await Promise.resolve();
    expect(gaveUp()).toBe(true);
    limit.dispose();
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
    const after = series.next(1_000, timeout('after'), stop.signal, loop.signal);
    expect((after.signal.reason as Error).message).toBe('loop stopped');
    expect(await after.abandoned).toBe(false);
    expect(clock.countTimers()).toBe(0);
    after.dispose();
  });

  it('keeps one listener per parent however many deadlines ran, and moves it when a parent changes', () => {
    const clock = createTestClock();
    const series = new DeadlineSeries(clock);
    const stop = new AbortController();
    const oldLoop = new AbortController();
    for (let i = 0; i < 100; i++) series.next(1_000, timeout('ping'), stop.signal, oldLoop.signal).dispose();
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(1);
    expect(getEventListeners(oldLoop.signal, 'abort')).toHaveLength(1);
    const newLoop = new AbortController();
    const limit = series.next(1_000, timeout('ping'), stop.signal, newLoop.signal);
    expect(getEventListeners(oldLoop.signal, 'abort')).toHaveLength(0);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(1);
    oldLoop.abort(new Error('old'));
    expect(limit.signal.aborted).toBe(false);
    newLoop.abort(new Error('new'));
    expect((limit.signal.reason as Error).message).toBe('new');
    limit.dispose();
  });

  it('removes what settled work left on the shared signal, so nothing piles up or fires later', async () => {
    const clock = createTestClock();
    const series = new DeadlineSeries(clock);
    const fired: number[] = [];
    let signal: AbortSignal | undefined;
    for (let i = 0; i < 20; i++) {
      const limit = series.next(1_000, timeout('ping'), undefined, undefined);
      signal = limit.signal;
      limit.signal.addEventListener('abort', () => fired.push(i));
      limit.signal.onabort = () => fired.push(-i);
      limit.dispose();
    }
    expect(getEventListeners(signal!, 'abort')).toHaveLength(0);
    const current = series.next(1_000, timeout('ping'), undefined, undefined);
    expect(current.signal).toBe(signal);
    current.signal.addEventListener('abort', () => fired.push(100));
    await clock.tickAsync(1_000);
    expect(fired).toEqual([100]);
    current.dispose();
  });

  it('gives a deadline asked for while one is in use a signal of its own, each with its own reason', async () => {
    const clock = createTestClock();
    const series = new DeadlineSeries(clock);
    const a = series.next(1_000, timeout('a'), undefined, undefined);
    const b = series.next(1_000, timeout('b'), undefined, undefined);
    expect(b.signal).not.toBe(a.signal);
    await clock.tickAsync(1_000);
    expect((a.signal.reason as Error).message).toBe('a too slow');
    expect((b.signal.reason as Error).message).toBe('b too slow');
    a.dispose();
    b.dispose();
    expect(clock.countTimers()).toBe(0);
  });

  it('ignores a second dispose of a settled deadline: the next one keeps its timer', async () => {
    const clock = createTestClock();
    const series = new DeadlineSeries(clock);
    const old = series.next(1_000, timeout('old'), undefined, undefined);
    old.dispose();
    const current = series.next(1_000, timeout('current'), undefined, undefined);
    old.dispose();
    expect(clock.countTimers()).toBe(1);
    await clock.tickAsync(1_000);
    expect(current.timedOut()).toBe(true);
    current.dispose();
  });
});
