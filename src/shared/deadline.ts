// A deadline on the injected clock, as an AbortSignal. Three places bound work this
// way — a sync (syncTimeout), a ping (pingTimeout) and a catalog call (callTimeout):
// the work gets a signal that aborts when any parent signal aborts (stop, the caller)
// or when the time is up, whichever comes first. AbortSignal.timeout() would use real
// time, which tests and the simulator cannot drive.
import type { Clock } from './clock.js';

export interface Deadline {
  /** Aborts with the first parent's reason, or with the timeout error when time is up. */
  readonly signal: AbortSignal;
  /** Settles `false` when the deadline aborts: lets a caller stop waiting on work that ignores its signal. */
  readonly abandoned: Promise<false>;
  /** True when the signal aborted because time ran out (not because a parent aborted). */
  timedOut(): boolean;
  /** Clears the timer and the parent listeners. Call it once the work has settled. */
  dispose(): void;
}

export function deadline(
  clock: Clock,
  ms: number,
  timeoutError: () => Error,
  ...parents: (AbortSignal | undefined)[]
): Deadline {
  const controller = new AbortController();
  let expired = false;
  let giveUp: (value: false) => void = () => undefined;
  const abandoned = new Promise<false>((resolve) => (giveUp = resolve));
  let timer: unknown;
  const abort = (reason: unknown): void => {
    if (controller.signal.aborted) return;
    // Nothing of this deadline stays scheduled once it has fired for any reason.
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    controller.abort(reason);
    giveUp(false);
  };
  const listeners: [AbortSignal, () => void][] = [];
  for (const parent of parents) {
    if (!parent) continue;
    if (parent.aborted) {
      abort(parent.reason);
      break;
    }
    const onAbort = (): void => abort(parent.reason);
    parent.addEventListener('abort', onAbort, { once: true });
    listeners.push([parent, onAbort]);
  }
  if (!controller.signal.aborted) {
    timer = clock.setTimeout(() => {
      timer = undefined;
      expired = true;
      abort(timeoutError());
    }, ms);
  }
  return {
    signal: controller.signal,
    abandoned,
    timedOut: () => expired,
    dispose() {
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      for (const [parent, onAbort] of listeners) parent.removeEventListener('abort', onAbort);
      listeners.length = 0;
    },
  };
}
