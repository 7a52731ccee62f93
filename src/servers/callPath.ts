// The RPC path: run the caller's function against the chosen server and feed the
// outcome to that server's health. Only the server's own failures count against it:
// a call cut short because the manager stopped or the caller aborted says nothing
// about the server, so it neither records a failure nor rotates a healthy server away.
// The accounting (callSucceeded, reportFailure) is what the simulator's engine runs too.
import { setMaxListeners } from 'node:events';
import { abortReason, attempt, raceAbort } from '../shared/abort.js';
import { NoServersError } from '../shared/errors.js';
import type { ServerEntry } from './health.js';
import type { Roster } from './roster.js';
import type { CallOptions, Server } from './types.js';

/** What a call needs from its manager. */
export interface CallContext {
  readonly roster: Roster;
  /** Aborts on the manager's stop(). */
  readonly lifetime: AbortSignal;
  /** The list is empty (rate-limited warning). */
  noServers(): void;
}

/**
 * The manager's lifetime signal: aborted by stop(). Every in-flight call listens to it
 * until it settles, so the listener count follows the number of concurrent calls;
 * Node's leak warning (more than 10) would be a false alarm here.
 */
export function lifetimeController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

/** A signal that aborts when either parent does (with its reason); `dispose` drops the listeners. */
function linkSignals(a: AbortSignal, b: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onA = (): void => controller.abort(a.reason);
  const onB = (): void => controller.abort(b.reason);
  if (a.aborted) onA();
  else if (b.aborted) onB();
  else {
    a.addEventListener('abort', onA, { once: true });
    b.addEventListener('abort', onB, { once: true });
  }
  return {
    signal: controller.signal,
    dispose() {
      a.removeEventListener('abort', onA);
      b.removeEventListener('abort', onB);
    },
  };
}

/** A call that succeeded: a success for the server (re-admitting a suspect or failed one), and the manager is online. */
export function callSucceeded(roster: Roster, entry: ServerEntry): void {
  roster.succeeded(entry, 'call');
  roster.setOffline(false);
}

/** A failed call: one more failure for the server, and it moves to the back of its group if it was the choice. */
export function reportFailure(roster: Roster, entry: ServerEntry): void {
  const wasChosen = roster.chosen === entry;
  roster.failed(entry, 'call');
  if (wasChosen && roster.size > 1) roster.rotate(entry.server.name);
}

/**
 * Runs `fn(server, signal)` against the chosen server. `signal` aborts on stop() and
 * when `options.signal` aborts; the call then rejects with that reason even if `fn`
 * ignores its signal. A success records a success (re-admitting a suspect or failed
 * server) and clears offline; a failure the server caused is reported (above).
 */
export function callServer<T>(ctx: CallContext, fn: (server: Server, signal: AbortSignal) => Promise<T> | T, options: CallOptions | undefined): Promise<T> {
  const caller = options?.signal;
  if (caller?.aborted) return Promise.reject(abortReason(caller));
  const roster = ctx.roster;
  const entry = roster.chosen;
  if (entry === undefined) {
    ctx.noServers();
    return Promise.reject(new NoServersError());
  }
  const link = caller === undefined ? undefined : linkSignals(ctx.lifetime, caller);
  const signal = link === undefined ? ctx.lifetime : link.signal;
  return raceAbort(
    attempt(() => fn(entry.server, signal)),
    signal,
  ).then(
    (value) => {
      link?.dispose();
      callSucceeded(roster, entry);
      return value;
    },
    (err: unknown) => {
      link?.dispose();
      // Cut short from outside (stop, the caller's abort): not the server's fault.
      if (!signal.aborted) reportFailure(roster, entry);
      throw err;
    },
  );
}
