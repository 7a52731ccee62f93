// A deadline on the injected clock, as an AbortSignal. Three places bound work this
// way — a sync (syncTimeout), a ping (pingTimeout) and a catalog call (callTimeout):
// the work gets a signal that aborts when any parent signal aborts (stop, the caller)
// or when the time is up, whichever comes first. AbortSignal.timeout() would use real
// time, which tests and the simulator cannot drive.
import type { Clock } from './clock.js';
import { dropLeftListeners } from './leftListeners.js';

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

/**
 * Deadlines one after another under the same parents (a server manager's pings), sharing
 * one AbortController until one of them aborts: Node takes microseconds to create a
 * signal and link it to its parents, which a ping's deadline would otherwise pay every
 * time though it almost never fires. Each deadline still has its own timer, its own
 * `abandoned` and the same guarantees as {@link deadline}'s; what a settled piece of
 * work left on the shared signal (its 'abort' listeners, `onabort`) is removed by
 * `dispose()`, as if it had had a signal of its own. A deadline asked for while another
 * is in use (parallel pings) gets a {@link deadline} of its own.
 */
export class DeadlineSeries {
  readonly #clock: Clock;
  // Not aborted while kept; replaced after it aborts (timeout or parent).
  #controller: AbortController | undefined;
  #parentA: AbortSignal | undefined;
  #parentB: AbortSignal | undefined;
  #onParentA: (() => void) | undefined;
  #onParentB: (() => void) | undefined;
  // The deadline in use (0: none); its timer and how it gives up.
  #inUse = 0;
  #uses = 0;
  #timer: unknown;
  #giveUp: ((value: false) => void) | undefined;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** A deadline of `ms` on the clock under parents `a` and `b` (either may be undefined), like `deadline(clock, ms, timeoutError, a, b)`. */
  next(ms: number, timeoutError: () => Error, a: AbortSignal | undefined, b: AbortSignal | undefined): Deadline {
    if (this.#inUse !== 0) return deadline(this.#clock, ms, timeoutError, a, b);
    const controller = this.#controllerFor(a, b);
    const use = ++this.#uses;
    this.#inUse = use;
    let expired = false;
    const abandoned = new Promise<false>((resolve) => (this.#giveUp = resolve));
    if (controller.signal.aborted) {
      // A parent had already aborted: the deadline starts aborted, with no timer.
      this.#giveUp?.(false);
    } else {
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = undefined;
        expired = true;
        this.#abort(timeoutError());
      }, ms);
    }
    return {
      signal: controller.signal,
      abandoned,
      timedOut: () => expired,
      dispose: () => {
        if (this.#inUse === use) this.#release();
      },
    };
  }

  #controllerFor(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortController {
    const kept = this.#controller;
    if (kept !== undefined && !kept.signal.aborted && this.#parentA === a && this.#parentB === b) return kept;
    this.#unlink();
    const controller = new AbortController();
    this.#controller = controller;
    this.#parentA = a;
    this.#parentB = b;
    // As deadline(): the first parent found aborted decides the reason.
    if (a?.aborted) controller.abort(a.reason);
    else if (b?.aborted) controller.abort(b.reason);
    else {
      if (a) a.addEventListener('abort', (this.#onParentA = () => this.#abort(a.reason)), { once: true });
      if (b) b.addEventListener('abort', (this.#onParentB = () => this.#abort(b.reason)), { once: true });
    }
    return controller;
  }

  #abort(reason: unknown): void {
    const controller = this.#controller;
    if (controller === undefined || controller.signal.aborted) return;
    // Nothing of this deadline stays scheduled once it has fired for any reason.
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    controller.abort(reason);
    this.#giveUp?.(false);
  }

  /** The work settled: clear the timer; keep the signal for the next deadline, or drop it if it aborted. */
  #release(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#inUse = 0;
    this.#giveUp = undefined;
    const controller = this.#controller;
    if (controller === undefined) return;
    if (controller.signal.aborted) this.#unlink();
    else dropLeftListeners(controller.signal);
  }

  #unlink(): void {
    if (this.#onParentA) this.#parentA?.removeEventListener('abort', this.#onParentA);
    if (this.#onParentB) this.#parentB?.removeEventListener('abort', this.#onParentB);
    this.#onParentA = this.#onParentB = undefined;
    this.#parentA = this.#parentB = undefined;
    this.#controller = undefined;
  }
}
