// Calls the user's SyncState for the syncer's machine, safely: never two calls in
// flight, an optional timeout that aborts a call and fails it, and a bounded wait
// for the last call when the syncer stops. "In flight" means the promise the user's
// method returned has not settled, whatever the machine has moved on to.
import { sleep, type Clock } from '../shared/clock.js';
import { deadline } from '../shared/deadline.js';
import { raceAbort } from '../shared/abort.js';
import { AeSyncError, brandGuard, TimeoutError } from '../shared/errors.js';

/**
 * A sync that was invoked but never called because the syncer was paused while it
 * waited for an earlier call (one that outlived its timeout). Not a failure.
 */
export class SyncSkippedError extends AeSyncError {
  constructor(kind: SyncKind) {
    super('ERR_SYNC_SKIPPED', `${kind} skipped: the syncer was paused while it waited for an earlier sync`);
  }
}
export const isSyncSkippedError = brandGuard<SyncSkippedError>('ERR_SYNC_SKIPPED');

export type SyncKind = 'syncFull' | 'syncChanges';

/** The state an agent keeps in sync. Both methods receive an AbortSignal that fires on stop() or timeout. */
export interface SyncState {
  /** Reconciles everything: reads the remote state and writes what differs. */
  syncFull(signal: AbortSignal): Promise<unknown> | void;
  /** Pushes only what changed locally since the last sync. */
  syncChanges(signal: AbortSignal): Promise<unknown> | void;
}

/** What the runner asks of its owner. */
export interface SyncRunnerHost {
  /** Asked after waiting for an earlier call: a paused syncer must not start the queued one. */
  isPaused(): boolean;
  /** Told when a call must first wait for an earlier one that outlived its timeout. */
  waitingForPrevious(): void;
}

export class SyncRunner {
  private inFlight: Promise<void> | undefined;
  // Created on first use: most syncers never have anyone waiting.
  private idleWaiters: (() => void)[] | undefined;

  constructor(
    private readonly state: SyncState,
    private readonly clock: Clock,
    /** Abort and fail a call running longer than this (ms); undefined for no limit. */
    private readonly timeoutMs: number | undefined,
    private readonly host: SyncRunnerHost,
  ) {}

  /** True while a call's promise is unsettled. */
  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  /**
   * Runs `state[kind](signal)`. The fast path — no timeout to arm, nothing left
   * running — calls the user synchronously, inside the transition that asked.
   */
  run(kind: SyncKind, signal: AbortSignal): Promise<void> {
    if (this.timeoutMs === undefined && !this.inFlight) return this.call(kind, signal);
    return this.runBounded(kind, signal, this.timeoutMs);
  }

  /** Resolves when no call is in flight (at once if none is). */
  whenIdle(): Promise<void> {
    if (!this.inFlight) return Promise.resolve();
    return new Promise((resolve) => (this.idleWaiters ??= []).push(resolve));
  }

  /**
   * Waits up to `maxWaitMs` on the clock for the call in flight. Returns false when
   * it had to abandon a call that ignored its signal (its result no longer matters).
   */
  async settle(maxWaitMs: number): Promise<boolean> {
    const inFlight = this.inFlight;
    if (!inFlight) return true;
    const timer = sleep(this.clock, maxWaitMs);
    const finished = await Promise.race([inFlight.then(() => true), timer.promise.then(() => false)]);
    timer.cancel();
    if (!finished) this.becameIdle();
    return finished;
  }

  private async runBounded(kind: SyncKind, signal: AbortSignal, timeoutMs: number | undefined): Promise<void> {
    if (timeoutMs === undefined) {
      await this.waitPrevious(signal);
      return this.callUnlessPaused(kind, signal);
    }
    const limit = deadline(this.clock, timeoutMs, () => new TimeoutError(`${kind} did not finish within syncTimeout (${timeoutMs} ms)`), signal);
    // Rejects when time runs out; resolves when the invocation itself is aborted (stop), so
    // nothing waits on a sync that ignores its signal. Disposing clears the timer at once.
    const timeout = limit.abandoned.then(() => {
      if (limit.timedOut()) throw limit.signal.reason;
    });
    try {
      // The wait for an earlier call counts against this call's own timeout.
      if (this.inFlight) {
        await Promise.race([this.waitPrevious(limit.signal), timeout]);
        if (limit.signal.aborted) throw limit.signal.reason;
        await Promise.race([this.callUnlessPaused(kind, limit.signal), timeout]);
        return;
      }
      await Promise.race([this.call(kind, limit.signal), timeout]);
    } finally {
      limit.dispose();
    }
  }

  private async waitPrevious(signal: AbortSignal): Promise<void> {
    const previous = this.inFlight;
    if (!previous) return;
    this.host.waitingForPrevious();
    await raceAbort(previous, signal);
  }

  private callUnlessPaused(kind: SyncKind, signal: AbortSignal): Promise<void> {
    if (this.host.isPaused()) return Promise.reject(new SyncSkippedError(kind));
    return this.call(kind, signal);
  }

  private call(kind: SyncKind, signal: AbortSignal): Promise<void> {
    let result: Promise<void>;
    try {
      // Whatever the call resolves with (an RPC's reply, say) is not the syncer's business.
      result = Promise.resolve(this.state[kind](signal)).then(() => undefined);
    } catch (err) {
      // A method that throws instead of rejecting is a failed sync all the same.
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight = settled;
    void settled.then(() => {
      if (this.inFlight === settled) this.becameIdle();
    });
    return result;
  }

  private becameIdle(): void {
    this.inFlight = undefined;
    const waiters = this.idleWaiters;
    if (!waiters || waiters.length === 0) return;
    for (const resolve of waiters.splice(0)) resolve();
  }
}
