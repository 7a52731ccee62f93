// The rebalancer machine's one long-lived worker: it receives RUN requests, runs the
// environment's rebalance with an AbortSignal and answers with the run's id.
import { fromCallback } from 'xstate';
import type { RebalancerEnv, RebalanceWorkerEvent } from './rebalancer.types.js';

/**
 * The default worker: runs `env.run(signal)` for each `RUN` and answers with the run's
 * id. One AbortController serves every run until an `ABORT` (or the worker's stop)
 * aborts it: only `STOP` aborts, so a controller per rebalance would be garbage.
 */
export const rebalanceWorker = fromCallback<RebalanceWorkerEvent, RebalancerEnv>(({ input: env, receive, sendBack }) => {
  let controller: AbortController | undefined;
  let current = -1;
  receive((event) => {
    if (event.type === 'ABORT') {
      if (event.id === current) {
        controller?.abort();
        controller = undefined;
      }
      return;
    }
    const id = event.id;
    current = id;
    const signal = (controller ??= new AbortController()).signal;
    let work: Promise<void>;
    try {
      work = Promise.resolve(env.run(signal));
    } catch (error) {
      work = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    work.then(
      () => sendBack({ type: 'REBALANCE_DONE', id }),
      (error: unknown) => sendBack({ type: 'REBALANCE_FAILED', id, error }),
    );
  });
  return () => controller?.abort();
});
