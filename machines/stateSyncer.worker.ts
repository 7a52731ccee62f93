// The state syncer machine's one long-lived worker: it receives RUN requests, calls
// the environment's sync methods with an AbortSignal and answers with the request's id.
import { fromCallback } from 'xstate';
import type { StateSyncerEnv, SyncWorkerAnswer, SyncWorkerEvent } from './stateSyncer.types.js';

/**
 * The machine's one long-lived worker, invoked at its root: on `RUN` it calls the
 * environment's `syncFull` or `syncChanges` and answers `SYNC_DONE` / `SYNC_FAILED`
 * with the request's id (`SYNC_SKIPPED` when the environment skipped it). Every call gets the same signal, which aborts when the worker
 * stops — when the machine leaves its syncing state, which only `STOP` does (it ends
 * the machine). One AbortController per worker, not per call: creating one costs
 * Node several microseconds; a caller's listeners on the signal outlive its call unless
 * it removes them (StateSyncer's runtime does). Replace the worker with
 * `machine.provide({ actors: { syncWorker } })`.
 */
/**
 * What an environment's sync method returns (or resolves to) when it did not run the
 * sync because the syncer was paused meanwhile: the worker answers `SYNC_SKIPPED`.
 */
export const SYNC_SKIPPED = Symbol('ae-sync.syncSkipped');

export const syncWorker = fromCallback<SyncWorkerEvent, StateSyncerEnv>(({ input: env, receive, sendBack }) => {
  const controller = new AbortController();
  receive((event) => {
    if (event.type !== 'RUN') return;
    const { id } = event;
    let result: unknown;
    try {
      result = env[event.kind](controller.signal);
    } catch (error) {
      sendBack({ type: 'SYNC_FAILED', id, error });
      return;
    }
    if (!isThenable(result)) {
      sendBack(answer(id, result));
      return;
    }
    // Promise.resolve: a thenable whose `then` throws becomes a failed sync, not a dead
    // worker. xstate drops what a stopped worker sends back, and a stopped machine what it receives.
    Promise.resolve(result).then(
      (value) => sendBack(answer(id, value)),
      (error: unknown) => sendBack({ type: 'SYNC_FAILED', id, error }),
    );
  });
  return () => controller.abort();
});

function answer(id: number, value: unknown): SyncWorkerAnswer {
  return value === SYNC_SKIPPED ? { type: 'SYNC_SKIPPED', id } : { type: 'SYNC_DONE', id };
}

/** True for a promise or any object with a `then` method (the runtime checks results the same way). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
