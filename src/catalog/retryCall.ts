// A remote call of the registry tried again on another server, inside the same pass:
// reads that fail (a server dying mid-pass, one that cannot serve reads) and state
// changes whose error proves they never applied. The manager rotates the failed server
// away as for any call, so the retry goes to the next one. As Consul's client RPC
// (Consul agent/consul/client.go): a jittered wait of U(0, deadline / 16), and no retry
// that would start past the call's deadline.
import { abortReason } from '../shared/abort.js';
import { monotonicNow, sleep } from '../shared/clock.js';
import { callRemote, type RemoteCall, type RemoteCaller } from './remoteCall.js';
import { DEFAULT_READ_ATTEMPTS } from './registryOptions.js';

/**
 * The wait before a retry is drawn from U(0, callTimeout / RETRY_JITTER_FRACTION): 312 ms at
 * most with the default 5 s deadline — Consul's `RPCHoldTimeout / JitterFraction`. Short
 * enough that a retry fits the deadline many times over; random so that the agents whose
 * server died at the same moment do not all land on the next one together.
 */
export const RETRY_JITTER_FRACTION = 16;

/** Attempts per call by default, the first included: the registry's `readAttempts` default (see there). */
export const RETRY_ATTEMPTS = DEFAULT_READ_ATTEMPTS;

export interface RetryCaller extends RemoteCaller {
  /** Random source in [0, 1) for the jittered wait. */
  random: () => number;
}

/**
 * Runs `call` as callRemote does; when it fails with an error `mayRetry` accepts, waits a
 * jittered moment and runs it again on the manager's next server — at most `attempts`
 * times, and only while the wait ends before the deadline (`callTimeout` from the first
 * attempt; each retry gets what is left of it). Otherwise rejects with the last error.
 * `outer` aborting (stop, the syncer's timeout) ends it at once, with no further attempt.
 */
export async function callRetrying<T>(
  r: RetryCaller,
  outer: AbortSignal,
  call: RemoteCall<T>,
  mayRetry: (error: unknown) => boolean,
  attempts = RETRY_ATTEMPTS,
): Promise<T> {
  const deadlineAt = monotonicNow(r.clock) + r.callTimeoutMs;
  for (let attempt = 1; ; attempt++) {
    const leftMs = deadlineAt - monotonicNow(r.clock);
    try {
      return await callRemote(r, outer, call, attempt === 1 ? r.callTimeoutMs : leftMs);
    } catch (error) {
      if (outer.aborted || attempt >= attempts || !mayRetry(error)) throw error;
      const draw = r.random();
      const waitMs = Math.floor((Number.isFinite(draw) ? Math.min(Math.max(draw, 0), 1) : 0) * (r.callTimeoutMs / RETRY_JITTER_FRACTION));
      // A retry must have time left to run once its wait is over.
      if (monotonicNow(r.clock) + waitMs >= deadlineAt) throw error;
      await waitUnlessAborted(r, waitMs, outer);
    }
  }
}

/** Sleeps `ms` on the clock; rejects with the signal's reason as soon as `signal` aborts. */
async function waitUnlessAborted(r: RemoteCaller, ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return;
  const nap = sleep(r.clock, ms);
  const onAbort = (): void => nap.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await nap.promise;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (signal.aborted) throw abortReason(signal);
}
