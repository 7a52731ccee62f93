// When the rebalance loop rebalances: the runtime side of machines/rebalancer.machine.ts.
// The machine waits and runs; this decides every wait — the jittered first one, the
// capped next one, a request served no sooner than the spacing allows, and the re-arm
// that shortens a wait when the number of healthy servers grows — on the manager's clock.
import type { Actor } from 'xstate';
import { rebalancerMachine, type RebalancerEnv } from '../../machines/rebalancer.machine.js';
import { createHostedActor } from '../shared/actorHost.js';
import { clampDelay, MAX_TIMER_MS } from '../shared/clock.js';
import { randomStagger } from '../shared/stagger.js';
import type { ManagerSettings } from './options.js';

/** What the loop needs from its manager. */
export interface LoopHost {
  now(): number;
  /** The manager's checked random source. */
  random(): number;
  /** `rebalanceDelay()` at the current counts. */
  delay(): number;
  /** The number of servers the rate cap divides by, now. */
  servers(): number;
  /** One rebalance (never rejects). */
  rebalance(signal: AbortSignal): Promise<void>;
  /** `now`, `random` or the delay threw: the manager fails loudly. */
  fatal(err: unknown): void;
}

type Phase = 'initial' | 'running' | 'waiting' | 'stopped';

/**
 * The re-arm draw for a wait armed with delay `d0` when the delay is now `d1 < d0`:
 * `t = (1 − v) / (1/d1 − v/d0)` for `v` uniform in [0, 1). Its survival function is
 * `(1 − t/d1) / (1 − t/d0)`, so for a remaining wait R uniform on [0, d0) — a fleet
 * in its steady state — `min(R, t)` is uniform on [0, d1): the fleet moves to the new
 * delay at exactly the capped rate, every agent within d1. (A plain `U(0, d1)` draw
 * would add its rate to the old waits' and exceed the cap: at 100,000 agents, 1 → 5
 * servers, ~77 instead of 64 connections/s per server in the first minute.)
 */
export function rearmDraw(d0: number, d1: number, v: number): number {
  return (1 - v) / (1 / d1 - v / d0);
}

/**
 * The machine's environment and the manager's handle on it. Rules (docs/server-manager.md):
 * - first rebalance after `minReuseDuration + U(0, minReuseDuration / jitterFraction)`;
 * - then every `rebalanceDelay()` (a wait the cap stretched is jittered, see #capJitter);
 * - a request rebalances at once, but never sooner than `minReuseDuration / jitterFraction`
 *   after the previous rebalance started (later requests coalesce into that one);
 * - re-arm on change: when the servers the cap divides by grow, the wait is shortened so
 *   the fleet's waits spread uniformly over the new, shorter delay (subject to the same
 *   spacing); when they shrink and the cap binds, it is stretched so the servers left
 *   stay under the cap.
 */
export class RebalanceLoop implements RebalancerEnv {
  readonly actor: Actor<typeof rebalancerMachine>;
  #phase: Phase = 'initial';
  /** When the last rebalance started; undefined before the first. */
  #lastStart: number | undefined = undefined;
  #dueAt = Number.NaN;
  #armedDelay = Number.NaN;
  #armedServers = 0;
  #requestPending = false;

  constructor(
    private readonly settings: ManagerSettings,
    private readonly host: LoopHost,
    requested: boolean,
  ) {
    this.actor = createHostedActor(rebalancerMachine, { clock: settings.clock, input: { env: this, requested }, inspect: undefined });
  }

  start(): void {
    this.actor.start();
  }

  stop(): void {
    this.#phase = 'stopped';
    this.actor.send({ type: 'STOP' });
  }

  /** Shortest gap between two rebalance starts that a request or a re-arm may cause. */
  get #spacing(): number {
    return this.settings.minReuseMs / this.settings.jitterFraction;
  }

  // --- the machine's environment (called inside its transitions: must not throw) ---

  firstDelayMs(): number {
    const { minReuseMs, jitterFraction, jitterFirstRebalance } = this.settings;
    return this.#guard(() => {
      const jitter = jitterFirstRebalance ? randomStagger(minReuseMs / jitterFraction, () => this.host.random()) : 0;
      return this.#arm(clampDelay(minReuseMs + jitter), Number.NaN);
    });
  }

  nextDelayMs(): number {
    return this.#guard(() => {
      this.#phase = 'waiting';
      const normal = this.host.delay();
      const wait = this.#capJitter(normal);
      if (!this.#requestPending) return this.#arm(wait, normal);
      this.#requestPending = false;
      const now = this.host.now();
      return this.#arm(clampDelay(Math.min(wait, this.#earliest(now) - now)), normal);
    });
  }

  run(signal: AbortSignal): Promise<void> {
    this.#phase = 'running';
    try {
      this.#lastStart = this.host.now();
    } catch (err) {
      this.host.fatal(err);
      return Promise.resolve();
    }
    return this.host.rebalance(signal);
  }

  // --- what the manager tells the loop ------------------------------------------------

  /** A rebalance was requested (see the rules above). */
  request(): void {
    const phase = this.#phase;
    if (phase === 'stopped') return;
    if (phase === 'running') {
      this.#requestPending = true;
      return;
    }
    const now = this.host.now();
    const allowedAt = this.#earliest(now);
    if (allowedAt <= now) this.actor.send({ type: 'REBALANCE_REQUESTED' });
    else this.#moveTo(allowedAt, now, false);
  }

  /**
   * The number of servers the cap divides by may have changed. Only a wait after a
   * rebalance is re-armed (the first wait of a fresh list needs no spreading).
   * - It grew above the count the wait was armed with: the wait becomes the sooner of
   *   the remaining one and {@link rearmDraw} (never sooner than the spacing allows).
   * - It shrank, and at the new count the cap binds (the delay is above the whole jitter
   *   window) and is longer than the armed one: the remaining wait is stretched by
   *   d1 / d0, so waits uniform on [0, d0) become uniform on [0, d1) and the servers
   *   left see the capped rate at once, not only after one old delay.
   * - Otherwise nothing changes, not even the count the wait was armed with: a server
   *   that flaps while the cap does not bind cannot shorten a wait again and again.
   */
  serversChanged(): void {
    if (!this.settings.rearmOnChange || this.#phase !== 'waiting') return;
    const count = this.host.servers();
    if (count === this.#armedServers) return;
    const d0 = this.#armedDelay;
    const d1 = this.host.delay();
    const now = this.host.now();
    if (count > this.#armedServers) {
      this.#armedServers = count;
      if (!(d1 < d0)) return;
      this.#armedDelay = d1;
      this.#moveTo(Math.max(now + rearmDraw(d0, d1, this.host.random()), this.#earliest(now)), now, false);
      return;
    }
    const { minReuseMs, jitterFraction } = this.settings;
    if (!(d1 > d0 && d1 > minReuseMs + minReuseMs / jitterFraction)) return;
    this.#armedServers = count;
    this.#armedDelay = d1;
    this.#moveTo(now + (this.#dueAt - now) * (d1 / d0), now, true);
  }

  /**
   * A wait the cap stretched (`d` above the whole jitter window) gets its own jitter,
   * `d + U(0, d / jitterFraction)`: agents that rebalanced together would otherwise come
   * back together every `d`. Waits stay ≥ d, so the cap still holds.
   */
  #capJitter(d: number): number {
    const { minReuseMs, jitterFraction, jitterCappedWait } = this.settings;
    if (!jitterCappedWait || !(d > minReuseMs + minReuseMs / jitterFraction)) return d;
    return clampDelay(d + randomStagger(d / jitterFraction, () => this.host.random()));
  }

  /** The soonest a request or a re-arm may start a rebalance: the spacing after the last start (now if none yet). */
  #earliest(now: number): number {
    const last = this.#lastStart;
    return last === undefined ? now : Math.max(now, last + this.#spacing);
  }

  /** Moves the pending rebalance to `at`: only when that is sooner, unless `later` allows stretching. */
  #moveTo(at: number, now: number, later: boolean): void {
    if (later ? at === this.#dueAt : !(at < this.#dueAt)) return;
    this.#dueAt = at;
    // Whole milliseconds, rounded up: clocks truncate fractions, and "no sooner than" must hold.
    this.actor.send({ type: 'REARM', delayMs: clampDelay(Math.ceil(at - now)) });
  }

  #arm(ms: number, delay: number): number {
    this.#dueAt = this.host.now() + ms;
    this.#armedDelay = Number.isNaN(delay) ? ms : delay;
    this.#armedServers = this.host.servers();
    return ms;
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
