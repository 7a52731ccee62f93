// Promise helpers over a StateSyncer's events, for code that must wait for a sync:
// each listens only while it waits, and removes every listener it added however it
// settles (success, the syncer stopping, or the caller's signal).
import { abortReason } from '../shared/abort.js';
import { StoppedError } from '../shared/errors.js';
import type { StateSyncer } from './stateSyncer.js';

export interface WaitOptions {
  /** Stops the wait: the promise rejects with the signal's reason. E.g. `AbortSignal.timeout(30_000)`. */
  signal?: AbortSignal;
}

/**
 * Waits on `syncer` until `done()` holds, checked now and after every sync it finishes
 * (full or partial, success or failure). Rejects with a `StoppedError` once the syncer
 * is stopped (by `stop()` or by itself), and with the signal's reason when it aborts.
 */
export function waitOnSyncer(syncer: StateSyncer, done: () => boolean, options: WaitOptions = {}): Promise<void> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  if (done()) return Promise.resolve();
  if (syncer.state === 'done') return Promise.reject(new StoppedError('the syncer is stopped: it will not sync again'));
  return new Promise<void>((resolve, reject) => {
    const offs: (() => void)[] = [];
    const settle = (error?: Error): void => {
      for (const off of offs.splice(0)) off();
      signal?.removeEventListener('abort', onAbort);
      if (error === undefined) resolve();
      else reject(error);
    };
    const check = (): void => {
      if (done()) settle();
    };
    const onAbort = (): void => settle(abortReason(signal as AbortSignal));
    offs.push(
      syncer.on('fullSync', check),
      syncer.on('syncChanges', check),
      syncer.on('fullSyncFailed', check),
      syncer.on('syncChangesFailed', check),
      syncer.on('transition', (t) => {
        if (t.to === 'done') settle(new StoppedError('the syncer stopped before the wait was over'));
      }),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Resolves once `syncer` has completed a full sync successfully — at once if one
 * already has. Failed full syncs do not end the wait (the syncer retries them; listen
 * to `'fullSyncFailed'` to say why); stopping does, with a `StoppedError`.
 */
export function whenSynced(syncer: StateSyncer, options?: WaitOptions): Promise<void> {
  return waitOnSyncer(syncer, () => syncer.stats().fullSyncs > 0, options);
}
