// One remote call of the registry: through the server manager (which picks the server
// and rotates a failing one away), bounded by `callTimeout` on the clock even when the
// backend ignores its AbortSignal, and by the caller's and the manager's signals.
import type { CatalogBackend, CatalogClient } from './backend.js';
import type { Server } from '../servers/types.js';
import type { Clock } from '../shared/clock.js';
import { abortReason, attempt, raceAbort } from '../shared/abort.js';
import { deadline } from '../shared/deadline.js';
import { TimeoutError } from '../shared/errors.js';
import type { ServerCaller } from './registryOptions.js';

export type RemoteCall<T> = (client: CatalogClient, server: Server, signal: AbortSignal) => Promise<T>;

export interface RemoteCaller {
  servers: ServerCaller;
  backend: CatalogBackend;
  clock: Clock;
  callTimeoutMs: number;
}

/**
 * Runs `call` on the manager's chosen server. The call is raced against its deadline: a
 * backend that never settles (and ignores its signal) costs `callTimeout`, fails as a
 * TimeoutError held against that server, and can no longer hold the sync that made it.
 * `outer` is passed to the manager too, so a call cut short by the caller (stop, the
 * syncer's timeout) is not held against the server. `timeoutMs` (default `callTimeout`)
 * is what is left of the deadline when the call is a retry (retryCall.ts).
 */
export function callRemote<T>(r: RemoteCaller, outer: AbortSignal, call: RemoteCall<T>, timeoutMs = r.callTimeoutMs): Promise<T> {
  return r.servers.call(
    async (server, managerSignal) => {
      if (outer.aborted) throw abortReason(outer);
      const limit = deadline(r.clock, timeoutMs, () => new TimeoutError(`call to server ${server.name} timed out after ${timeoutMs} ms`), outer, managerSignal);
      try {
        return await raceAbort(
          attempt(() => call(r.backend.client(server), server, limit.signal)),
          limit.signal,
        );
      } catch (err) {
        // A call that rejected on its own after the deadline still reports why it was cut short.
        throw limit.signal.aborted ? abortReason(limit.signal) : err;
      } finally {
        limit.dispose();
      }
    },
    { signal: outer },
  );
}
