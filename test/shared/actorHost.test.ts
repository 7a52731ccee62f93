import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { ACTORS_PER_HOST, createHostedActor } from '../../src/shared/actorHost.js';
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

  it('puts at most ACTORS_PER_HOST actors in one system, so a stop scans a bounded set of timers', async () => {
    const clock = createTestClock();
    const actors = Array.from({ length: 2 * ACTORS_PER_HOST + 1 }, () => createHostedActor(ticker, { clock, input: undefined }).start());
    const systems = [...new Set(actors.map((a) => a.system))];
    expect(systems).toHaveLength(3);
    const sizes = systems.map((system) => actors.filter((a) => a.system === system).length);
    expect(sizes).toEqual([ACTORS_PER_HOST, ACTORS_PER_HOST, 1]);
    // Actors in different systems on one clock still all run on it.
    await clock.tickAsync(1000);
    expect(actors.every((a) => a.getSnapshot().value === 'b')).toBe(true);
    for (const a of actors) a.send({ type: 'FINISH' });
    expect(clock.countTimers()).toBe(0);
  });
});
