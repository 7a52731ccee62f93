// Time series the simulator records, per server and per time bucket: new
// connections, rebalances, full and partial syncs (all per second), agents per
// server, sync lag after a change and the age of live connections. Every cell is an
// integer (counts, and durations in whole microseconds), so the cells of several
// shards add up to the same value in any grouping (src/sim/shard/merge.ts).

/** Counted per bucket and reported per second. */
export const RATE_SERIES = [
  'newConnsPerSec',
  'rebalancesPerSec',
  'fullSyncsPerSec',
  'partialSyncsPerSec',
  // What the catalog served (runs with entries): reads, writes (one per op of a batch), session opens.
  'listsPerSec',
  'countsPerSec',
  'putsPerSec',
  'deletesPerSec',
  'sessionOpsPerSec',
] as const;
/** Sampled or averaged per bucket. */
export const LEVEL_SERIES = ['agents', 'syncLagMs', 'connAgeSec'] as const;
export type SeriesName = (typeof RATE_SERIES)[number] | (typeof LEVEL_SERIES)[number];
export type RateSeries = (typeof RATE_SERIES)[number];

/** Series per server, one value per bucket: `series[name][server][bucket]`. */
export interface SeriesReport {
  bucketMs: number;
  servers: string[];
  /** Bucket start times, simulated seconds. */
  t: number[];
  series: Record<SeriesName, number[][]>;
}

/** Rounds for stable, compact JSON (no float noise across platforms). */
export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x)) return 0;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** A duration in whole microseconds: sums of these are exact (below 2^53 µs, 285 years). */
export function toUs(ms: number): number {
  return Math.round(ms * 1000);
}

/** A recorder's cells, as sent from a worker (structured-clone friendly typed arrays). */
export interface RecorderData {
  rates: Record<RateSeries, Float64Array>;
  agents: Float64Array;
  lagSumUs: Float64Array;
  lagCount: Float64Array;
  ageSumUs: Float64Array;
}

/** Flat per-(server, bucket) arrays, indexed `server * buckets + bucket`. */
export class Recorder {
  readonly buckets: number;
  private readonly rates: Record<RateSeries, Float64Array>;
  private readonly agents: Float64Array;
  private readonly lagSumUs: Float64Array;
  private readonly lagCount: Float64Array;
  /** Sum of the ages of live connections at the bucket's end, µs. */
  private readonly ageSumUs: Float64Array;

  constructor(
    readonly serverNames: readonly string[],
    readonly bucketMs: number,
    readonly durationMs: number,
  ) {
    this.buckets = Math.max(1, Math.ceil(durationMs / bucketMs));
    const size = serverNames.length * this.buckets;
    this.rates = Object.fromEntries(RATE_SERIES.map((name) => [name, new Float64Array(size)])) as Record<RateSeries, Float64Array>;
    this.agents = new Float64Array(size);
    this.lagSumUs = new Float64Array(size);
    this.lagCount = new Float64Array(size);
    this.ageSumUs = new Float64Array(size);
  }

  /** The cells, for sending to the thread that merges shards. */
  data(): RecorderData {
    return { rates: this.rates, agents: this.agents, lagSumUs: this.lagSumUs, lagCount: this.lagCount, ageSumUs: this.ageSumUs };
  }

  /** Adds another shard's cells (same servers, buckets) to these. */
  add(other: RecorderData): void {
    const addInto = (into: Float64Array, from: Float64Array) => {
      if (from.length !== into.length) throw new RangeError(`recorder shapes differ: ${from.length} cells, expected ${into.length}`);
      for (let i = 0; i < into.length; i++) into[i]! += from[i] as number;
    };
    for (const name of RATE_SERIES) addInto(this.rates[name], other.rates[name]);
    addInto(this.agents, other.agents);
    addInto(this.lagSumUs, other.lagSumUs);
    addInto(this.lagCount, other.lagCount);
    addInto(this.ageSumUs, other.ageSumUs);
  }

  bucketOf(nowMs: number): number {
    const b = Math.floor(nowMs / this.bucketMs);
    return b < 0 ? 0 : b >= this.buckets ? this.buckets - 1 : b;
  }

  /** `n` (default 1) more of `series` at `server` in the bucket of `nowMs`. */
  count(series: RateSeries, server: number, nowMs: number, n = 1): void {
    if (server < 0) return;
    this.rates[series][server * this.buckets + this.bucketOf(nowMs)]! += n;
  }

  lag(server: number, nowMs: number, lagMs: number): void {
    if (server < 0) return;
    const i = server * this.buckets + this.bucketOf(nowMs);
    this.lagSumUs[i]! += toUs(lagMs);
    this.lagCount[i]! += 1;
  }

  /** Records the level series of `bucket`: agents per server and the sum of their connection ages (µs). */
  sample(bucket: number, agentsOn: ArrayLike<number>, ageSumUs: ArrayLike<number>): void {
    for (let s = 0; s < this.serverNames.length; s++) {
      const i = s * this.buckets + bucket;
      this.agents[i] = agentsOn[s] ?? 0;
      this.ageSumUs[i] = ageSumUs[s] ?? 0;
    }
  }

  /** Sum of `series` counts for `server` over buckets [from, to). */
  total(series: RateSeries, server: number, fromBucket = 0, toBucket = this.buckets): number {
    const a = this.rates[series];
    let sum = 0;
    for (let b = Math.max(0, fromBucket); b < Math.min(this.buckets, toBucket); b++) sum += a[server * this.buckets + b] ?? 0;
    return sum;
  }

  /** Largest per-second rate of `series` at `server` over buckets [from, to). */
  peakPerSec(series: RateSeries, server: number, fromBucket = 0, toBucket = this.buckets): number {
    const a = this.rates[series];
    let peak = 0;
    for (let b = Math.max(0, fromBucket); b < Math.min(this.buckets, toBucket); b++) {
      const v = a[server * this.buckets + b] ?? 0;
      if (v > peak) peak = v;
    }
    return (peak * 1000) / this.bucketMs;
  }

  agentsAt(server: number, bucket: number): number {
    return this.agents[server * this.buckets + bucket] ?? 0;
  }

  report(): SeriesReport {
    const S = this.serverNames.length;
    const B = this.buckets;
    const perSec = 1000 / this.bucketMs;
    const table = (fn: (i: number) => number): number[][] => {
      const out: number[][] = [];
      for (let s = 0; s < S; s++) {
        const row: number[] = new Array<number>(B);
        for (let b = 0; b < B; b++) row[b] = round(fn(s * B + b));
        out.push(row);
      }
      return out;
    };
    const t: number[] = [];
    for (let b = 0; b < B; b++) t.push(round((b * this.bucketMs) / 1000));
    return {
      bucketMs: this.bucketMs,
      servers: [...this.serverNames],
      t,
      series: {
        ...(Object.fromEntries(RATE_SERIES.map((name) => [name, table((i) => this.rates[name][i]! * perSec)])) as Record<RateSeries, number[][]>),
        agents: table((i) => this.agents[i]!),
        syncLagMs: table((i) => (this.lagCount[i]! > 0 ? this.lagSumUs[i]! / this.lagCount[i]! / 1000 : 0)),
        connAgeSec: table((i) => (this.agents[i]! > 0 ? this.ageSumUs[i]! / this.agents[i]! / 1e6 : 0)),
      },
    };
  }
}
