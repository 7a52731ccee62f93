// Fleet-wide statistics a run reports beside its series: running duration statistics
// (gaps, lifetimes, lags) and the counters of syncs and rebalances. Sums are kept in
// whole microseconds so the totals of several shards are exact in any grouping.
import { toUs } from './metrics.js';

/** What {@link DurationStats} holds, as sent between threads. */
export interface DurationData {
  count: number;
  sumUs: number;
  max: number;
}

/** Running statistics of a set of durations (ms). */
export class DurationStats implements DurationData {
  count = 0;
  sumUs = 0;
  max = 0;
  add(ms: number): void {
    this.count++;
    this.sumUs += toUs(ms);
    if (ms > this.max) this.max = ms;
  }
  /** Adds another shard's statistics. */
  merge(other: DurationData): void {
    this.count += other.count;
    this.sumUs += other.sumUs;
    if (other.max > this.max) this.max = other.max;
  }
  get mean(): number {
    return this.count > 0 ? this.sumUs / this.count / 1000 : 0;
  }
  data(): DurationData {
    return { count: this.count, sumUs: this.sumUs, max: this.max };
  }
}

export const DURATION_STATS = ['fullSyncGaps', 'rebalanceGaps', 'connLifetimes', 'syncLag', 'firstFullAfterMark'] as const;
export type DurationStatName = (typeof DURATION_STATS)[number];
export const COUNTERS = ['fullSyncs', 'partialSyncs', 'rebalances', 'newConnections', 'fullSyncFailures', 'readsRefused', 'agentsRefused'] as const;
export type CounterName = (typeof COUNTERS)[number];

/** One shard's statistics, as sent from its worker. */
export interface FleetData {
  durations: Record<DurationStatName, DurationData>;
  counters: Record<CounterName, number>;
  /** Agents of the rebalance mark's subset in this shard, and how many have rebalanced since the mark. */
  markTarget: number;
  rebalancedCount: number;
  /** When the last of them did (NaN until every one has). */
  allRebalancedAt: number;
  /** Runs with entries: when every entry of the shard was last back in the catalog after a loss (NaN while some are missing). */
  entriesBackAt?: number | undefined;
}

/** The statistics of a whole run (every shard merged, in agent order). */
export class FleetTotals {
  /** Gaps between consecutive full-sync starts of one agent. */
  readonly fullSyncGaps = new DurationStats();
  /** Gaps between consecutive rebalances of one agent (a connection recycled). */
  readonly rebalanceGaps = new DurationStats();
  /** Lifetimes of connections (time an agent's front server stayed the same). */
  readonly connLifetimes = new DurationStats();
  /** Change → covering sync succeeded. */
  readonly syncLag = new DurationStats();
  /** Per agent: wait from the `markFullSyncs` event to its first full sync start after it. */
  readonly firstFullAfterMark = new DurationStats();
  fullSyncs = 0;
  partialSyncs = 0;
  rebalances = 0;
  newConnections = 0;
  /** Full syncs that failed from the warm-up on (the measurement window). */
  fullSyncFailures = 0;
  /** Runs with entries: reads a server refused, and agents whose full-sync read (list) met a refusal. */
  readsRefused = 0;
  agentsRefused = 0;
  /**
   * Runs with entries: when every agent's entries were last all back in the catalog (the
   * latest shard's time; NaN while some shard misses some). Undefined without entries.
   */
  entriesBackAt: number | undefined;
  private markTarget = 0;
  private rebalancedCount = 0;
  private lastRebalancedAt = -Infinity;

  merge(shard: FleetData): void {
    for (const name of DURATION_STATS) this[name].merge(shard.durations[name]);
    for (const name of COUNTERS) this[name] += shard.counters[name];
    this.markTarget += shard.markTarget;
    this.rebalancedCount += shard.rebalancedCount;
    if (shard.markTarget > 0 && shard.allRebalancedAt > this.lastRebalancedAt) this.lastRebalancedAt = shard.allRebalancedAt;
    if (shard.entriesBackAt !== undefined) {
      const back = shard.entriesBackAt;
      this.entriesBackAt = this.entriesBackAt === undefined ? back : Number.isNaN(back) || Number.isNaN(this.entriesBackAt) ? Number.NaN : Math.max(back, this.entriesBackAt);
    }
  }

  /** Time at which every agent of the `markRebalances` subset had rebalanced since the mark (NaN if some never did). */
  get allRebalancedAt(): number {
    return this.markTarget > 0 && this.rebalancedCount === this.markTarget ? this.lastRebalancedAt : NaN;
  }

  /** Fraction of the marked agents that rebalanced since the mark. */
  get rebalancedFraction(): number {
    return this.markTarget > 0 ? this.rebalancedCount / this.markTarget : 0;
  }
}
