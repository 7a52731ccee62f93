// The engine's one event queue: a binary min-heap over typed arrays, ordered by time
// then by insertion sequence (equal times pop in the order they were pushed, as the
// actor engine's timers fire). An event is three numbers — the agent, a kind, and an
// argument — so a queue of millions of pending events is a few flat arrays, not
// millions of objects. Cancelled events are skipped when they reach the top.

const INITIAL_CAPACITY = 1024;

export class EventQueue {
  // Heap slots (by position): the event's time, sequence and record index.
  #time: Float64Array;
  #seq: Float64Array;
  #slot: Int32Array;
  // Records (by index, reused through a free list): agent, kind, argument, live flag.
  #agent: Int32Array;
  #kind: Int32Array;
  #arg: Float64Array;
  /** Sequence a record was pushed with; 0 once popped or cancelled. (record, sequence) names one event. */
  #live: Float64Array;
  #free: Int32Array;
  #freeCount = 0;
  #records = 0;
  #size = 0;
  #nextSeq = 1;
  #pending = 0;

  constructor(capacity = INITIAL_CAPACITY) {
    const n = Math.max(1, capacity);
    this.#time = new Float64Array(n);
    this.#seq = new Float64Array(n);
    this.#slot = new Int32Array(n);
    this.#agent = new Int32Array(n);
    this.#kind = new Int32Array(n);
    this.#arg = new Float64Array(n);
    this.#live = new Float64Array(n);
    this.#free = new Int32Array(n);
  }

  /** Events pushed and neither popped nor cancelled. */
  get size(): number {
    return this.#pending;
  }

  /**
   * Schedules `(agent, kind, arg)` at `time` (ms); equal times pop in push order.
   * Returns the event's sequence number: with {@link lastRecord} it names the event for
   * {@link cancel} (a caller keeps both in its own typed arrays; nothing is allocated).
   */
  push(time: number, agent: number, kind: number, arg = 0): number {
    if (Number.isNaN(time)) throw new RangeError(`event time must be a number, received ${time}`);
    const record = this.#allocate();
    const seq = this.#nextSeq++;
    this.#agent[record] = agent;
    this.#kind[record] = kind;
    this.#arg[record] = arg;
    this.#live[record] = seq;
    this.#heapPush(time, seq, record);
    this.#pending++;
    return seq;
  }

  /** The record the last {@link push} used. */
  get lastRecord(): number {
    return this.#lastRecord;
  }

  /**
   * Cancels the event pushed with sequence `seq` into `record`; false when it already ran
   * or was cancelled (the record may since hold another event: it is left alone). O(1):
   * the heap slot is skipped when it surfaces.
   */
  cancel(record: number, seq: number): boolean {
    if (record < 0 || record >= this.#records || this.#live[record] !== seq || seq === 0) return false;
    this.#live[record] = 0;
    this.#pending--;
    return true;
  }

  #lastRecord = -1;

  /** Time of the next live event, or Infinity when none. */
  peekTime(): number {
    this.#skipDead();
    return this.#size === 0 ? Infinity : (this.#time[0] as number);
  }

  /**
   * Pops the next live event into `out` (agent, kind, arg, time); false when the queue is empty.
   * `out` is the caller's reusable record: popping allocates nothing.
   */
  pop(out: PoppedEvent): boolean {
    this.#skipDead();
    if (this.#size === 0) return false;
    const record = this.#slot[0] as number;
    out.time = this.#time[0] as number;
    out.agent = this.#agent[record] as number;
    out.kind = this.#kind[record] as number;
    out.arg = this.#arg[record] as number;
    this.#live[record] = 0;
    this.#heapPop();
    this.#release(record);
    this.#pending--;
    return true;
  }

  #skipDead(): void {
    while (this.#size > 0) {
      const record = this.#slot[0] as number;
      if (this.#live[record] === this.#seq[0]) return;
      this.#heapPop();
      this.#release(record);
    }
  }

  #allocate(): number {
    if (this.#freeCount > 0) return (this.#lastRecord = this.#free[--this.#freeCount] as number);
    if (this.#records === this.#agent.length) this.#growRecords();
    return (this.#lastRecord = this.#records++);
  }

  #release(record: number): void {
    this.#free[this.#freeCount++] = record;
  }

  #growRecords(): void {
    const n = this.#agent.length * 2;
    this.#agent = grow(this.#agent, new Int32Array(n));
    this.#kind = grow(this.#kind, new Int32Array(n));
    this.#arg = grow(this.#arg, new Float64Array(n));
    this.#live = grow(this.#live, new Float64Array(n));
    this.#free = grow(this.#free, new Int32Array(n));
  }

  #heapPush(time: number, seq: number, record: number): void {
    if (this.#size === this.#time.length) {
      const n = this.#time.length * 2;
      this.#time = grow(this.#time, new Float64Array(n));
      this.#seq = grow(this.#seq, new Float64Array(n));
      this.#slot = grow(this.#slot, new Int32Array(n));
    }
    const time_ = this.#time;
    const seq_ = this.#seq;
    const slot = this.#slot;
    let i = this.#size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = time_[parent] as number;
      if (pt < time || (pt === time && (seq_[parent] as number) < seq)) break;
      time_[i] = pt;
      seq_[i] = seq_[parent] as number;
      slot[i] = slot[parent] as number;
      i = parent;
    }
    time_[i] = time;
    seq_[i] = seq;
    slot[i] = record;
  }

  #heapPop(): void {
    const size = --this.#size;
    if (size === 0) return;
    const time_ = this.#time;
    const seq_ = this.#seq;
    const slot = this.#slot;
    const time = time_[size] as number;
    const seq = seq_[size] as number;
    const record = slot[size] as number;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      const right = child + 1;
      if (right < size) {
        const ct = time_[child] as number;
        const rt = time_[right] as number;
        if (rt < ct || (rt === ct && (seq_[right] as number) < (seq_[child] as number))) child = right;
      }
      const ct = time_[child] as number;
      if (time < ct || (time === ct && seq < (seq_[child] as number))) break;
      time_[i] = ct;
      seq_[i] = seq_[child] as number;
      slot[i] = slot[child] as number;
      i = child;
    }
    time_[i] = time;
    seq_[i] = seq;
    slot[i] = record;
  }
}

/** One popped event (reused by the caller). */
export interface PoppedEvent {
  time: number;
  agent: number;
  kind: number;
  arg: number;
}

function grow<T extends Float64Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
