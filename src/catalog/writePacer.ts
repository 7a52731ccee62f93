// One registry's side of the fleet write cap: its bucket (writeCap.ts's steps, on the
// injected clock) and the one timer that wakes a pass it deferred. A deferred entry
// stays dirty, so nothing is dropped: the wake pulls the syncer's partial-sync trigger,
// and a pause, a failed pass or a full sync only move when the rest is written.
import { type Clock, monotonicNow } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { fullBucket, refill, restartedBucket, settled, spend, wakeOps, writeAllowance, writeIntervalMs, writeWaitMs, type WriteBucket, type WriteCapSettings, type WriteCounts } from './writeCap.js';

export interface WritePacerDeps {
  settings: WriteCapSettings;
  clock: Clock;
  random: () => number;
  /** Cluster size and reachable servers as the agent knows them now (read at every step). */
  counts: () => WriteCounts;
  /** A deferred pass may go on: pull the partial-sync trigger. */
  wake: () => void;
  log: Logger;
}

export class WritePacer {
  #bucket: WriteBucket;
  #timer: unknown;
  #closed = false;
  /** A pass has held writes back since the last one that wrote everything it owed. */
  #pacing = false;
  readonly #d: WritePacerDeps;

  constructor(d: WritePacerDeps) {
    this.#d = d;
    this.#bucket = fullBucket(d.settings, monotonicNow(d.clock));
  }

  /** Ops of the class that may be written now (the bucket refilled first). */
  allowance(urgent: boolean): number {
    this.#bucket = refill(this.#bucket, monotonicNow(this.#d.clock), this.#d.settings, this.#d.counts());
    return writeAllowance(this.#bucket, this.#d.settings, urgent);
  }

  /** `ops` were sent in one call (every try counts: each reaches a server). */
  spend(ops: number): void {
    this.#bucket = spend(this.#bucket, ops);
  }

  /**
   * A pass left `owedOps` writes of the class for later (`totalOps` of every class): wake
   * once enough tokens for the next call are there (see wakeOps). One timer per
   * registry: a newer deferral replaces it.
   */
  defer(owedOps: number, urgent: boolean, maxBatchOps: number, totalOps = owedOps): void {
    if (this.#closed) return;
    const d = this.#d;
    const counts = d.counts();
    this.#bucket = refill(this.#bucket, monotonicNow(d.clock), d.settings, counts);
    const ops = wakeOps(d.settings, counts, owedOps, maxBatchOps);
    const waitMs = writeWaitMs(this.#bucket, d.settings, counts, ops, urgent);
    this.cancel();
    const intervalMs = writeIntervalMs(d.settings, counts);
    const details = { owed: totalOps, urgent, waitMs, intervalMs, nodes: counts.nodes, servers: counts.servers };
    // Once per paced run at info (an operator asks why entries are not back yet), then debug.
    if (this.#pacing) d.log.debug(details, 'writes paced under the fleet write cap');
    else d.log.info({ ...details, etaMs: Math.round(totalOps * intervalMs) }, 'pacing writes under the fleet write cap');
    this.#pacing = true;
    // A deferred pass was held back, so its wake is never at the same instant: were the
    // steps ever to disagree on a rounding, the pass would otherwise wake itself forever.
    this.#timer = d.clock.setTimeout(() => {
      this.#timer = undefined;
      if (!this.#closed) d.wake();
    }, Math.max(1, waitMs));
  }

  /** A pass wrote everything it owed: a paced run, if any, is over. */
  caughtUp(): void {
    // A rewrite after a session loss is over: the bucket saves up again.
    this.#bucket = settled(this.#bucket);
    if (!this.#pacing) return;
    this.#pacing = false;
    this.#d.log.info('paced writes caught up');
  }

  /** The session was lost: a rewrite of everything follows, with no burst and a random phase. */
  restart(): void {
    this.cancel();
    const r = this.#d.random();
    this.#bucket = restartedBucket(monotonicNow(this.#d.clock), r >= 0 && r < 1 ? r : 0);
  }

  /** True while a deferred pass waits for its wake. */
  get waiting(): boolean {
    return this.#timer !== undefined;
  }

  /** Tokens as of the last step (for stats and tests). */
  get tokens(): number {
    return this.#bucket.tokens;
  }

  cancel(): void {
    if (this.#timer === undefined) return;
    this.#d.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  close(): void {
    this.#closed = true;
    this.cancel();
  }
}
