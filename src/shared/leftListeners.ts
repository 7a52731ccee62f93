// Listeners left on a long-lived AbortSignal that several calls share, one after another:
// each call's 'abort' listeners must go when the call settles, as if it had had a signal
// of its own (one AbortController per call costs Node several microseconds). Finding
// them means a scan of the signal's listeners; the signal counts its additions, so the
// common case — a call that added none — skips the scan.
import { getEventListeners } from 'node:events';

const ADDED = Symbol('ae-sync.abortListenerAdded');

/** A signal whose `addEventListener` marks an 'abort' listener added (see {@link dropLeftListeners}). */
type Tracked = AbortSignal & { [ADDED]?: boolean };

/**
 * The signal's own `addEventListener`, shadowing the inherited one: marks that an 'abort'
 * listener may be left, then adds it as usual. One function for every tracked signal, so
 * tracking costs a signal two own properties and no closure.
 */
function trackedAdd(this: Tracked, type: string, listener: unknown, options?: unknown): void {
  if (type === 'abort') this[ADDED] = true;
  const inherited: unknown = Reflect.get(Object.getPrototypeOf(this) as object, 'addEventListener', this);
  Reflect.apply(inherited as (...args: unknown[]) => void, this, [type, listener, options]);
}

/** Starts counting `signal`'s 'abort' listeners; false when it cannot (a frozen or sealed signal). */
function track(signal: Tracked): boolean {
  if (!Object.isExtensible(signal)) return false;
  Object.defineProperty(signal, 'addEventListener', { value: trackedAdd, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(signal, ADDED, { value: false, writable: true, configurable: true, enumerable: false });
  return true;
}

/**
 * Removes every 'abort' listener and the `onabort` handler left on `signal` (no-op once it
 * aborted). The first call scans and starts counting; later calls scan only when a
 * listener was added since the previous one. A listener added by calling
 * `EventTarget.prototype.addEventListener` on the signal directly is not counted: it is
 * found by the next scan that something else causes.
 */
export function dropLeftListeners(signal: AbortSignal): void {
  if (signal.aborted) return;
  if (signal.onabort) signal.onabort = null;
  const tracked = signal as Tracked;
  const added = tracked[ADDED];
  if (added === false) return;
  if (added === undefined && !track(tracked)) {
    scan(signal);
    return;
  }
  tracked[ADDED] = false;
  scan(signal);
}

function scan(signal: AbortSignal): void {
  for (const left of getEventListeners(signal, 'abort')) {
    const listener = left as (event: Event) => void;
    signal.removeEventListener('abort', listener);
    signal.removeEventListener('abort', listener, { capture: true });
  }
}
