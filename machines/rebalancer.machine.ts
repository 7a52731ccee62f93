// The server manager's rebalance loop as a pure xstate v5 machine: wait, rebalance,
// wait again for as long as the cluster's size allows, until stopped. Time comes
// only from the actor's clock (named delays); the work and the next delay come from
// functions in the input, so the machine itself does no I/O and draws no randomness.
import { assign, fromPromise, setup } from 'xstate';

export interface RebalancerInput {
  /** Wait before the first rebalance, ms (the manager's `minReuseDuration`). */
  firstDelayMs: number;
  /** Wait after each rebalance, ms; called on every entry to `waiting` (the manager's `rebalanceDelay()`). */
  nextDelayMs: () => number;
  /** One rebalance. Should not reject; a rejection is treated like a finished rebalance. */
  run: (signal: AbortSignal) => Promise<void>;
  /** A rebalance was requested before the actor started: run one at once. */
  requested?: boolean;
}

export interface RebalancerContext {
  firstDelayMs: number;
  nextDelayMs: () => number;
  run: (signal: AbortSignal) => Promise<void>;
  /** A request arrived while a rebalance ran; it is honoured when that one ends. */
  requested: boolean;
  /** Rebalances finished (resolved or rejected). */
  rebalances: number;
}

export type RebalancerEvent = { type: 'REBALANCE_REQUESTED' } | { type: 'STOP' };

export const rebalancerMachine = setup({
  types: {
    context: {} as RebalancerContext,
    events: {} as RebalancerEvent,
    input: {} as RebalancerInput,
  },
  actors: {
    rebalance: fromPromise<void, { run: (signal: AbortSignal) => Promise<void> }>(({ input, signal }) =>
      input.run(signal),
    ),
  },
  guards: {
    hasPendingRequest: ({ context }) => context.requested,
  },
  actions: {
    rememberRequest: assign({ requested: true }),
    clearRequest: assign({ requested: false }),
    countRebalance: assign({ rebalances: ({ context }) => context.rebalances + 1 }),
  },
  delays: {
    firstRebalance: ({ context }) => context.firstDelayMs,
    nextRebalance: ({ context }) => context.nextDelayMs(),
  },
}).createMachine({
  id: 'rebalancer',
  context: ({ input }) => ({
    firstDelayMs: input.firstDelayMs,
    nextDelayMs: input.nextDelayMs,
    run: input.run,
    requested: input.requested ?? false,
    rebalances: 0,
  }),
  initial: 'initialWait',
  on: {
    STOP: '.stopped',
  },
  states: {
    // Consul waits a full reuse period before the first shuffle: a new agent's
    // list is fresh, and a whole fleet restarting must not ping in lockstep.
    initialWait: {
      always: { guard: 'hasPendingRequest', target: 'rebalancing' },
      after: { firstRebalance: 'rebalancing' },
      on: { REBALANCE_REQUESTED: 'rebalancing' },
    },
    rebalancing: {
      entry: 'clearRequest',
      invoke: {
        src: 'rebalance',
        input: ({ context }) => ({ run: context.run }),
        onDone: { target: 'waiting', actions: 'countRebalance' },
        onError: { target: 'waiting', actions: 'countRebalance' },
      },
      // Coalesced: any number of requests during a rebalance cause one more.
      on: { REBALANCE_REQUESTED: { actions: 'rememberRequest' } },
    },
    waiting: {
      always: { guard: 'hasPendingRequest', target: 'rebalancing' },
      after: { nextRebalance: 'rebalancing' },
      on: { REBALANCE_REQUESTED: 'rebalancing' },
    },
    stopped: { type: 'final' },
  },
});

export type RebalancerMachine = typeof rebalancerMachine;
