// A small typed event emitter. Listener errors are caught and handed to
// `listenerFailed` so one bad listener cannot break the emitting component.
// Lean on purpose: no allocation until the first listener is added, because
// simulations hold 100,000 syncers and managers that mostly have none.

export type Listener<A> = (arg: A) => void;

/**
 * An event map: event names to payload types. Written as a mapped constraint rather
 * than `Record<string, unknown>` so that interfaces qualify *without* an index
 * signature: `keyof Events` stays the exact set of names, and `on('typo', …)` is a
 * compile error.
 */
export type EventMap<Events> = { [K in keyof Events]: unknown };

export class TypedEmitter<Events extends EventMap<Events>> {
  private listeners: Map<keyof Events, Set<Listener<never>>> | undefined;

  /** `onListenerError`, if given, receives listener errors (else override `listenerFailed`). */
  constructor(private readonly onListenerError?: (event: keyof Events, err: unknown) => void) {}

  /** Adds `listener` for `event`; returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    this.listeners ??= new Map();
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => this.off(event, listener);
  }

  /** Removes `listener` from `event` (a no-op when it is not registered). */
  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    this.listeners?.get(event)?.delete(listener);
  }

  /** Adds `listener` for the next `event` only; returns a function that removes it before then. */
  once<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    const wrapper: Listener<Events[K]> = (arg) => {
      off();
      listener(arg);
    };
    const off = this.on(event, wrapper);
    return off;
  }

  /** True when someone listens to `event` (lets hot paths skip building the payload). */
  protected hasListeners(event: keyof Events): boolean {
    const set = this.listeners?.get(event);
    return set !== undefined && set.size > 0;
  }

  protected emit<K extends keyof Events>(event: K, arg: Events[K]): void {
    const set = this.listeners?.get(event);
    if (!set || set.size === 0) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<Events[K]>)(arg);
      } catch (err) {
        this.listenerFailed(event, err);
      }
    }
  }

  /** Called when a listener throws. Subclasses log it; the default drops it. */
  protected listenerFailed(event: keyof Events, err: unknown): void {
    this.onListenerError?.(event, err);
  }
}
