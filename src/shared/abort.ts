// Abort signals as promises: one home for turning an aborted signal into the
// error a caller sees, and for racing work against a signal so that work which
// ignores its signal can no longer hold its caller.

/** The reason `signal` aborted, as an Error (a non-Error reason becomes an `AbortError`). */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const err = new Error(typeof reason === 'string' ? reason : 'The operation was aborted');
  err.name = 'AbortError';
  return err;
}

/**
 * Settles like `work`, or rejects with the abort reason as soon as `signal` aborts,
 * whichever comes first. The listener is removed when `work` settles, so a long-lived
 * signal collects no listeners. `work`'s late outcome is ignored (and never unhandled).
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.then(undefined, () => undefined);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** Calls `fn` and returns its result as a promise; a synchronous throw becomes a rejection. */
export function attempt<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

/**
 * An AbortController that races work against its own signal with no listener at all
 * (raceAbort adds and removes one per piece): `race(work)` settles like `work`, or
 * rejects with the abort reason when `abort()` is called — after the signal's listeners
 * have run, as they would before any raced piece's. A settled piece is forgotten at once,
 * so nothing piles up over a long life. Only this object's `abort()` cuts the pieces off.
 */
export class RacingAbortController {
  readonly #controller = new AbortController();
  // The reject of each piece still running, so abort() can cut it off.
  readonly #running = new Set<(err: Error) => void>();

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Pieces of work still running (neither settled nor cut off). */
  get running(): number {
    return this.#running.size;
  }

  /** Aborts the signal, then rejects every piece still running with `abortReason(signal)`. */
  abort(reason?: unknown): void {
    const signal = this.#controller.signal;
    if (signal.aborted) return;
    this.#controller.abort(reason);
    // A rejection only queues its reactions: nothing re-enters the set while this runs.
    for (const reject of this.#running) reject(abortReason(signal));
    this.#running.clear();
  }

  /** Like `raceAbort(work, this.signal)`. `work`'s late outcome is ignored (and never unhandled). */
  race<T>(work: Promise<T>): Promise<T> {
    const signal = this.#controller.signal;
    if (signal.aborted) {
      work.then(undefined, () => undefined);
      return Promise.reject(abortReason(signal));
    }
    const running = this.#running;
    return new Promise<T>((resolve, reject) => {
      running.add(reject);
      work.then(
        (value) => {
          running.delete(reject);
          resolve(value);
        },
        (err: unknown) => {
          running.delete(reject);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }
}
