// The rebalancer machine's contract with its environment and its worker: the env the
// runtime provides, the input and context, and the events that flow between the
// machine, its worker and the runtime. Types only.

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
  | RebalanceWorkerAnswer;

/** What the machine sends its worker. */
export type RebalanceWorkerEvent = { type: 'RUN'; id: number } | { type: 'ABORT'; id: number };

/** The worker's answers. */
export type RebalanceWorkerAnswer = { type: 'REBALANCE_DONE'; id: number } | { type: 'REBALANCE_FAILED'; id: number; error: unknown };
