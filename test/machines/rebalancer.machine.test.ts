import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { createClock } from '@sinonjs/fake-timers';
import { rebalancerMachine, type RebalancerInput } from '../../machines/rebalancer.machine.js';
import * as machines from '../../machines/index.js';
import { flushPromises } from '../helpers/index.js';

function harness(overrides: Partial<RebalancerInput> = {}) {
  const clock = createClock();
  const runs: { signal: AbortSignal; resolve(): void; reject(err: unknown): void }[] = [];
  let nextDelay = 500;
  const delays: number[] = [];
  const actor = createActor(rebalancerMachine, {
    clock,
    input: {
      firstDelayMs: 1000,
      nextDelayMs: () => {
        delays.push(nextDelay);
        return nextDelay;
      },
      run: (signal) => new Promise<void>((resolve, reject) => runs.push({ signal, resolve, reject })),
      ...overrides,
    },
  });
  const states: string[] = [];
  actor.subscribe((s) => {
    const v = String(s.value);
    if (states[states.length - 1] !== v) states.push(v);
  });
  return { clock, actor, runs, states, delays, setNextDelay: (ms: number) => (nextDelay = ms) };
}

describe('rebalancerMachine', () => {
  it('is exported from machines/index.ts with the id the docs script looks for', () => {
    expect(machines.rebalancerMachine).toBe(rebalancerMachine);
    expect(rebalancerMachine.id).toBe('rebalancer');
    expect(Object.keys(rebalancerMachine.root.states)).toEqual(['initialWait', 'rebalancing', 'waiting', 'stopped']);
  });

  it('starts the first rebalance at firstDelayMs and not one millisecond before', () => {
    const h = harness();
    h.actor.start();
    h.clock.tick(999);
    expect(h.runs).toHaveLength(0);
    expect(h.actor.getSnapshot().value).toBe('initialWait');
    h.clock.tick(1);
    expect(h.runs).toHaveLength(1);
    expect(h.actor.getSnapshot().value).toBe('rebalancing');
  });

  it('waits the injected next delay after each rebalance, asking for it anew each time', async () => {
    const h = harness();
    h.actor.start();
    h.clock.tick(1000);
    h.runs[0]?.resolve();
    await flushPromises();
    expect(h.actor.getSnapshot().value).toBe('waiting');
    h.clock.tick(499);
    expect(h.runs).toHaveLength(1);
    h.clock.tick(1);
    expect(h.runs).toHaveLength(2);
    h.setNextDelay(2000);
    h.runs[1]?.resolve();
    await flushPromises();
    h.clock.tick(1999);
    expect(h.runs).toHaveLength(2);
    h.clock.tick(1);
    expect(h.runs).toHaveLength(3);
    expect(h.delays).toEqual([500, 2000]);
    expect(h.actor.getSnapshot().context.rebalances).toBe(2);
  });

  it('keeps looping when a rebalance rejects', async () => {
    const h = harness();
    h.actor.start();
    h.clock.tick(1000);
    h.runs[0]?.reject(new Error('boom'));
    await flushPromises();
    expect(h.actor.getSnapshot().value).toBe('waiting');
    h.clock.tick(500);
    expect(h.runs).toHaveLength(2);
  });

  it('rebalances at once when a request arrives while waiting', async () => {
    const h = harness();
    h.actor.start();
    h.actor.send({ type: 'REBALANCE_REQUESTED' });
    expect(h.runs).toHaveLength(1);
    h.runs[0]?.resolve();
    await flushPromises();
    h.actor.send({ type: 'REBALANCE_REQUESTED' });
    expect(h.runs).toHaveLength(2);
    expect(h.states).toEqual(['initialWait', 'rebalancing', 'waiting', 'rebalancing']);
  });

  it('coalesces any number of requests during a rebalance into one more rebalance', async () => {
    const h = harness();
    h.actor.start();
    h.clock.tick(1000);
    for (let i = 0; i < 5; i++) h.actor.send({ type: 'REBALANCE_REQUESTED' });
    expect(h.runs).toHaveLength(1);
    h.runs[0]?.resolve();
    await flushPromises();
    expect(h.runs).toHaveLength(2);
    h.runs[1]?.resolve();
    await flushPromises();
    expect(h.runs).toHaveLength(2);
    expect(h.actor.getSnapshot().value).toBe('waiting');
  });

  it('rebalances at start when the input says one was requested', () => {
    const h = harness({ requested: true });
    h.actor.start();
    expect(h.runs).toHaveLength(1);
  });

  it('stops from every state into the final state, aborting the run and leaving no timer', async () => {
    for (const at of ['initialWait', 'rebalancing', 'waiting'] as const) {
      const h = harness();
      h.actor.start();
      if (at !== 'initialWait') h.clock.tick(1000);
      if (at === 'waiting') {
        h.runs[0]?.resolve();
        await flushPromises();
      }
      expect(h.actor.getSnapshot().value).toBe(at);
      h.actor.send({ type: 'STOP' });
      expect(h.actor.getSnapshot().value).toBe('stopped');
      expect(h.actor.getSnapshot().status).toBe('done');
      expect(h.clock.countTimers()).toBe(0);
      if (at === 'rebalancing') expect(h.runs[0]?.signal.aborted).toBe(true);
    }
  });

  it('lets .provide() replace the named delays', () => {
    const clock = createClock();
    let runs = 0;
    const actor = createActor(rebalancerMachine.provide({ delays: { firstRebalance: 10 } }), {
      clock,
      input: { firstDelayMs: 1000, nextDelayMs: () => 1, run: async () => void runs++ },
    });
    actor.start();
    clock.tick(9);
    expect(runs).toBe(0);
    clock.tick(1);
    expect(runs).toBe(1);
    actor.stop();
  });
});
