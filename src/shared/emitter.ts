// A small typed event emitter. Listener errors are caught and handed to
// `listenerFailed` so one bad listener cannot break the emitting component.
// Lean on purpose: no allocation until the first listener is added, because
// simulations hold 100,000 syncers and managers that mostly have none.

export type Listener<A> = (arg: A) => void;

export class TypedEmitter<Events extends Record<string, unknown>> {
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

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    this.listeners?.get(event)?.delete(listener);
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
