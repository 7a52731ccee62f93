// A simulated clock for the fleet simulator: timers live in a binary min-heap
// keyed by (deadline, insertion sequence), so setting, firing and cancelling a
// timer costs O(log n) even with hundreds of thousands of live timers.
import type { Clock } from '../shared/clock.js';
import { InstantGuard } from './instantGuard.js';

/** One scheduled callback. Returned by `setTimeout` as the opaque handle. */
export interface HeapTimer {
  /** Simulated ms at which it fires. */
  readonly deadline: number;
  /** Insertion order: equal deadlines fire in the order they were set. */
  readonly seq: number;
  /** Cleared (lazily deleted) or already fired. */
  done: boolean;
  fn: (() => void) | undefined;
}

/** Options of {@link HeapClock.runUntil} / {@link HeapClock.advance}. */
export interface RunOptions {
  /** Stop after this many timers fired in this call, even before the target time. Defaults to 1e9. */
  maxSteps?: number;
  /**
   * Awaited after every group of timers that share one deadline, before time moves on,
   * so that promise continuations run at the simulated time they belong to.
   * Defaults to {@link drainAfterMicrotasks}.
   */
  drain?: () => Promise<void>;
  /** Called roughly every `progressEvery` timers with the clock (for progress bars). */
  onProgress?: (clock: HeapClock) => void;
  /** Defaults to 50 000 timers. */
  progressEvery?: number;
  /** The bounds on one instant's work; defaults to a new {@link InstantGuard}. */
  guard?: InstantGuard;
}

/**
 * Resolves once every microtask queued so far — and every microtask those queue —
 * has run: a macrotask turn (`setImmediate`) only starts when Node's microtask
 * queue is empty. Safe from anywhere; costs ~1.2 µs.
 */
export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The same guarantee at ~0.25 µs, valid when awaited from inside a microtask (any
 * code after an `await`): Node runs a `process.nextTick` callback only after V8
 * has emptied the microtask queue it is draining, new microtasks included.
 * {@link HeapClock.runUntil} awaits {@link drainMicrotasks} once first, so every
 * later drain happens inside a microtask.
 */
export function drainAfterMicrotasks(): Promise<void> {
  return new Promise((resolve) => process.nextTick(resolve));
}

function before(a: HeapTimer, b: HeapTimer): boolean {
  return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
}

/**
 * A `Clock` whose time only moves when {@link runUntil} or {@link advance} is called.
 * Works as xstate's `createActor({ clock })`. Cancelled timers stay in the heap
 * until they reach the top (lazy deletion); the heap is compacted when more
 * than half of it is dead.
 */
export class HeapClock implements Clock {
  private readonly heap: HeapTimer[] = [];
  private nextSeq = 0;
  private live = 0;
  private nowMs: number;
  /** Timers fired since construction. */
  eventsProcessed = 0;

  constructor(startMs = 0) {
    this.nowMs = startMs;
    // Bound methods: callers (xstate, `sleep`) pass these around detached.
    this.setTimeout = this.setTimeout.bind(this);
    this.clearTimeout = this.clearTimeout.bind(this);
  }

  /** Current simulated time in ms. */
  now(): number {
    return this.nowMs;
  }

  /** Timers set and neither fired nor cleared. */
  get pending(): number {
    return this.live;
  }

  /** Deadline of the next live timer, or `undefined` when none is set. */
  nextDeadline(): number | undefined {
    this.dropDeadTop();
    return this.heap[0]?.deadline;
  }

  setTimeout(fn: () => void, ms: number): HeapTimer {
    // Like Node: a negative, NaN or missing delay means "as soon as possible".
    const delay = ms > 0 ? ms : 0;
    const timer: HeapTimer = { deadline: this.nowMs + delay, seq: this.nextSeq++, done: false, fn };
    this.push(timer);
    this.live++;
    return timer;
  }

  clearTimeout(handle: unknown): void {
    const timer = handle as HeapTimer | undefined;
    if (timer === undefined || timer === null || typeof timer !== 'object' || timer.done) return;
    timer.done = true;
    timer.fn = undefined;
    this.live--;
    if (this.heap.length > 1024 && this.live * 2 < this.heap.length) this.compact();
  }

  /**
   * Fires, in (deadline, insertion) order, every timer due at or before `targetMs`
   * — including timers set by those timers — then sets the time to `targetMs`.
   * Returns the number of timers fired. Stops early (time left at the last fired
   * deadline) once `maxSteps` timers have fired.
   */
  async runUntil(targetMs: number, options: RunOptions = {}): Promise<number> {
    const guard = options.guard ?? new InstantGuard();
    const maxSteps = options.maxSteps ?? 1e9;
    const drain = options.drain ?? drainAfterMicrotasks;
    const progressEvery = options.progressEvery ?? 50_000;
    let steps = 0;
    let nextProgress = progressEvery;
    // Whatever the caller left queued runs first, at the current time.
    await drainMicrotasks();
    while (steps < maxSteps) {
      this.dropDeadTop();
      const top = this.heap[0];
      if (top === undefined || top.deadline > targetMs) break;
      const deadline = top.deadline;
      guard.round(deadline);
      this.nowMs = deadline;
      // Fire every timer due at this instant (new zero-delay ones included), then
      // let their promise continuations run before time moves on.
      for (;;) {
        this.dropDeadTop();
        const t = this.heap[0];
        if (t === undefined || t.deadline !== deadline || steps >= maxSteps) break;
        this.pop();
        const fn = t.fn as () => void;
        t.done = true;
        t.fn = undefined;
        this.live--;
        steps++;
        this.eventsProcessed++;
        guard.event();
        fn();
      }
      await drain();
      if (options.onProgress !== undefined && steps >= nextProgress) {
        nextProgress = steps + progressEvery;
        options.onProgress(this);
      }
    }
    if (steps < maxSteps && targetMs > this.nowMs) this.nowMs = targetMs;
    return steps;
  }

  /** {@link runUntil} `now() + ms`. */
  advance(ms: number, options?: RunOptions): Promise<number> {
    return this.runUntil(this.nowMs + ms, options);
  }

  // --- binary heap -------------------------------------------------------------

  private dropDeadTop(): void {
    const heap = this.heap;
    while (heap.length > 0 && (heap[0] as HeapTimer).done) this.pop();
  }

  private push(timer: HeapTimer): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(timer);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as HeapTimer;
      if (!before(timer, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = timer;
  }

  private pop(): HeapTimer | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    this.siftDown(0, last);
    return top;
  }

  private siftDown(start: number, timer: HeapTimer): void {
    const heap = this.heap;
    const n = heap.length;
    let i = start;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && before(heap[right] as HeapTimer, heap[child] as HeapTimer)) child = right;
      const c = heap[child] as HeapTimer;
      if (!before(c, timer)) break;
      heap[i] = c;
      i = child;
    }
    heap[i] = timer;
  }

  /** Drops cleared timers and rebuilds the heap in O(n). */
  private compact(): void {
    const heap = this.heap;
    let w = 0;
    for (let r = 0; r < heap.length; r++) {
      const t = heap[r] as HeapTimer;
      if (!t.done) heap[w++] = t;
    }
    heap.length = w;
    for (let i = (w >> 1) - 1; i >= 0; i--) this.siftDown(i, heap[i] as HeapTimer);
  }
}
