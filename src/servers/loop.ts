// When the rebalance loop rebalances: the runtime side of machines/rebalancer.machine.ts.
// The machine waits and runs; the step functions of loopRules.ts decide every wait —
// the jittered first one, the capped next one, a request served no sooner than the
// spacing allows, and the re-arm when the number of reachable servers changes — and
// this host gives them the manager's clock, counts and random source.
import type { Actor } from 'xstate';
import { rebalancerMachine, type RebalancerEnv } from '../../machines/rebalancer.machine.js';
import { createHostedActor } from '../shared/actorHost.js';
import { MAX_TIMER_MS } from '../shared/clock.js';
import {
  firstDelay,
  initialLoopState,
  loopStopped,
  nextDelay,
  requestRebalance,
  runStarted,
  serversChanged,
  type LoopAction,
  type LoopState,
} from './loopRules.js';
import type { ServerPicture } from './inspection.js';
import type { ManagerSettings } from './options.js';

/** What the loop needs from its manager. */
export interface LoopHost {
  now(): number;
  /** The manager's checked random source. */
  random(): number;
  /** The number of servers the rate cap divides by, now. */
  servers(): number;
  /** The cluster size the cap scales with, now. */
  numNodes(): number;
  /** One rebalance (never rejects). */
  rebalance(signal: AbortSignal): Promise<void>;
  /** `now`, `random` or the delay threw: the manager fails loudly. */
  fatal(err: unknown): void;
  /** The front server and each server's health, for an inspector. */
  picture(): ServerPicture;
}

/** What the manager holds of its rebalance loop, whoever hosts the machine. */
export interface LoopHandle {
  /** The loop's actor, when the machine runs as one (the embedded manager's). */
  readonly actor?: Actor<typeof rebalancerMachine> | undefined;
  /** The delay the loop armed last (before the cap's jitter), ms; NaN before the first. */
  readonly delayInForceMs: number;
  start(): void;
  stop(): void;
  /** A rebalance was requested (loopRules.ts, requestRebalance). */
  request(): void;
  /** The number of servers the cap divides by may have changed (loopRules.ts, serversChanged). */
  serversChanged(): void;
  /** The list or a health state changed (for an inspector). */
  listChanged(): void;
}

/**
 * The machine's environment and the manager's handle on it. The rules are step
 * functions in loopRules.ts (docs/server-manager.md): this class holds one loop's
 * state, feeds the rules the manager's clock, counts and checked random source, and
 * turns what they ask for into events for the machine.
 */
export class RebalanceLoop implements RebalancerEnv, LoopHandle {
  readonly actor: Actor<typeof rebalancerMachine>;
  readonly #state: LoopState = initialLoopState();
  readonly #random = (): number => this.host.random();
  readonly #now = (): number => this.host.now();
  readonly #servers = (): number => this.host.servers();
  readonly #nodes = (): number => this.host.numNodes();
  #pictureQueued = false;

  constructor(
    private readonly settings: ManagerSettings,
    private readonly host: LoopHost,
    requested: boolean,
  ) {
    this.actor = createHostedActor(rebalancerMachine, { clock: settings.clock, input: { env: this, requested }, inspect: settings.inspect });
  }

  /** The delay the loop armed last (before the cap's jitter), ms; NaN before the first. */
  get delayInForceMs(): number {
    return this.#state.armedDelay;
  }

  start(): void {
    this.actor.start();
  }

  stop(): void {
    loopStopped(this.#state);
    this.actor.send({ type: 'STOP' });
  }

  /**
   * The list or a health state changed. Inspected managers tell their machine once per
   * burst of changes (a microtask later, so a failure and the rotation it causes show
   * as one event); uninspected ones do nothing here.
   */
  listChanged(): void {
    if (this.settings.inspect === undefined || this.#pictureQueued || this.#state.phase === 'stopped') return;
    this.#pictureQueued = true;
    queueMicrotask(() => {
      this.#pictureQueued = false;
      if (this.#state.phase === 'stopped') return;
      const { front, servers } = this.host.picture();
      this.actor.send({ type: 'SERVERS_CHANGED', front, servers });
    });
  }

  /** What an inspector shows of this environment (the machine's context holds it): the list and the next rebalance. */
  toJSON(): ServerPicture & { nextRebalanceAt: number | null } {
    return { ...this.host.picture(), nextRebalanceAt: Number.isFinite(this.#state.dueAt) ? this.#state.dueAt : null };
  }

  // --- the machine's environment (called inside its transitions: must not throw) ---

  firstDelayMs(): number {
    return this.#guard(() => firstDelay(this.settings, this.#state, this.host.now(), this.host.servers(), this.#random));
  }

  nextDelayMs(): number {
    return this.#guard(() => {
      const host = this.host;
      return nextDelay(this.settings, this.#state, host.now(), { servers: host.servers(), nodes: host.numNodes() }, this.#random);
    });
  }

  run(signal: AbortSignal): Promise<void> {
    try {
      runStarted(this.#state, this.host.now());
    } catch (err) {
      this.#state.phase = 'running';
      this.host.fatal(err);
      return Promise.resolve();
    }
    return this.host.rebalance(signal);
  }

  // --- what the manager tells the loop ------------------------------------------------

  /** A rebalance was requested (loopRules.ts, requestRebalance). */
  request(): void {
    this.#send(requestRebalance(this.settings, this.#state, this.#now));
  }

  /** The number of servers the cap divides by may have changed (loopRules.ts, serversChanged). */
  serversChanged(): void {
    this.#send(serversChanged(this.settings, this.#state, this.#servers, this.#nodes, this.#now, this.#random));
  }

  #send(action: LoopAction): void {
    if (action.type === 'rebalanceNow') this.actor.send({ type: 'REBALANCE_REQUESTED' });
    else if (action.type === 'rearm') this.actor.send({ type: 'REARM', delayMs: action.delayMs });
  }

  #guard(compute: () => number): number {
    try {
      return compute();
    } catch (err) {
      this.host.fatal(err);
      return MAX_TIMER_MS;
    }
  }
}
