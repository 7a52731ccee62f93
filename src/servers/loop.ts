// When the rebalance loop rebalances: the runtime side of machines/rebalancer.machine.ts.
// The machine waits and runs; this decides every wait — the jittered first one, the
// capped next one, a request served no sooner than the spacing allows, and the re-arm
// when the number of reachable servers changes — on the manager's clock.
import type { Actor } from 'xstate';
import { rebalancerMachine, type RebalancerEnv } from '../../machines/rebalancer.machine.js';
import { createHostedActor } from '../shared/actorHost.js';
import { clampDelay, MAX_TIMER_MS } from '../shared/clock.js';
import { randomStagger } from '../shared/stagger.js';
import type { ManagerSettings } from './options.js';
import type { ServerPicture } from './inspection.js';

/** What the loop needs from its manager. */
export interface LoopHost {
  now(): number;
  /** The manager's checked random source. */
  random(): number;
  /** `rebalanceDelay()` at the current counts. */
  rebalanceDelay(): number;
  /** The cap's part of the delay alone with `servers` to divide by (no floor, no randomness). */
  capMs(servers: number): number;
  /** The number of servers the rate cap divides by, now. */
  servers(): number;
  /** One rebalance (never rejects). */
  rebalance(signal: AbortSignal): Promise<void>;
  /** `now`, `random` or the delay threw: the manager fails loudly. */
  fatal(err: unknown): void;
  /** The front server and each server's health, for an inspector. */
  picture(): ServerPicture;
}

type Phase = 'initial' | 'running' | 'waiting' | 'stopped';

/**
 * The machine's environment and the manager's handle on it. Rules (docs/server-manager.md):
 * - first rebalance after `minReuseDuration + U(0, minReuseDuration / jitterFraction)`;
 * - then every `rebalanceDelay()` (a wait the cap stretched is jittered, see #capJitter);
 * - a request rebalances at once, but never sooner than `minReuseDuration / jitterFraction`
 *   after the previous rebalance started (later requests coalesce into that one);
 * - re-arm on change (see {@link RebalanceLoop.serversChanged}): when the number of
 *   reachable servers changes and the cap binds at either count, the pending wait is
 *   drawn again over the new delay.
 */
export class RebalanceLoop implements RebalancerEnv {
  readonly actor: Actor<typeof rebalancerMachine>;
  #phase: Phase = 'initial';
  /** When the last rebalance started; undefined before the first. */
  #lastStart: number | undefined = undefined;
  #dueAt = Number.NaN;
  /** The delay the fleet's remaining waits are taken to spread over, and the count it belongs to. */
  #armedDelay = Number.NaN;
  #armedServers = 0;
  #requestPending = false;
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
    return this.#armedDelay;
  }

  start(): void {
    this.actor.start();
  }

  stop(): void {
    this.#phase = 'stopped';
    this.actor.send({ type: 'STOP' });
  }

  /**
   * The list or a health state changed. Inspected managers tell their machine once per
   * burst of changes (a microtask later, so a failure and the rotation it causes show
   * as one event); uninspected ones do nothing here.
   */
  listChanged(): void {
    if (this.settings.inspect === undefined || this.#pictureQueued || this.#phase === 'stopped') return;
    this.#pictureQueued = true;
    queueMicrotask(() => {
      this.#pictureQueued = false;
      if (this.#phase === 'stopped') return;
      const { front, servers } = this.host.picture();
      this.actor.send({ type: 'SERVERS_CHANGED', front, servers });
    });
  }

  /** What an inspector shows of this environment (the machine's context holds it): the list and the next rebalance. */
  toJSON(): ServerPicture & { nextRebalanceAt: number | null } {
    return { ...this.host.picture(), nextRebalanceAt: Number.isFinite(this.#dueAt) ? this.#dueAt : null };
  }

  /** The longest wait the reuse jitter alone gives: a delay above it is the cap's. */
  get #jitterTop(): number {
    return this.settings.minReuseMs * (1 + 1 / this.settings.jitterFraction);
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
      const normal = this.host.rebalanceDelay();
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
   * The number of servers the cap divides by may have changed. When the cap binds at
   * either count — the pending wait was set by it (its delay above the whole jitter
   * window) or the delay at the new count is — the wait is drawn again, `U(0, d1)` at
   * the new delay d1: sooner or later than the old one, never sooner than the spacing
   * allows, so every agent rebalances within d1 at the capped rate. A shrink re-times a
   * first wait too; growth does not. When the cap binds at neither count, nothing moves.
   * Why not keep or stretch the old wait (measured): docs/tuning.md, `rearmOnChange`.
   */
  serversChanged(): void {
    const phase = this.#phase;
    if (!this.settings.rearmOnChange || (phase !== 'waiting' && phase !== 'initial')) return;
    const count = this.host.servers();
    if (count === this.#armedServers) return;
    const grew = count > this.#armedServers;
    this.#armedServers = count;
    const now = this.host.now();
    const d0 = this.#armedDelay;
    let d1: number;
    if (grew) {
      if (!(d0 > this.#jitterTop)) return;
      d1 = this.host.rebalanceDelay();
    } else {
      d1 = this.host.capMs(count);
      if (!(d1 > this.#jitterTop && d1 > d0)) return;
    }
    this.#armedDelay = d1;
    this.#moveTo(Math.max(now + randomStagger(d1, () => this.host.random()), this.#earliest(now)), now, true);
  }

  /**
   * A wait the cap stretched (`d` above the whole jitter window) gets its own jitter,
   * `d + U(0, d / jitterFraction)`: agents that rebalanced together would otherwise come
   * back together every `d`. Waits stay ≥ d, so the cap still holds.
   */
  #capJitter(d: number): number {
    if (!this.settings.jitterCappedWait || !(d > this.#jitterTop)) return d;
    return clampDelay(d + randomStagger(d / this.settings.jitterFraction, () => this.host.random()));
  }

  /** The soonest a request or a re-arm may start a rebalance: the spacing after the last start (now if none yet). */
  #earliest(now: number): number {
    const last = this.#lastStart;
    return last === undefined ? now : Math.max(now, last + this.#spacing);
  }

  /** Moves the pending rebalance to `at`: only when that is sooner, unless `later` allows a later one. */
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
