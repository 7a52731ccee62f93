// Timers as events of the engine's queue, for the library code the engine hosts as it is
// (each agent's ServiceRegistry): a Clock whose setTimeout is a queue event, and a
// promise that resolves when its event pops (a catalog request's round trip). Both keep
// the order the actor engine's heap clock gives: equal times in the order they were set.
import type { Clock } from '../../shared/clock.js';
import type { EventQueue } from './eventQueue.js';

interface Timer {
  fn: () => void;
  record: number;
  seq: number;
}


export class EngineTimers {
  readonly #timers = new Map<number, Timer>();
  readonly #pending = new Map<number, () => void>();
  #next = 1;
  /** The clock the hosted code sets its timers on. */
  readonly clock: Clock;

  /** `timerKind`, `replyKind`: the queue event kinds this class's events carry (their arg is the id). */
  constructor(
    private readonly queue: EventQueue,
    private readonly now: () => number,
    private readonly timerKind: number,
    private readonly replyKind: number,
  ) {
    this.clock = {
      now,
      setTimeout: (fn, ms) => {
        const id = this.#next++;
        const seq = queue.push(now() + (ms > 0 ? ms : 0), -1, timerKind, id);
        this.#timers.set(id, { fn, record: queue.lastRecord, seq });
        return id;
      },
      clearTimeout: (handle) => {
        const timer = this.#timers.get(handle as number);
        if (timer === undefined) return;
        this.#timers.delete(handle as number);
        queue.cancel(timer.record, timer.seq);
      },
    };
  }

  /** Resolves `delayMs` from now: an event of agent `agent` (a catalog request's round trip). */
  after(agent: number, delayMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const id = this.#next++;
      this.#pending.set(id, resolve);
      this.queue.push(this.now() + delayMs, agent, this.replyKind, id);
    });
  }

  /** The queue popped a timer event. */
  fire(id: number): void {
    const timer = this.#timers.get(id);
    if (timer === undefined) return;
    this.#timers.delete(id);
    timer.fn();
  }

  /** The queue popped a reply event. */
  reply(id: number): void {
    const resolve = this.#pending.get(id) as () => void;
    this.#pending.delete(id);
    resolve();
  }

  /** Timers set and not yet fired or cleared. */
  get timers(): number {
    return this.#timers.size;
  }
}
