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
