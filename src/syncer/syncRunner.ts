// Calls the user's SyncState for the syncer's worker, safely: never two calls in
// flight, an optional timeout that aborts a call and fails it, and a bounded wait
// for the last call when the syncer stops. "In flight" starts before the user's
// method is called (a stop() or pause() from inside it must wait for it) and ends
// when the promise it returned settles, whatever the machine has moved on to.
import { sleep, type Clock } from '../shared/clock.js';
import { deadline } from '../shared/deadline.js';
import { raceAbort } from '../shared/abort.js';
import { TimeoutError } from '../shared/errors.js';
import { isThenable, SYNC_SKIPPED } from '../../machines/stateSyncer.worker.js';
import { addWaiter, flushWaiters, type Waiters } from '../shared/waiters.js';
import { dropLeftListeners } from '../shared/leftListeners.js';

import type { SyncKind } from '../../machines/stateSyncer.types.js';

export type { SyncKind };

/**
 * The state an agent keeps in sync. Both methods receive an AbortSignal that fires on
 * stop() or, with `syncTimeout`, when the call runs too long. Without `syncTimeout`
 * every call gets the same signal (it aborts only on stop); a listener added to it
 * lives as long as the call that added it.
 */
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
  // Number of the call in flight (0: none). A number, not a promise: the fast path allocates nothing to track it.
  #current = 0;
  #calls = 0;
  // Created on first use: most syncers never have anyone waiting.
  #idleWaiters: Waiters;
  readonly #state: SyncState;
  readonly #clock: Clock;
  readonly #timeoutMs: number | undefined;
  readonly #host: SyncRunnerHost;

  /** `timeoutMs`: abort and fail a call running longer than this (ms); undefined for no limit. */
  constructor(state: SyncState, clock: Clock, timeoutMs: number | undefined, host: SyncRunnerHost) {
    this.#state = state;
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
    this.#host = host;
  }

  /**
   * Runs `state[kind](signal)`. The fast path — no timeout to arm, nothing left
   * running — calls the user synchronously, inside the transition that asked, and
   * returns what it returned when that is not a promise (the worker then answers at once).
   */
  run(kind: SyncKind, signal: AbortSignal): Promise<void | typeof SYNC_SKIPPED> | void {
    if (this.#timeoutMs === undefined && this.#current === 0) return this.#call(kind, signal);
    return this.#runBounded(kind, signal, this.#timeoutMs);
  }

  /** Resolves when no call is in flight (at once if none is). */
  whenIdle(): Promise<void> {
    if (this.#current === 0) return Promise.resolve();
    return addWaiter((this.#idleWaiters ??= []));
  }

  /**
   * Waits up to `maxWaitMs` on the clock for the call in flight. Returns false when
   * it had to abandon a call that ignored its signal (its result no longer matters).
   */
  async settle(maxWaitMs: number): Promise<boolean> {
    if (this.#current === 0) return true;
    const timer = sleep(this.#clock, maxWaitMs);
    const finished = await Promise.race([this.whenIdle().then(() => true), timer.promise.then(() => false)]);
    timer.cancel();
    if (!finished) this.#becameIdle();
    return finished;
  }

  async #runBounded(kind: SyncKind, signal: AbortSignal, timeoutMs: number | undefined): Promise<void | typeof SYNC_SKIPPED> {
    if (timeoutMs === undefined) {
      await this.#waitPrevious(signal);
      return this.#callUnlessPaused(kind, signal);
    }
    const limit = deadline(this.#clock, timeoutMs, () => new TimeoutError(`${kind} did not finish within syncTimeout (${timeoutMs} ms)`), signal);
    // Rejects when time runs out; resolves when the request itself is aborted (stop), so
    // nothing waits on a sync that ignores its signal. Disposing clears the timer at once.
    const timeout = limit.abandoned.then(() => {
      if (limit.timedOut()) throw limit.signal.reason;
    });
    try {
      // The wait for an earlier call counts against this call's own timeout.
      if (this.#current !== 0) {
        await Promise.race([this.#waitPrevious(limit.signal), timeout]);
        if (limit.signal.aborted) throw limit.signal.reason;
        const skipped = this.#host.isPaused();
        await Promise.race([skipped ? undefined : this.#call(kind, limit.signal), timeout]);
        return skipped ? SYNC_SKIPPED : undefined;
      }
      await Promise.race([this.#call(kind, limit.signal), timeout]);
    } finally {
      limit.dispose();
    }
  }

  async #waitPrevious(signal: AbortSignal): Promise<void> {
    if (this.#current === 0) return;
    this.#host.waitingForPrevious();
    await raceAbort(this.whenIdle(), signal);
  }

  // A paused syncer must not start a call that waited for an earlier one: it answers SYNC_SKIPPED.
  #callUnlessPaused(kind: SyncKind, signal: AbortSignal): Promise<void> | typeof SYNC_SKIPPED | void {
    if (this.#host.isPaused()) return SYNC_SKIPPED;
    return this.#call(kind, signal);
  }

  #call(kind: SyncKind, signal: AbortSignal): Promise<void> | void {
    const call = ++this.#calls;
    // In flight before the user's code runs: a stop() or pause() it makes waits for it.
    this.#current = call;
    let result: unknown;
    try {
      result = this.#state[kind](signal);
    } catch (err) {
      // A method that throws instead of rejecting is a failed sync all the same.
      this.#settled(call, signal);
      throw err instanceof Error ? err : new Error(String(err));
    }
    if (!isThenable(result)) {
      this.#settled(call, signal);
      return;
    }
    // Whatever the call resolves with (an RPC's reply, say) is not the syncer's business.
    return Promise.resolve(result).then(
      () => this.#settled(call, signal),
      (err: unknown) => {
        this.#settled(call, signal);
        throw err instanceof Error ? err : new Error(String(err));
      },
    );
  }

  #settled(call: number, signal: AbortSignal): void {
    // Without a timeout the signal is the worker's, shared by every call of this syncer:
    // a listener lives as long as the call that added it, as if each call had a signal of
    // its own — what a settled call left would pile up over the syncer's life (and fire on
    // a stop long after its call ended). Scanned only when a listener was added.
    if (this.#timeoutMs === undefined) dropLeftListeners(signal);
    // A call abandoned by settle() may settle long after: it no longer counts.
    if (this.#current === call) this.#becameIdle();
  }

  #becameIdle(): void {
    this.#current = 0;
    flushWaiters(this.#idleWaiters);
  }
}
