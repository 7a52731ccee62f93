import { describe, expect, it } from 'vitest';
import { createActor, fromCallback } from 'xstate';
import { createClock } from '@sinonjs/fake-timers';
import {
  rebalancerMachine,
  type RebalancerEnv,
  type RebalancerInput,
  type RebalanceWorkerEvent,
} from '../../machines/rebalancer.machine.js';
import * as machines from '../../machines/index.js';
import { flushPromises } from '../helpers/index.js';

interface Run {
  signal: AbortSignal;
  resolve(): void;
  reject(err: unknown): void;
}

/** The machine under plain createActor (no ae-sync runtime), with an env whose runs the test settles. */
function harness(input: Partial<RebalancerInput> = {}, env: Partial<RebalancerEnv> = {}) {
  const clock = createClock();
  const runs: Run[] = [];
  let nextDelay = 500;
  const delays: number[] = [];
  const actor = createActor(rebalancerMachine, {
    clock,
    input: {
      env: {
        firstDelayMs: () => 1000,
        nextDelayMs: () => {
          delays.push(nextDelay);
          return nextDelay;
        },
        run: (signal) => new Promise<void>((resolve, reject) => runs.push({ signal, resolve, reject })),
        ...env,
      },
      ...input,
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

  it('invokes one long-lived worker at its root, named in setup', () => {
    const h = harness();
    h.actor.start();
    const worker = h.actor.getSnapshot().children.worker;
    expect(worker).toBeDefined();
    expect(rebalancerMachine.implementations.actors).toHaveProperty('rebalanceWorker');
    h.clock.tick(1000);
    // The same worker serves every rebalance: no actor is built per run.
    expect(h.actor.getSnapshot().children.worker).toBe(worker);
    expect(Object.keys(h.actor.getSnapshot().children)).toEqual(['worker']);
    h.actor.stop();
  });

  it('starts the first rebalance at the first delay and not one millisecond before', () => {
    const h = harness();
    h.actor.start();
    h.clock.tick(999);
    expect(h.runs).toHaveLength(0);
    expect(h.actor.getSnapshot().value).toBe('initialWait');
    h.clock.tick(1);
    expect(h.runs).toHaveLength(1);
    expect(h.actor.getSnapshot().value).toBe('rebalancing');
  });

  it('asks the environment for the first delay once, at start', () => {
    let asked = 0;
    const h = harness({}, { firstDelayMs: () => (asked++, 250) });
    h.actor.start();
    h.clock.tick(249);
    expect(h.runs).toHaveLength(0);
    h.clock.tick(1);
    expect(h.runs).toHaveLength(1);
    expect(asked).toBe(1);
  });

  it('waits the next delay after each rebalance, asking for it anew each time', async () => {
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

  it('keeps looping when a rebalance rejects or throws', async () => {
    let calls = 0;
    const h = harness({}, {
      run: () => {
        calls++;
        if (calls === 1) throw new Error('sync throw');
        return Promise.reject(new Error('boom'));
      },
    });
    h.actor.start();
    h.clock.tick(1000);
    await flushPromises();
    expect(h.actor.getSnapshot().value).toBe('waiting');
    h.clock.tick(500);
    await flushPromises();
    expect(calls).toBe(2);
    expect(h.actor.getSnapshot().value).toBe('waiting');
    expect(h.actor.getSnapshot().context.rebalances).toBe(2);
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

  it('restarts the wait with REARM (both sides of the new timer) and ignores REARM while rebalancing', async () => {
    const h = harness();
    h.actor.start();
    h.clock.tick(1000);
    h.actor.send({ type: 'REARM', delayMs: 1 });
    expect(h.actor.getSnapshot().value).toBe('rebalancing');
    h.runs[0]?.resolve();
    await flushPromises();
    expect(h.actor.getSnapshot().value).toBe('waiting');
    h.clock.tick(100); // 100 of the 500 ms wait
    h.actor.send({ type: 'REARM', delayMs: 50 });
    h.clock.tick(49);
    expect(h.runs).toHaveLength(1);
    h.clock.tick(1);
    expect(h.runs).toHaveLength(2);
    expect(h.clock.countTimers()).toBe(0);
  });

  it('moves from the first wait to waiting on REARM', () => {
    const h = harness();
    h.actor.start();
    h.actor.send({ type: 'REARM', delayMs: 10 });
    expect(h.actor.getSnapshot().value).toBe('waiting');
    h.clock.tick(9);
    expect(h.runs).toHaveLength(0);
    h.clock.tick(1);
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

  it('ignores an answer that arrives after STOP, from a run that ignored its abort', async () => {
    const h = harness();
    h.actor.start();
    h.clock.tick(1000);
    const run = h.runs[0] as Run;
    h.actor.send({ type: 'STOP' });
    expect(run.signal.aborted).toBe(true);
    run.resolve(); // the late answer
    await flushPromises();
    expect(h.actor.getSnapshot().value).toBe('stopped');
    expect(h.actor.getSnapshot().context.rebalances).toBe(0);
    expect(h.runs).toHaveLength(1);
  });

  it("ignores an answer carrying another run's id", async () => {
    const h = harness();
    h.actor.start();
    h.clock.tick(1000);
    const runId = h.actor.getSnapshot().context.runId;
    h.actor.send({ type: 'REBALANCE_DONE', id: runId - 1 });
    h.actor.send({ type: 'REBALANCE_FAILED', id: runId + 1, error: new Error('stale') });
    expect(h.actor.getSnapshot().value).toBe('rebalancing');
    expect(h.actor.getSnapshot().context.rebalances).toBe(0);
    h.runs[0]?.resolve();
    await flushPromises();
    expect(h.actor.getSnapshot().value).toBe('waiting');
    expect(h.actor.getSnapshot().context.rebalances).toBe(1);
  });

  it('runs under plain createActor with a provided worker that answers with its own pair', () => {
    const clock = createClock();
    const received: RebalanceWorkerEvent[] = [];
    const worker = fromCallback<RebalanceWorkerEvent, RebalancerEnv>(({ receive, sendBack }) => {
      receive((event) => {
        received.push(event);
        if (event.type === 'RUN') sendBack(event.id % 2 === 1 ? { type: 'REBALANCE_DONE', id: event.id } : { type: 'REBALANCE_FAILED', id: event.id, error: 'x' });
      });
    });
    const actor = createActor(rebalancerMachine.provide({ actors: { rebalanceWorker: worker } }), {
      clock,
      input: { env: { firstDelayMs: () => 10, nextDelayMs: () => 20, run: () => Promise.reject(new Error('never called')) } },
    });
    actor.start();
    clock.tick(10);
    expect(actor.getSnapshot().value).toBe('waiting');
    clock.tick(20);
    expect(actor.getSnapshot().context.rebalances).toBe(2);
    clock.tick(5);
    actor.send({ type: 'STOP' });
    // Not rebalancing when stopped: no ABORT was sent.
    expect(received).toEqual([
      { type: 'RUN', id: 1 },
      { type: 'RUN', id: 2 },
    ]);
    expect(actor.getSnapshot().status).toBe('done');
  });

  it('sends ABORT with the running id when stopped while rebalancing', () => {
    const clock = createClock();
    const received: RebalanceWorkerEvent[] = [];
    const worker = fromCallback<RebalanceWorkerEvent, RebalancerEnv>(({ receive }) => receive((e) => received.push(e)));
    const actor = createActor(rebalancerMachine.provide({ actors: { rebalanceWorker: worker } }), {
      clock,
      input: { env: { firstDelayMs: () => 10, nextDelayMs: () => 20, run: async () => undefined } },
    });
    actor.start();
    clock.tick(10);
    actor.send({ type: 'STOP' });
    expect(received).toEqual([
      { type: 'RUN', id: 1 },
      { type: 'ABORT', id: 1 },
    ]);
  });

  it('lets .provide() replace the named delays', () => {
    const clock = createClock();
    let runs = 0;
    const actor = createActor(rebalancerMachine.provide({ delays: { firstRebalance: 10 } }), {
      clock,
      input: { env: { firstDelayMs: () => 1000, nextDelayMs: () => 1, run: async () => void runs++ } },
    });
    actor.start();
    clock.tick(9);
    expect(runs).toBe(0);
    clock.tick(1);
    expect(runs).toBe(1);
    actor.stop();
  });
});
