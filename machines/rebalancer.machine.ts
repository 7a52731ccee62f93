// The server manager's rebalance loop as a pure xstate v5 machine: wait, rebalance,
// wait again for as long as the cluster's size allows, until stopped. Time comes only
// from the actor's clock (named delays); the work and every delay come from the input's
// environment, so the machine itself does no I/O and draws no randomness.
//
// One long-lived worker actor (rebalancer.worker.ts), invoked at the root and named in
// `setup({ actors })`, runs the rebalances: `rebalancing` sends it `RUN` with an id, and it answers with
// `REBALANCE_DONE` / `REBALANCE_FAILED` carrying that id. Leaving `rebalancing` (only
// `STOP` does) sends `ABORT`; an answer that arrives after that, or carries another
// run's id, is ignored. No actor is built per rebalance.
import { assign, sendTo, setup } from 'xstate';
import type { RebalancerContext, RebalancerEvent, RebalancerInput, RebalanceWorkerEvent } from './rebalancer.types.js';
import { rebalanceWorker } from './rebalancer.worker.js';

export type * from './rebalancer.types.js';
export { rebalanceWorker };

export const rebalancerMachine = setup({
  types: {
    context: {} as RebalancerContext,
    events: {} as RebalancerEvent,
    input: {} as RebalancerInput,
  },
  actors: { rebalanceWorker },
  guards: {
    hasPendingRequest: ({ context }) => context.requested,
    isCurrentRun: ({ context, event }) => 'id' in event && event.id === context.runId,
  },
  actions: {
    rememberRequest: assign({ requested: true }),
    armFirstWait: assign({ waitMs: ({ context }) => context.env.firstDelayMs() }),
    armNextWait: assign({ waitMs: ({ context }) => context.env.nextDelayMs() }),
    setWait: assign({ waitMs: ({ event }) => (event.type === 'REARM' ? event.delayMs : 0) }),
    beginRun: assign({ requested: false, runId: ({ context }) => context.runId + 1 }),
    sendRun: sendTo('worker', ({ context }): RebalanceWorkerEvent => ({ type: 'RUN', id: context.runId })),
    abortRun: sendTo('worker', ({ context }): RebalanceWorkerEvent => ({ type: 'ABORT', id: context.runId })),
    countRebalance: assign({ rebalances: ({ context }) => context.rebalances + 1 }),
  },
  delays: {
    firstRebalance: ({ context }) => context.waitMs,
    nextRebalance: ({ context }) => context.waitMs,
  },
}).createMachine({
  id: 'rebalancer',
  context: ({ input }) => ({
    env: input.env,
    waitMs: 0,
    runId: 0,
    requested: input.requested ?? false,
    rebalances: 0,
  }),
  invoke: { id: 'worker', src: 'rebalanceWorker', input: ({ context }) => context.env },
  initial: 'initialWait',
  on: {
    STOP: '.stopped',
  },
  states: {
    // The first wait is the environment's (the manager jitters it, so a fleet
    // restarted together does not rebalance in lockstep).
    initialWait: {
      entry: 'armFirstWait',
      always: { guard: 'hasPendingRequest', target: 'rebalancing' },
      after: { firstRebalance: 'rebalancing' },
      on: {
        REBALANCE_REQUESTED: 'rebalancing',
        REARM: { target: 'waiting', actions: 'setWait' },
      },
    },
    rebalancing: {
      entry: ['beginRun', 'sendRun'],
      on: {
        REBALANCE_DONE: { guard: 'isCurrentRun', target: 'waiting', actions: ['countRebalance', 'armNextWait'] },
        REBALANCE_FAILED: { guard: 'isCurrentRun', target: 'waiting', actions: ['countRebalance', 'armNextWait'] },
        // Coalesced: any number of requests during a rebalance cause one more.
        REBALANCE_REQUESTED: { actions: 'rememberRequest' },
        STOP: { target: 'stopped', actions: 'abortRun' },
      },
    },
    waiting: {
      always: { guard: 'hasPendingRequest', target: 'rebalancing' },
      after: { nextRebalance: 'rebalancing' },
      on: {
        REBALANCE_REQUESTED: 'rebalancing',
        REARM: { target: 'waiting', reenter: true, actions: 'setWait' },
      },
    },
    stopped: { type: 'final' },
  },
});

export type RebalancerMachine = typeof rebalancerMachine;
