// StateSyncer: runs the anti-entropy machine (machines/stateSyncer.machine.ts) against
// a user's SyncState. It owns everything the pure machine must not: the clock,
// randomness, logging, stats, sync timeouts and the bounded wait on stop().
import type { Actor, InspectionEvent, Observer } from 'xstate';
import { createHostedActor } from '../shared/actorHost.js';
import {
  stateSyncerMachine,
  type StateSyncerEmitted,
  type StateSyncerStateName,
} from '../../machines/stateSyncer.machine.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { TypedEmitter } from '../shared/emitter.js';
import { NotPausedError, StoppedError } from '../shared/errors.js';
import { componentLogger, type Logger } from '../shared/logger.js';
import { fn, nonNegativeNumber, optionalPositiveNumber, positiveNumber, checkClock } from '../shared/options.js';
import { SyncerEnv } from './syncerEnv.js';
import { isSyncSkippedError, type SyncKind, type SyncState } from './syncRunner.js';
import { Trigger, type TriggerTarget } from './trigger.js';

export type { SyncKind, SyncState };

export interface StateSyncerOptions {
  state: SyncState;
  /** Milliseconds between full syncs, before the cluster-scaled stagger is added. Required, > 0. */
  interval: number;
  /** Number of cluster members; scales every stagger by log2 above 128 nodes. Required. */
  clusterSize: () => number;
  /** Upper bound (ms, before scaling) of the random wait after a SyncFull trigger. Defaults to 3 000 ms. */
  serverUpInterval?: number;
  /** Minimum wait (ms) before retrying a failed full sync; a scaled stagger is added. Defaults to 15 000 ms. */
  retryFailInterval?: number;
  /** A sync running longer than this (ms) is aborted and counts as failed. Defaults to none. */
  syncTimeout?: number;
  /** How long (ms) stop() waits for a sync that ignores its AbortSignal. Defaults to 10 000 ms. */
  stopTimeout?: number;
  /** pino logger; the syncer logs through `logger.child({ component: 'stateSyncer' })`. Defaults to silent. */
  logger?: Logger;
  /** Random source in [0, 1). Defaults to Math.random. */
  random?: () => number;
  /** Timer source for every delay. Defaults to Node's timers. */
  clock?: Clock;
  /** xstate inspection observer (e.g. from @statelyai/inspect). */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

export interface SyncStats {
  fullSyncs: number;
  fullSyncFailures: number;
  /** Full syncs skipped because the syncer was paused. */
  fullSyncsSkipped: number;
  partialSyncs: number;
  partialSyncFailures: number;
  /** Failed syncs (full or partial) since the last successful one. */
  consecutiveFailures: number;
  /** Clock time (ms) of the last successful sync of either kind. */
  lastSuccessAt: number | undefined;
  lastError: unknown;
}

export interface StateSyncerEvents extends Record<string, unknown> {
  fullSync: { durationMs: number };
  fullSyncFailed: { error: unknown; durationMs: number; consecutiveFailures: number };
  fullSyncSkipped: { reason: 'paused' };
  syncChanges: { durationMs: number };
  syncChangesFailed: { error: unknown; durationMs: number; consecutiveFailures: number };
  /** The active state changed; `from`/`to` are top-level names, `path` the full dotted state path. */
  transition: { from: StateSyncerStateName; to: StateSyncerStateName; path: string };
}

const DEFAULT_SERVER_UP_INTERVAL_MS = 3_000;
const DEFAULT_RETRY_FAIL_INTERVAL_MS = 15_000;
const DEFAULT_STOP_TIMEOUT_MS = 10_000;

type SyncActor = Actor<typeof stateSyncerMachine>;

export class StateSyncer extends TypedEmitter<StateSyncerEvents> implements TriggerTarget<SyncKind> {
  /** Asks for a full sync after a staggered wait (e.g. a server joined). */
  readonly syncFull: Trigger<SyncKind>;
  /** Asks for a partial sync of local changes, at once. */
  readonly syncChanges: Trigger<SyncKind>;

  private readonly stopTimeout: number;
  private readonly clock: Clock;
  private readonly env: SyncerEnv;
  private readonly inspect: StateSyncerOptions['inspect'];
  private readonly baseLogger: Logger | undefined;
  private log: Logger | undefined;

  private actorRef: SyncActor | undefined;
  private stopping: Promise<void> | undefined;
  private pauseCount = 0;
  // Triggers and pause carried until start() hands them to the machine.
  private fullPendingBeforeStart = false;
  private changesPendingBeforeStart = false;
  // Created on first use: most syncers never have anyone waiting.
  private resumeWaiters: (() => void)[] | undefined;
  private lastPath = 'fullSync';
  // A full sync was skipped by the runner (paused while queued): the resume that ends the pause re-triggers it.
  private fullSkippedInRunner = false;
  private readonly counters: SyncStats = {
    fullSyncs: 0,
    fullSyncFailures: 0,
    fullSyncsSkipped: 0,
    partialSyncs: 0,
    partialSyncFailures: 0,
    consecutiveFailures: 0,
    lastSuccessAt: undefined,
    lastError: undefined,
  };

  constructor(options: StateSyncerOptions) {
    super();
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`StateSyncer options must be an object, received ${String(options)}`);
    }
    const { state } = options;
    if (
      state === null ||
      typeof state !== 'object' ||
      typeof state.syncFull !== 'function' ||
      typeof state.syncChanges !== 'function'
    ) {
      throw new TypeError('state must have syncFull(signal) and syncChanges(signal) methods');
    }
    const interval = positiveNumber('interval', options.interval);
    const clusterSize = fn<() => number>('clusterSize', options.clusterSize);
    const serverUpInterval = nonNegativeNumber('serverUpInterval', options.serverUpInterval, DEFAULT_SERVER_UP_INTERVAL_MS);
    // > 0: with no wait, a failing full sync would retry in a hot loop.
    const retryFailInterval = optionalPositiveNumber('retryFailInterval', options.retryFailInterval, DEFAULT_RETRY_FAIL_INTERVAL_MS);
    const syncTimeout = optionalPositiveNumber('syncTimeout', options.syncTimeout);
    this.stopTimeout = nonNegativeNumber('stopTimeout', options.stopTimeout, DEFAULT_STOP_TIMEOUT_MS);
    const random = fn<() => number>('random', options.random, Math.random);
    const clock = options.clock === undefined ? systemClock : checkClock('clock', options.clock);
    this.clock = clock;
    this.env = new SyncerEnv(
      { interval, serverUpInterval, retryFailInterval, syncTimeout, clusterSize, random, clock },
      state,
      this,
      () => this.logger(),
    );
    this.inspect = options.inspect;
    this.baseLogger = options.logger;
    this.syncFull = new Trigger<SyncKind>(this, 'syncFull');
    this.syncChanges = new Trigger<SyncKind>(this, 'syncChanges');
  }

  /** The xstate actor, for subscribe/inspection. Undefined before start(). */
  get actor(): SyncActor | undefined {
    return this.actorRef;
  }

  /** The top-level state; `'fullSync'` before start(), `'done'` after stop(). */
  get state(): StateSyncerStateName {
    if (this.stopping) return 'done';
    const actor = this.actorRef;
    if (!actor) return 'fullSync';
    return topLevel(actor.getSnapshot().value);
  }

  get paused(): boolean {
    return this.pauseCount > 0;
  }

  /** Starts syncing: enters fullSync and calls syncFull at once. Throws StoppedError after stop(). */
  start(): this {
    if (this.stopping) throw new StoppedError('StateSyncer was stopped and cannot be started again');
    if (this.actorRef) return this;
    const actor = createHostedActor(stateSyncerMachine, {
      input: {
        env: this.env,
        paused: this.pauseCount,
        fullSyncPending: this.fullPendingBeforeStart,
        changesPending: this.changesPendingBeforeStart,
      },
      clock: this.clock,
      inspect: this.inspect,
    });
    this.actorRef = actor;
    actor.on('*', (emitted) => this.onEmitted(emitted));
    actor.subscribe({
      next: (snapshot) => this.onSnapshot(snapshot.value),
      error: (err) => this.logger().error({ err }, 'state syncer machine failed'),
    });
    actor.start();
    return this;
  }

  /**
   * Stops syncing from any state: aborts the in-flight sync and resolves once it has
   * settled (or after `stopTimeout`). Safe before start() and when repeated; never rejects.
   */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    const actor = this.actorRef;
    if (actor) actor.send({ type: 'STOP' });
    this.stopping = this.env.runner.settle(this.stopTimeout).then((settled) => {
      if (!settled) {
        this.logger().warn(
          { stopTimeoutMs: this.stopTimeout },
          'sync ignored its abort signal; abandoned after stopTimeout, its result will be ignored',
        );
      }
      this.flush(this.resumeWaiters);
    });
    return this.stopping;
  }

  /**
   * Pauses syncing (counted: every pause needs a resume). The count goes up at once;
   * the promise resolves when no sync is in flight.
   */
  pause(): Promise<void> {
    this.pauseCount++;
    this.send({ type: 'PAUSE' });
    return this.env.runner.whenIdle();
  }

  /**
   * Ends one pause. Returns true when this call ended the pause; that call also
   * triggers SyncChanges, and SyncFull if a full sync was skipped while paused.
   * Throws NotPausedError when there is no pause to end (nothing changes then).
   */
  resume(): boolean {
    if (this.pauseCount === 0) throw new NotPausedError('unbalanced StateSyncer.resume(): the syncer is not paused');
    this.pauseCount--;
    const ended = this.pauseCount === 0;
    if (this.actorRef && !this.stopping) {
      this.actorRef.send({ type: 'RESUME' });
      if (ended && this.fullSkippedInRunner) {
        this.fullSkippedInRunner = false;
        this.actorRef.send({ type: 'SYNC_FULL' });
      }
    } else if (ended && !this.stopping) this.changesPendingBeforeStart = true;
    if (ended) this.flush(this.resumeWaiters);
    return ended;
  }

  /** A promise that resolves when the current pause ends (or the syncer stops); undefined when not paused. */
  waitResume(): Promise<void> | undefined {
    if (this.pauseCount === 0) return undefined;
    return new Promise((resolve) => (this.resumeWaiters ??= []).push(resolve));
  }

  /** Counts of syncs and failures so far (a copy). */
  stats(): SyncStats {
    return { ...this.counters };
  }

  // --- TriggerTarget -----------------------------------------------------------

  /** @internal Trigger plumbing. */
  fire(kind: SyncKind): void {
    if (this.stopping) return;
    if (this.actorRef) {
      this.actorRef.send({ type: kind === 'syncFull' ? 'SYNC_FULL' : 'SYNC_CHANGES' });
    } else if (kind === 'syncFull') {
      this.fullPendingBeforeStart = true;
    } else {
      this.changesPendingBeforeStart = true;
    }
  }

  /** @internal Trigger plumbing. */
  isPending(kind: SyncKind): boolean {
    if (this.stopping) return false;
    const actor = this.actorRef;
    if (!actor) return kind === 'syncFull' ? this.fullPendingBeforeStart : this.changesPendingBeforeStart;
    const context = actor.getSnapshot().context;
    return kind === 'syncFull' ? context.fullSyncPending : context.changesPending;
  }

  // --- internals ---------------------------------------------------------------

  private send(event: { type: 'PAUSE' | 'RESUME' }): void {
    if (this.actorRef && !this.stopping) this.actorRef.send(event);
  }

  protected override listenerFailed(event: keyof StateSyncerEvents, err: unknown): void {
    this.logger().error({ err, event }, 'state syncer listener threw');
  }

  private logger(): Logger {
    return (this.log ??= componentLogger(this.baseLogger, 'stateSyncer'));
  }

  private now(): number {
    return this.env.now();
  }

  private flush(waiters: (() => void)[] | undefined): void {
    if (!waiters || waiters.length === 0) return;
    const pending = waiters.splice(0);
    for (const resolve of pending) resolve();
  }

  private onEmitted(emitted: StateSyncerEmitted): void {
    const c = this.counters;
    switch (emitted.type) {
      case 'fullSync.started':
      case 'syncChanges.started':
        return;
      case 'fullSync.done':
        c.fullSyncs++;
        this.succeeded();
        this.emit('fullSync', { durationMs: this.now() - this.env.syncStartedAt });
        return;
      case 'syncChanges.done':
        c.partialSyncs++;
        this.succeeded();
        this.emit('syncChanges', { durationMs: this.now() - this.env.syncStartedAt });
        return;
      case 'fullSync.failed':
        if (isSyncSkippedError(emitted.error)) {
          // Paused while queued behind an earlier sync: a skip, and the resume re-triggers it.
          c.fullSyncsSkipped++;
          this.fullSkippedInRunner = true;
          this.emit('fullSyncSkipped', { reason: 'paused' });
          return;
        }
        c.fullSyncFailures++;
        this.failed(emitted.error);
        this.logger().error({ err: emitted.error }, 'full sync failed; will retry');
        this.emit('fullSyncFailed', this.failure(emitted.error));
        return;
      case 'syncChanges.failed':
        // Skipped while paused: the resume that ends the pause triggers SyncChanges anyway.
        if (isSyncSkippedError(emitted.error)) return;
        c.partialSyncFailures++;
        this.failed(emitted.error);
        this.logger().error({ err: emitted.error }, 'partial sync failed');
        this.emit('syncChangesFailed', this.failure(emitted.error));
        return;
      case 'fullSync.skipped':
        c.fullSyncsSkipped++;
        this.emit('fullSyncSkipped', { reason: 'paused' });
        return;
      case 'syncChanges.skipped':
        return;
    }
  }

  private succeeded(): void {
    this.counters.consecutiveFailures = 0;
    this.counters.lastSuccessAt = this.now();
  }

  private failed(error: unknown): void {
    this.counters.consecutiveFailures++;
    this.counters.lastError = error;
  }

  private failure(error: unknown) {
    return {
      error,
      durationMs: this.now() - this.env.syncStartedAt,
      consecutiveFailures: this.counters.consecutiveFailures,
    };
  }

  private onSnapshot(value: unknown): void {
    const path = statePath(value);
    if (path === this.lastPath) return;
    const from = this.lastPath;
    this.lastPath = path;
    this.emit('transition', { from: topLevel(from), to: topLevel(path), path });
  }
}

/** 'partialSync.idle' for { partialSync: 'idle' }. */
export function statePath(value: unknown): string {
  if (typeof value === 'string') return value;
  const parts: string[] = [];
  let v: unknown = value;
  for (let depth = 0; depth < 8 && v && typeof v === 'object'; depth++) {
    const key = Object.keys(v)[0];
    if (key === undefined) break;
    parts.push(key);
    v = (v as Record<string, unknown>)[key];
  }
  if (typeof v === 'string') parts.push(v);
  return parts.join('.');
}

function topLevel(value: unknown): StateSyncerStateName {
  const path = typeof value === 'string' ? value : statePath(value);
  const dot = path.indexOf('.');
  return (dot < 0 ? path : path.slice(0, dot)) as StateSyncerStateName;
}
