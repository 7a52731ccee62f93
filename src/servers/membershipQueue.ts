// A FIFO of membership events applied asynchronously, after the caller returns,
// so a watcher that fires a burst never runs list changes inline. A burst can
// therefore build a backlog; past a threshold the queue reports it once per
// crossing (Consul warned when more than 200 serf events were queued).

/**
 * Backlog size above which the queue warns. Consul's value: a healthy agent
 * drains membership events far faster than they arrive, so 200 waiting means
 * something (a slow listener, a flapping cluster) is holding the drain up.
 */
export const MEMBERSHIP_BACKLOG_WARN = 200;

export interface MembershipQueueOptions<T> {
  /** Applies one event. Errors it throws are handed to `onError`; the drain goes on. */
  apply: (item: T) => void;
  /** Called with the backlog size when it first exceeds `threshold`, once per crossing. */
  onBacklog: (size: number) => void;
  onError?: (err: unknown, item: T) => void;
  /** Defaults to {@link MEMBERSHIP_BACKLOG_WARN} (200). */
  threshold?: number;
  /** How the drain is deferred. Defaults to `queueMicrotask`. */
  schedule?: (drain: () => void) => void;
}

export class MembershipQueue<T> {
  private items: T[] = [];
  private head = 0;
  private scheduled = false;
  /** True after a warning, until the backlog falls back to the threshold or below. */
  private warned = false;
  private readonly threshold: number;

  constructor(private readonly options: MembershipQueueOptions<T>) {
    this.threshold = options.threshold ?? MEMBERSHIP_BACKLOG_WARN;
  }

  /** Events waiting to be applied. */
  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
    const size = this.size;
    if (size > this.threshold && !this.warned) {
      this.warned = true;
      this.options.onBacklog(size);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      (this.options.schedule ?? queueMicrotask)(() => this.drain());
    }
  }

  /** Applies every waiting event, including those pushed while draining. */
  private drain(): void {
    try {
      while (this.head < this.items.length) {
        const item = this.items[this.head] as T;
        this.items[this.head] = undefined as T; // let the event be collected
        this.head++;
        if (this.size <= this.threshold) this.warned = false;
        try {
          this.options.apply(item);
        } catch (err) {
          this.options.onError?.(err, item);
        }
      }
    } finally {
      this.items = [];
      this.head = 0;
      this.warned = false;
      this.scheduled = false;
    }
  }
}
