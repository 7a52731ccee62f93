// One StateSyncer's internals, shared by the pieces that run it: the machine's
// environment (intervals, time, randomness checked at each use, clamped delays and the
// user's sync calls through the SyncRunner), the triggers' target and the pause count.
// One object with prototype methods instead of a closure per function: a fleet
// simulation holds 100,000 of these. Not exported from the package.
import type { Actor } from 'xstate';
import type { stateSyncerMachine, StateSyncerEnv, StateSyncerInput } from '../../machines/stateSyncer.machine.js';
import { clampDelay, clockNow, monotonicNow, type Clock } from '../shared/clock.js';
import { ClusterSizeReader } from '../shared/clusterSize.js';
import { componentLogger, type Logger } from '../shared/logger.js';
import { describeValue } from '../shared/options.js';
import { clusterStagger } from '../shared/stagger.js';
import { checkRandomValue } from '../shared/random.js';
import { SyncRunner, type SyncKind, type SyncRunnerHost, type SyncState } from './syncRunner.js';
import type { TriggerTarget } from './trigger.js';

export type SyncActor = Actor<typeof stateSyncerMachine>;

export interface SyncerEnvSettings {
  interval: number;
  serverUpInterval: number;
  retryFailInterval: number;
  syncTimeout: number | undefined;
  clusterSize: () => number;
  random: () => number;
  clock: Clock;
  logger: Logger | undefined;
  /**
   * Told once when the syncer's own machinery fails (a `random` or `clock.now` that
   * throws or gives an invalid value); the owner stops the syncer loudly.
   */
  onFailure: (error: Error) => void;
}

// Sent on every trigger: one object each, never mutated by xstate.
const SYNC_FULL = { type: 'SYNC_FULL' } as const;
const SYNC_CHANGES = { type: 'SYNC_CHANGES' } as const;
const PAUSE = { type: 'PAUSE' } as const;
const RESUME = { type: 'RESUME' } as const;
const STOP = { type: 'STOP' } as const;

/** The values a running machine keeps in its context, held here while none runs. */
interface Held {
  paused: number;
  fullSyncPending: boolean;
  changesPending: boolean;
}

/**
 * One owner per value: the pause count and the pending triggers belong to the running
 * machine's context; before start() (and after stop) no machine runs, and this object
 * holds them — the machine's input takes them over at start, and stop hands the last
 * count back. Every read and change goes through the methods below.
 */
export class SyncerEnv implements StateSyncerEnv, SyncRunnerHost, TriggerTarget {
  readonly interval: number;
  readonly serverUpInterval: number;
  readonly retryFailInterval: number;
  readonly runner: SyncRunner;
  // Clock time the last sync was requested (for durations in events).
  #syncStartedAt = 0;
  #actor: SyncActor | undefined;
  // Set by stop() or a failure: from then on triggers are ignored and the user is not called.
  #stopped = false;
  readonly #held: Held = { paused: 0, fullSyncPending: false, changesPending: false };
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #clusterSize: ClusterSizeReader;
  readonly #baseLogger: Logger | undefined;
  readonly #onFailure: (error: Error) => void;
  #log: Logger | undefined;

  constructor(settings: SyncerEnvSettings, state: SyncState) {
    this.interval = settings.interval;
    this.serverUpInterval = settings.serverUpInterval;
    this.retryFailInterval = settings.retryFailInterval;
    this.#clock = settings.clock;
    this.#random = settings.random;
    this.#baseLogger = settings.logger;
    this.#onFailure = settings.onFailure;
    this.#clusterSize = new ClusterSizeReader(settings.clusterSize, (details) =>
      this.logger().warn(details, 'clusterSize() failed or returned an invalid value; using 1 (logged once)'),
    );
    this.runner = new SyncRunner(state, settings.clock, settings.syncTimeout, this);
  }

  /** The syncer's component logger, built on first use (most syncers never log). */
  logger(): Logger {
    return (this.#log ??= componentLogger(this.#baseLogger, 'stateSyncer'));
  }

  // --- lifecycle -------------------------------------------------------------------

  /** The machine's input: what this object held until now, handed over. */
  startInput(): StateSyncerInput {
    return { env: this, ...this.#held };
  }

  /** The machine now owns the pause count and the pending triggers. */
  attach(actor: SyncActor): void {
    this.#actor = actor;
    // The initial transition ran inside createActor: if it found random or the clock broken,
    // the syncer is already stopping, and the STOP it could not send yet goes first.
    if (this.#stopped) actor.send(STOP);
  }

  /** The machine, once started (it stays readable after stop). */
  get actor(): SyncActor | undefined {
    return this.#actor;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** From now on nothing reaches the user or the machine; the last pause count comes back here. */
  stop(): void {
    if (this.#stopped) return;
    this.#held.paused = this.pauseCount();
    this.#held.fullSyncPending = false;
    this.#held.changesPending = false;
    this.#stopped = true;
    this.#actor?.send(STOP);
  }

  /** Milliseconds since the current sync was requested. */
  sinceSyncStarted(): number {
    return this.now() - this.#syncStartedAt;
  }

  // --- the pause count -------------------------------------------------------------------

  pauseCount(): number {
    return this.#running() ? (this.#actor as SyncActor).getSnapshot().context.paused : this.#held.paused;
  }

  pause(): void {
    if (this.#running()) (this.#actor as SyncActor).send(PAUSE);
    else this.#held.paused++;
  }

  /**
   * Ends one pause; true when that ended the pause (the caller checked there is one).
   * Before start, the resume that ends a pause asks for a partial sync, as the machine does.
   */
  resume(): boolean {
    if (this.#running()) {
      const ended = this.pauseCount() === 1;
      (this.#actor as SyncActor).send(RESUME);
      return ended;
    }
    const ended = --this.#held.paused === 0;
    if (ended && !this.#stopped) this.#held.changesPending = true;
    return ended;
  }

  // --- StateSyncerEnv --------------------------------------------------------------

  syncFull(signal: AbortSignal): Promise<unknown> | void {
    return this.#run('syncFull', signal);
  }

  syncChanges(signal: AbortSignal): Promise<unknown> | void {
    return this.#run('syncChanges', signal);
  }

  /**
   * Monotonic time in ms (`monotonicNow`), for the full-sync deadline and sync durations:
   * a wall-clock step moves neither. A reading that throws or gives no finite number
   * stops the syncer (see `#failed`).
   */
  now(): number {
    return this.#read(monotonicNow, this.#clock.performance ? 'clock.performance.now' : 'clock.now');
  }

  /** Wall-clock time in ms (`clock.now`), for timestamps people read (`lastSuccessAt`); checked as `now()` is. */
  wallNow(): number {
    return this.#read(clockNow, 'clock.now');
  }

  #read(read: (clock: Clock) => number, what: string): number {
    let ms: unknown;
    try {
      ms = read(this.#clock);
    } catch (err) {
      return this.#failed(err, `${what} threw`);
    }
    if (typeof ms === 'number' && Number.isFinite(ms)) return ms;
    return this.#failed(new RangeError(`${what} must give a finite number of ms, received ${describeValue(ms)}`));
  }

  /**
   * `floor(random() × scaleFactor(clusterSize()) × ms)`: Consul agent/ae/ae.go's staggerFn.
   * A `random()` that throws or leaves [0, 1) stops the syncer (see `#failed`).
   */
  stagger(ms: number): number {
    if (!(ms > 0)) return 0;
    let r: number;
    try {
      r = checkRandomValue(this.#random());
    } catch (err) {
      return this.#failed(err, 'random is broken');
    }
    return clusterStagger(ms, r, this.#clusterSize.size());
  }

  clampDelay(ms: number): number {
    return clampDelay(ms);
  }

  /** What an inspector or a persisted snapshot shows of the environment: the settings, no back-references. */
  toJSON(): { interval: number; serverUpInterval: number; retryFailInterval: number } {
    return { interval: this.interval, serverUpInterval: this.serverUpInterval, retryFailInterval: this.retryFailInterval };
  }

  // --- TriggerTarget ---------------------------------------------------------------

  fire(kind: SyncKind): void {
    if (this.#stopped) return;
    if (this.#actor) this.#actor.send(kind === 'syncFull' ? SYNC_FULL : SYNC_CHANGES);
    else if (kind === 'syncFull') this.#held.fullSyncPending = true;
    else this.#held.changesPending = true;
  }

  isPending(kind: SyncKind): boolean {
    if (this.#stopped) return false;
    const held = this.#actor ? this.#actor.getSnapshot().context : this.#held;
    return kind === 'syncFull' ? held.fullSyncPending : held.changesPending;
  }

  // --- SyncRunnerHost ----------------------------------------------------------------

  isPaused(): boolean {
    return this.pauseCount() > 0;
  }

  waitingForPrevious(): void {
    this.logger().warn('previous sync is still running after its timeout; waiting for it');
  }

  // --- internals -----------------------------------------------------------------------

  #running(): boolean {
    return this.#actor !== undefined && !this.#stopped;
  }

  #run(kind: SyncKind, signal: AbortSignal): Promise<unknown> | void {
    this.#syncStartedAt = this.now();
    // A failure found just now (or a stop) has already sent STOP: the user is not called.
    if (this.#stopped) throw new Error(`${kind} not called: the syncer has stopped`);
    return this.runner.run(kind, signal);
  }

  /**
   * The syncer's own machinery failed inside a transition. Returning a harmless value
   * lets the transition finish; the owner then stops the machine (STOP is queued behind
   * it), so no timer computed from that value survives and no trigger is silently lost.
   */
  #failed(err: unknown, what?: string): 0 {
    const error = err instanceof Error ? err : new Error(`${what ?? 'failed'}: ${describeValue(err)}`);
    if (!this.#stopped) this.#onFailure(error);
    return 0;
  }
}
