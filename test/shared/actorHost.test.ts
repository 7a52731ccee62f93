import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { createHostedActor } from '../../src/shared/actorHost.js';
import { createTestClock } from '../../src/testing.js';

const ticker = createMachine({
  id: 'ticker',
  initial: 'a',
  states: {
    a: { after: { 1000: 'b' } },
    b: { on: { FINISH: 'done' } },
    done: { type: 'final' },
  },
});

describe('createHostedActor', () => {
  it('puts actors of the same clock in one xstate system and each clock in its own', () => {
    const clock = createTestClock();
    const other = createTestClock();
    const a = createHostedActor(ticker, { clock, input: undefined });
    const b = createHostedActor(ticker, { clock, input: undefined });
    const c = createHostedActor(ticker, { clock: other, input: undefined });
    expect(a.system).toBe(b.system);
    expect(c.system).not.toBe(a.system);
  });

  it('gives an actor with an inspector a system of its own, which sees only that actor', () => {
    const clock = createTestClock();
    const seen = new Set<string>();
    const inspected = createHostedActor(ticker, {
      clock,
      input: undefined,
      inspect: (e) => seen.add(e.actorRef.sessionId),
    }).start();
    const plain = createHostedActor(ticker, { clock, input: undefined }).start();
    expect(inspected.system).not.toBe(plain.system);
    expect(seen.has(inspected.sessionId)).toBe(true);
    expect(seen.has(plain.sessionId)).toBe(false);
  });

  it('runs timers on the given clock and keeps the others running when one actor finishes', async () => {
    const clock = createTestClock();
    const first = createHostedActor(ticker, { clock, input: undefined }).start();
    const second = createHostedActor(ticker, { clock, input: undefined }).start();
    await clock.tickAsync(999);
    expect(first.getSnapshot().value).toBe('a');
    await clock.tickAsync(1);
    expect(first.getSnapshot().value).toBe('b');
    first.send({ type: 'FINISH' });
    expect(first.getSnapshot().status).toBe('done');
    const third = createHostedActor(ticker, { clock, input: undefined }).start();
    await clock.tickAsync(1000);
    expect(second.getSnapshot().value).toBe('b');
    expect(third.getSnapshot().value).toBe('b');
  });
});
