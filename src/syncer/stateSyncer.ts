// StateSyncer: runs the anti-entropy machine (machines/stateSyncer.machine.ts) against
// a user's SyncState. It owns everything the pure machine must not: the clock,
// randomness, logging, stats, sync timeouts and the bounded wait on stop().
import { trustAfter } from './trust.js';
import { actorView, createHostedActor, type ActorView } from '../shared/actorHost.js';
import {
  stateSyncerMachine,
  type StateSyncerEmitted,
  type StateSyncerMachine,
  type StateSyncerStateName,
} from '../../machines/stateSyncer.machine.js';
import type { Clock } from '../shared/clock.js';
import { TypedEmitter } from '../shared/emitter.js';
import { addWaiter, flushWaiters, type Waiters } from '../shared/waiters.js';
import { NotPausedError, StoppedError } from '../shared/errors.js';
import { resolveSyncerOptions, type StateSyncerOptions } from './options.js';
import { statePath, topLevel } from './statePath.js';
import { afterFullSyncFailure, afterPartialSyncFailure, type NextStep } from './nextStep.js';
import { SyncerEnv, type SyncActor } from './syncerEnv.js';
import type { SyncKind, SyncState } from './syncRunner.js';
import { SyncTrigger, type Trigger } from './trigger.js';
import { syncerTelemetry, type SyncerTelemetry } from '../telemetry/syncer.js';
import type { StateSyncerEvents, SyncStats } from './events.js';

export type { SyncKind, SyncState, StateSyncerOptions, StateSyncerEvents, SyncStats };

export class StateSyncer extends TypedEmitter<StateSyncerEvents> {
  /** Asks for a full sync after a staggered wait (e.g. a server joined). */
  readonly syncFull: Trigger;
  /** Asks for a partial sync of local changes, at once. */
  readonly syncChanges: Trigger;

  readonly #env: SyncerEnv;
  readonly #clock: Clock;
  readonly #stopTimeout: number;
  readonly #inspect: StateSyncerOptions['inspect'];
  // Metrics and spans (docs/observability.md); undefined only in a build without telemetry (bench/).
  readonly #telemetry: SyncerTelemetry | undefined;
  #stopping: Promise<void> | undefined;
  // Created on first use: most syncers never have anyone waiting.
  #resumeWaiters: Waiters;
  // The active state as last reported: top-level name and the rest of the path.
  #top: StateSyncerStateName = 'fullSync';
  #leaf = '';
  #watching = false;
  #view: ActorView<StateSyncerMachine> | undefined;
  // Stats as fields rather than an object: one object less per syncer.
  #fullSyncs = 0;
  #fullSyncFailures = 0;
  #fullSyncsSkipped = 0;
  #partialSyncs = 0;
  #partialSyncFailures = 0;
  #consecutiveFailures = 0;
  #lastSuccessAt: number | undefined;
  #lastError: unknown;
  #trustedFullSync = false;

  constructor(options: StateSyncerOptions) {
    super();
    const o = resolveSyncerOptions(options);
    this.#stopTimeout = o.stopTimeout;
    this.#clock = o.clock;
    this.#inspect = options.inspect;
    const telemetry: SyncerTelemetry | undefined = (this.#telemetry = syncerTelemetry(options, o.state));
    this.#env = new SyncerEnv(
      {
        interval: o.interval,
        serverUpInterval: o.serverUpInterval,
        retryFailInterval: o.retryFailInterval,
        syncTimeout: o.syncTimeout,
        clusterSize: o.clusterSize,
        random: o.random,
        clock: o.clock,
        logger: options.logger,
        onFailure: (error) => this.#fail(error),
      },
      telemetry ?? o.state,
    );
    this.syncFull = new SyncTrigger(this.#env, 'syncFull', telemetry);
    this.syncChanges = new SyncTrigger(this.#env, 'syncChanges', telemetry);
  }

  /** The machine, read-only (snapshot, subscribe, emitted events). Undefined before start(). */
  get actor(): ActorView<StateSyncerMachine> | undefined {
    const actor = this.#env.actor;
    if (!actor) return undefined;
    return (this.#view ??= actorView(actor));
  }

  /** The top-level state; `'fullSync'` before start(), `'done'` after stop() or a failure. */
  get state(): StateSyncerStateName {
    if (this.#stopping) return 'done';
    const actor = this.#env.actor;
    if (!actor) return 'fullSync';
    return topLevel(actor.getSnapshot().value);
  }

  /**
   * True once a full sync has succeeded and none has failed since: false before the first
   * succeeds and from a failed one (the syncer is then in `retryFullSync`) until a retry
   * succeeds. A full sync skipped while paused changes nothing. The agent's wiring reads it
   * to decide whether a server coming up is worth a full sync (`fullSyncOnServerUp`).
   */
  get hasTrustedFullSync(): boolean {
    return this.#trustedFullSync;
  }

  get paused(): boolean {
    return this.#env.isPaused();
  }

  /** Starts syncing: enters fullSync and calls syncFull at once. Throws StoppedError after stop(). */
  start(): this {
    if (this.#stopping) throw new StoppedError('StateSyncer was stopped and cannot be started again');
    const env = this.#env;
    if (env.actor) return this;
    const actor = createHostedActor(stateSyncerMachine, { input: env.startInput(), clock: this.#clock, inspect: this.#inspect });
    env.attach(actor);
    actor.on('*', (emitted) => this.#onEmitted(emitted));
    // Unreachable with our environment (it turns its own failures into a stop); kept so
    // that a failure inside xstate is never silent either.
    actor.subscribe(undefined, (err: unknown) => this.#fail(err instanceof Error ? err : new Error(String(err))));
    if (this.hasListeners('transition')) this.#watchTransitions(actor, false);
    this.#telemetry?.started(this);
    actor.start();
    return this;
  }

  /** Adds `listener` for `event`; returns a function that removes it. */
  override on<K extends keyof StateSyncerEvents>(event: K, listener: (arg: StateSyncerEvents[K]) => void): () => void {
    const off = super.on(event, listener);
    // Snapshots are watched only once someone listens: most syncers never have a listener.
    const actor = this.#env.actor;
    if (event === 'transition' && actor && !this.#stopping) this.#watchTransitions(actor, true);
    return off;
  }

  /**
   * Stops syncing from any state: aborts the in-flight sync and resolves once it has
   * settled (or after `stopTimeout`). Safe before start() and when repeated; never rejects.
   */
  stop(): Promise<void> {
    return this.#stopping ?? this.#stopNow();
  }

  /**
   * Pauses syncing (counted: every pause needs a resume). The count goes up at once (called
   * from inside a sync or a listener: as soon as that callback returns, before any timer);
   * the promise resolves when no sync is in flight — also when called from inside a sync.
   */
  pause(): Promise<void> {
    this.#env.pause();
    this.#telemetry?.paused();
    return this.#env.runner.whenIdle();
  }

  /**
   * Ends one pause. Returns true when this call ended the pause; that call also
   * triggers SyncChanges, and SyncFull if a full sync was skipped while paused.
   * Throws NotPausedError when there is no pause to end (nothing changes then).
   */
  resume(): boolean {
    if (!this.#env.isPaused()) throw new NotPausedError('unbalanced StateSyncer.resume(): the syncer is not paused');
    const ended = this.#env.resume();
    if (ended) flushWaiters(this.#resumeWaiters);
    return ended;
  }

  /** A promise that resolves when the current pause ends (or the syncer stops); undefined when not paused. */
  waitResume(): Promise<void> | undefined {
    if (!this.#env.isPaused()) return undefined;
    return addWaiter((this.#resumeWaiters ??= []));
  }

  /** Counts of syncs and failures so far (a copy). */
  stats(): SyncStats {
    return {
      fullSyncs: this.#fullSyncs,
      fullSyncFailures: this.#fullSyncFailures,
      fullSyncsSkipped: this.#fullSyncsSkipped,
      partialSyncs: this.#partialSyncs,
      partialSyncFailures: this.#partialSyncFailures,
      consecutiveFailures: this.#consecutiveFailures,
      lastSuccessAt: this.#lastSuccessAt,
      lastError: this.#lastError,
    };
  }

  protected override listenerFailed(event: keyof StateSyncerEvents, err: unknown): void {
    this.#env.logger().error({ err, event }, 'state syncer listener threw');
  }

  // --- internals ---------------------------------------------------------------

  #stopNow(): Promise<void> {
    const env = this.#env;
    const stopping = env.runner.settle(this.#stopTimeout).then((settled) => {
      if (!settled) {
        env.logger().warn(
          { stopTimeoutMs: this.#stopTimeout },
          'sync ignored its abort signal; abandoned after stopTimeout, its result will be ignored',
        );
      }
      flushWaiters(this.#resumeWaiters);
    });
    // First: a STOP handled at once may run listeners that call stop() again.
    this.#stopping = stopping;
    this.#telemetry?.stopped(this);
    env.stop();
    return stopping;
  }

  /** The syncer's own machinery failed: say so everywhere, then stop as stop() does. */
  #fail(error: Error): void {
    if (this.#stopping) return;
    this.#lastError = error;
    this.#env.logger().error({ err: error }, 'state syncer failed (its random source or clock is broken); the syncer has stopped');
    void this.#stopNow();
    this.emit('fatal', error);
    this.emit('failed', { error });
  }

  #onEmitted(emitted: StateSyncerEmitted): void {
    this.#telemetry?.emitted(emitted.type, 'error' in emitted ? emitted.error : undefined, this.#env);
    switch (emitted.type) {
      case 'fullSync.started':
      case 'syncChanges.started':
      case 'syncChanges.skipped':
        return;
      case 'fullSync.done':
        this.#fullSyncs++;
        this.#trustedFullSync = trustAfter(this.#trustedFullSync, emitted.type);
        this.#succeeded();
        if (this.hasListeners('fullSync')) this.emit('fullSync', { durationMs: this.#sinceSyncStarted() });
        return;
      case 'syncChanges.done':
        this.#partialSyncs++;
        this.#succeeded();
        if (this.hasListeners('syncChanges')) this.emit('syncChanges', { durationMs: this.#sinceSyncStarted() });
        return;
      case 'fullSync.failed':
        this.#fullSyncFailures++;
        this.#trustedFullSync = trustAfter(this.#trustedFullSync, emitted.type);
        this.#failed(emitted.error);
        this.#logNext(emitted.error, afterFullSyncFailure(this.#env.actor?.getSnapshot()));
        this.emit('fullSyncFailed', this.#failure(emitted.error));
        return;
      case 'syncChanges.failed':
        this.#partialSyncFailures++;
        this.#failed(emitted.error);
        this.#logNext(emitted.error, afterPartialSyncFailure(this.#env.actor?.getSnapshot(), this.#env.now()));
        this.emit('syncChangesFailed', this.#failure(emitted.error));
        return;
      case 'fullSync.skipped':
        this.#fullSyncsSkipped++;
        this.emit('fullSyncSkipped', { reason: 'paused' });
        return;
    }
  }

  // Emitted events arrive after the machine's step: the snapshot shows what follows the failure.
  #logNext(err: unknown, next: NextStep): void {
    this.#env.logger().error({ err, ...next.fields }, next.msg);
  }

  #sinceSyncStarted(): number {
    return this.#env.sinceSyncStarted();
  }

  #succeeded(): void {
    this.#consecutiveFailures = 0;
    this.#lastSuccessAt = this.#env.wallNow();
  }

  #failed(error: unknown): void {
    this.#consecutiveFailures++;
    this.#lastError = error;
  }

  #failure(error: unknown): StateSyncerEvents['fullSyncFailed'] {
    return { error, durationMs: this.#sinceSyncStarted(), consecutiveFailures: this.#consecutiveFailures };
  }

  /** Reports transitions from now on: from the state the actor is in (`running`), or from the start. */
  #watchTransitions(actor: SyncActor, running: boolean): void {
    if (this.#watching) return;
    this.#watching = true;
    if (running) this.#onSnapshot(actor.getSnapshot().value, false);
    actor.subscribe((snapshot) => this.#onSnapshot(snapshot.value, true));
  }

  // Called on every snapshot: compares interned key strings and builds the path only on a change.
  #onSnapshot(value: unknown, report: boolean): void {
    let top: StateSyncerStateName;
    let leaf = '';
    if (typeof value === 'string') top = value as StateSyncerStateName;
    else {
      top = topLevel(value);
      const below = (value as Record<string, unknown>)[top];
      leaf = typeof below === 'string' ? below : statePath(below);
    }
    if (top === this.#top && leaf === this.#leaf) return;
    const from = this.#top;
    this.#top = top;
    this.#leaf = leaf;
    if (report && this.hasListeners('transition')) this.emit('transition', { from, to: top, path: leaf ? `${top}.${leaf}` : top });
  }
}
