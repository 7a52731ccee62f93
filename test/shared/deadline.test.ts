import { describe, expect, it } from 'vitest';
import { deadline } from '../../src/shared/deadline.js';
import { TimeoutError, isTimeoutError } from '../../src/shared/errors.js';
import { createTestClock } from '../../src/testing.js';

const timeout = () => new TimeoutError('too slow');

describe('deadline', () => {
  it('aborts with the timeout error exactly when time is up, not a millisecond before', async () => {
    const clock = createTestClock();
    const limit = deadline(clock, 1_000, timeout);
    let gaveUp = false;
    void limit.abandoned.then(() => (gaveUp = true));
    await clock.tickAsync(999);
    expect(limit.signal.aborted).toBe(false);
    expect(gaveUp).toBe(false);
    await clock.tickAsync(1);
    expect(isTimeoutError(limit.signal.reason)).toBe(true);
    expect(limit.timedOut()).toBe(true);
    expect(gaveUp).toBe(true);
    expect(clock.countTimers()).toBe(0);
  });

  it('follows the first parent that aborts and drops its own timer at once', async () => {
    const clock = createTestClock();
    const stop = new AbortController();
    const caller = new AbortController();
    const limit = deadline(clock, 1_000, timeout, stop.signal, undefined, caller.signal);
    stop.abort(new Error('stopped'));
    caller.abort(new Error('later'));
    expect((limit.signal.reason as Error).message).toBe('stopped');
    expect(limit.timedOut()).toBe(false);
    expect(clock.countTimers()).toBe(0);
    await clock.tickAsync(5_000);
    expect(limit.timedOut()).toBe(false);
  });

  it('starts aborted, with no timer, when a parent already is', () => {
    const clock = createTestClock();
    const limit = deadline(clock, 1_000, timeout, AbortSignal.abort(new Error('gone')));
    expect(limit.signal.aborted).toBe(true);
    expect(clock.countTimers()).toBe(0);
  });

  it('leaves nothing scheduled or listening after dispose', async () => {
    const clock = createTestClock();
    const parent = new AbortController();
    const limit = deadline(clock, 1_000, timeout, parent.signal);
    limit.dispose();
    expect(clock.countTimers()).toBe(0);
    parent.abort(new Error('after dispose'));
    await clock.tickAsync(2_000);
    expect(limit.signal.aborted).toBe(false);
  });
});
