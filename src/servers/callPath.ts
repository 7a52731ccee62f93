// The RPC path: run the caller's function against the chosen server and feed the
// outcome to that server's health. Only the server's own failures count against it:
// a call cut short because the manager stopped or the caller aborted says nothing
// about the server, so it neither records a failure nor rotates a healthy server away.
// The accounting (callSucceeded, reportFailure) is what the simulator's engine runs too.
import { setMaxListeners } from 'node:events';
import { abortReason, attempt, RacingAbortController } from '../shared/abort.js';
import { NoServersError } from '../shared/errors.js';
import type { ServerEntry } from './health.js';
import type { Roster } from './roster.js';
import type { CallOptions, Server } from './types.js';

/** What a call needs from its manager. */
export interface CallContext {
  readonly roster: Roster;
  /** The manager's lifetime: its signal aborts on stop(), which then cuts off the calls it races. */
  readonly lifetimeController: RacingAbortController;
  /** The list is empty (rate-limited warning). */
  noServers(): void;
}

/**
 * The manager's lifetime: its signal is aborted by stop(), which then cuts off the calls
 * it races. Every in-flight call with a signal of its own, ping and discovery poll
 * listens to the signal until it settles, so the listener count follows the work in
 * flight; Node's leak warning (more than 10) would be a false alarm here.
 */
export function lifetimeController(): RacingAbortController {
  const controller = new RacingAbortController();
  setMaxListeners(0, controller.signal);
  return controller;
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

/** A call in flight: what the caller gets, and the signal `fn` got (aborted: cut short from outside). */
interface Running<T> {
  readonly promise: Promise<T>;
  readonly signal: AbortSignal;
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
  const server = entry.server;
  const lifetime = ctx.lifetimeController;
  const running: Running<T> =
    caller === undefined
      ? // The common case adds no listener: stop() cuts off what the lifetime races.
        { promise: lifetime.race(attempt(() => fn(server, lifetime.signal))), signal: lifetime.signal }
      : linkedCall(lifetime.signal, caller, (signal) => fn(server, signal));
  return running.promise.then(
    (value) => {
      callSucceeded(roster, entry);
      return value;
    },
    (err: unknown) => {
      // Cut short from outside (stop, the caller's abort): not the server's fault.
      if (!running.signal.aborted) reportFailure(roster, entry);
      throw err;
    },
  );
}

/**
 * Runs `run` with a signal that aborts when `lifetime` or `caller` does, with its reason;
 * the call rejects with that reason at that moment — after the signal's own listeners
 * (`run`'s) have run — even if `run`'s promise never settles. The two listeners on the
 * parents are the call's only ones, and both go when it settles or is cut off.
 */
function linkedCall<T>(lifetime: AbortSignal, caller: AbortSignal, run: (signal: AbortSignal) => Promise<T> | T): Running<T> {
  const controller = new AbortController();
  const signal = controller.signal;
  let cut: ((err: Error) => void) | undefined;
  const dispose = (): void => {
    lifetime.removeEventListener('abort', onLifetime);
    caller.removeEventListener('abort', onCaller);
  };
  const follow = (parent: AbortSignal): void => {
    dispose();
    controller.abort(parent.reason);
    cut?.(abortReason(signal));
  };
  const onLifetime = (): void => follow(lifetime);
  const onCaller = (): void => follow(caller);
  if (lifetime.aborted) controller.abort(lifetime.reason);
  else {
    lifetime.addEventListener('abort', onLifetime, { once: true });
    caller.addEventListener('abort', onCaller, { once: true });
  }
  const work = attempt(() => run(signal));
  if (signal.aborted) {
    // Aborted before or while `run` ran (it may have stopped the manager itself).
    dispose();
    work.then(undefined, () => undefined);
    return { promise: Promise.reject(abortReason(signal)), signal };
  }
  const promise = new Promise<T>((resolve, reject) => {
    cut = reject;
    work.then(
      (value) => {
        dispose();
        resolve(value);
      },
      (err: unknown) => {
        dispose();
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
  return { promise, signal };
}
