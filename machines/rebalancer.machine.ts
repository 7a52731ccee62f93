// The server manager's rebalance loop as a pure xstate v5 machine: wait, rebalance,
// wait again for as long as the cluster's size allows, until stopped. Time comes only
// from the actor's clock (named delays); the work and every delay come from the input's
// environment, so the machine itself does no I/O and draws no randomness.
//
// One long-lived worker actor, invoked at the root and named in `setup({ actors })`,
// runs the rebalances: `rebalancing` sends it `RUN` with an id, and it answers with
// `REBALANCE_DONE` / `REBALANCE_FAILED` carrying that id. Leaving `rebalancing` (only
// `STOP` does) sends `ABORT`; an answer that arrives after that, or carries another
// run's id, is ignored. No actor is built per rebalance.
import { assign, fromCallback, sendTo, setup } from 'xstate';

/**
 * What the machine needs from its environment. One object, referenced from the
 * context, so the context stays small. The runtime (`ServerManager`) provides it;
 * tests can pass a plain object.
 */
export interface RebalancerEnv {
  /** Wait before the first rebalance, ms. Called once, when the machine starts. */
  firstDelayMs(): number;
  /** Wait after each rebalance, ms. Called when a rebalance ends (done or failed). */
  nextDelayMs(): number;
  /** One rebalance; `signal` aborts when the machine stops. Should not reject; a rejection counts as a finished rebalance. */
  run(signal: AbortSignal): Promise<void> | void;
}

export interface RebalancerInput {
  env: RebalancerEnv;
  /** A rebalance was requested before the actor started: run one at once. */
  requested?: boolean;
}

export interface RebalancerContext {
  env: RebalancerEnv;
  /** The wait the current waiting state arms, ms. */
  waitMs: number;
  /** Id of the last `RUN` sent to the worker; only answers carrying it count. */
  runId: number;
  /** A request arrived while a rebalance ran; it is honoured when that one ends. */
  requested: boolean;
  /** Rebalances finished (done or failed). */
  rebalances: number;
}

export type RebalancerEvent =
  | { type: 'REBALANCE_REQUESTED' }
  /** Restart the current wait with `delayMs` (the runtime shortens a wait this way). Ignored while rebalancing. */
  | { type: 'REARM'; delayMs: number }
  | { type: 'STOP' }
  /**
   * The server list or a server's health changed (sent only while the manager is
   * inspected): no transition, so an inspector's log and card follow the failover.
   * `front` is the server RPCs go to; `servers` each listed server as `name state`.
   */
  | { type: 'SERVERS_CHANGED'; front: string | null; servers: string[] }
  | { type: 'REBALANCE_DONE'; id: number }
  | { type: 'REBALANCE_FAILED'; id: number; error: unknown };

/** What the machine sends its worker. */
export type RebalanceWorkerEvent = { type: 'RUN'; id: number } | { type: 'ABORT'; id: number };

/**
 * The default worker: runs `env.run(signal)` for each `RUN` and answers with the run's
 * id. One AbortController serves every run until an `ABORT` (or the worker's stop)
 * aborts it: only `STOP` aborts, so a controller per rebalance would be garbage.
 */
export const rebalanceWorker = fromCallback<RebalanceWorkerEvent, RebalancerEnv>(({ input: env, receive, sendBack }) => {
  let controller: AbortController | undefined;
  let current = -1;
  receive((event) => {
    if (event.type === 'ABORT') {
      if (event.id === current) {
        controller?.abort();
        controller = undefined;
      }
      return;
    }
    const id = event.id;
    current = id;
    const signal = (controller ??= new AbortController()).signal;
    let work: Promise<void>;
    try {
      work = Promise.resolve(env.run(signal));
    } catch (error) {
      work = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    work.then(
      () => sendBack({ type: 'REBALANCE_DONE', id }),
      (error: unknown) => sendBack({ type: 'REBALANCE_FAILED', id, error }),
    );
  });
  return () => controller?.abort();
});

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
    SERVERS_CHANGED: {},
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
