// The delayed events (`after` timers) of many agents' machines in the event queue: what
// a machine's `xstate.raise` with a delay schedules and its `xstate.cancel` cancels. A
// machine has a few named delays; each gets a slot on first sight, and each agent holds
// at most one pending event per slot (a record and sequence number in typed arrays).
import type { EventQueue } from './eventQueue.js';
import type { CancelParams, RaiseParams } from './machineDriver.js';

export class DelayedEvents<E extends { type: string }> {
  readonly #ids = new Map<string, number>();
  readonly #events: E[] = [];
  // Per agent and slot: the queue record of the pending event (-1: none) and its sequence number.
  readonly #record: Int32Array;
  readonly #seq: Float64Array;

  /**
   * `kind`: the queue event kind these events carry (their arg is the slot); `slots`: the
   * most delay ids the machine may have; `machine` names it in the error when it has more.
   */
  constructor(
    private readonly queue: EventQueue,
    readonly kind: number,
    private readonly slots: number,
    agents: number,
    private readonly machine: string,
  ) {
    this.#record = new Int32Array(agents * slots).fill(-1);
    this.#seq = new Float64Array(agents * slots);
  }

  /** A delayed raise of agent `agent`'s machine, at `now` + its delay. */
  schedule(agent: number, now: number, raise: RaiseParams): void {
    const slot = this.#slot(raise.id ?? raise.event.type, raise.event as E);
    const i = agent * this.slots + slot;
    this.#seq[i] = this.queue.push(now + (raise.delay ?? 0), agent, this.kind, slot);
    this.#record[i] = this.queue.lastRecord;
  }

  /** The machine cancelled a delayed event (its delay's state was left); unknown ids are ignored. */
  cancel(agent: number, cancel: CancelParams): void {
    const slot = this.#ids.get(cancel.sendId);
    if (slot === undefined) return;
    const i = agent * this.slots + slot;
    this.queue.cancel(this.#record[i] as number, this.#seq[i] as number);
    this.#record[i] = -1;
  }

  /** The event in `slot` came due for `agent` (the queue popped `kind` with that slot): no longer pending. */
  due(agent: number, slot: number): E {
    this.#record[agent * this.slots + slot] = -1;
    return this.#events[slot] as E;
  }

  #slot(id: string, event: E): number {
    let slot = this.#ids.get(id);
    if (slot === undefined) {
      slot = this.#ids.size;
      if (slot >= this.slots) throw new RangeError(`the ${this.machine} machine has more delayed events than the engine holds per agent: ${id}`);
      this.#ids.set(id, slot);
      this.#events[slot] = event;
    }
    return slot;
  }
}
