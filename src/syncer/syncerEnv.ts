// One StateSyncer's internals, shared by the pieces that run it: the machine's
// environment (intervals, time, randomness checked at each use, clamped delays and the
// user's sync calls through the SyncRunner), the triggers' target and the pause count.
// One object with prototype methods instead of a closure per function: a fleet
// simulation holds 100,000 of these. Not exported from the package.
import type { Actor } from 'xstate';
import type { stateSyncerMachine, StateSyncerEnv } from '../../machines/stateSyncer.machine.js';
import { clampDelay, clockNow, monotonicNow, type Clock } from '../shared/clock.js';
import { ClusterSizeReader } from '../shared/clusterSize.js';
import { componentLogger, type Logger } from '../shared/logger.js';
import { describeValue } from '../shared/options.js';
import { scaleFactor } from '../shared/stagger.js';
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

export class SyncerEnv implements StateSyncerEnv, SyncRunnerHost, TriggerTarget {
  readonly interval: number;
  readonly serverUpInterval: number;
  readonly retryFailInterval: number;
  readonly runner: SyncRunner;
  /** Clock time the last sync was requested (for durations in events). */
  syncStartedAt = 0;
  /** The running machine; set by start() just before the actor starts. */
  actor: SyncActor | undefined;
  /** Set by stop() or a failure: from then on triggers are ignored and the user is not called. */
  stopped = false;
  /** Counted pauses (every pause needs a resume). */
  pauseCount = 0;
  /** Triggers that arrived before start(); the machine's input carries them over. */
  fullPendingBeforeStart = false;
  changesPendingBeforeStart = false;
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

  // --- StateSyncerEnv --------------------------------------------------------------

  syncFull(signal: AbortSignal): Promise<void> | void {
    return this.#run('syncFull', signal);
  }

  syncChanges(signal: AbortSignal): Promise<void> | void {
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
    return Math.floor(r * scaleFactor(this.#clusterSize.size()) * ms);
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
    if (this.stopped) return;
    if (this.actor) this.actor.send(kind === 'syncFull' ? SYNC_FULL : SYNC_CHANGES);
    else if (kind === 'syncFull') this.fullPendingBeforeStart = true;
    else this.changesPendingBeforeStart = true;
  }

  isPending(kind: SyncKind): boolean {
    if (this.stopped) return false;
    const actor = this.actor;
    if (!actor) return kind === 'syncFull' ? this.fullPendingBeforeStart : this.changesPendingBeforeStart;
    const context = actor.getSnapshot().context;
    return kind === 'syncFull' ? context.fullSyncPending : context.changesPending;
  }

  // --- SyncRunnerHost ----------------------------------------------------------------

  isPaused(): boolean {
    return this.pauseCount > 0;
  }

  waitingForPrevious(): void {
    this.logger().warn('previous sync is still running after its timeout; waiting for it');
  }

  // --- internals -----------------------------------------------------------------------

  #run(kind: SyncKind, signal: AbortSignal): Promise<void> | void {
    this.syncStartedAt = this.now();
    // A failure found just now (or a stop) has already sent STOP: the user is not called.
    if (this.stopped) throw new Error(`${kind} not called: the syncer has stopped`);
    return this.runner.run(kind, signal);
  }

  /**
   * The syncer's own machinery failed inside a transition. Returning a harmless value
   * lets the transition finish; the owner then stops the machine (STOP is queued behind
   * it), so no timer computed from that value survives and no trigger is silently lost.
   */
  #failed(err: unknown, what?: string): 0 {
    const error = err instanceof Error ? err : new Error(`${what ?? 'failed'}: ${describeValue(err)}`);
    if (!this.stopped) this.#onFailure(error);
    return 0;
  }
}
