// What the simulator measures of a fleet, whichever engine runs it: each agent's front
// server and connection age, the gaps between its full syncs and its rebalances, the lag
// from a local change to the sync that covered it, and the per-server series. Both the
// actor fleet and the event engine's fleet report through these methods, by agent
// index, so the two engines count alike by construction. Per-agent values live in
// typed arrays, so 100 000 agents cost a few megabytes here.
import { toUs, type Recorder } from './metrics.js';
import { DurationStats, type FleetData } from './stats.js';
import type { SimCatalog } from './catalog/simCatalog.js';

export const FULL = 0;
export const PARTIAL = 1;

export class FleetLedger {
  /** Front server index per agent (-1: none). */
  readonly front: Int16Array;
  /** When the agent's current connection started (ms). */
  private readonly since: Float64Array;
  /** Earliest local change not yet covered by a started sync (NaN: none). */
  private readonly pendingChangeAt: Float64Array;
  private readonly lastFullStart: Float64Array;
  private readonly lastRebalance: Float64Array;
  /** Agents that rebalanced since `markRebalances()`. */
  private readonly rebalancedSinceMark: Uint8Array;
  private rebalancedCount = 0;
  private markAt = NaN;
  /** Time at which every marked agent had rebalanced (NaN until then). */
  allRebalancedAt = NaN;
  private markFrom = 0;
  private markTo = 0;
  private markTarget = 0;
  private readonly fullSinceMark: Uint8Array;
  private fullMarkAt = NaN;
  /** Per agent: wait from `markFullSyncs()` to its first full sync start after it. */
  readonly firstFullAfterMark = new DurationStats();
  /** Agents per server, live. */
  readonly agentsOn: Int32Array;
  /** 1 once the agent's manager and syncer run; before that it makes no local changes. */
  private readonly started: Uint8Array;

  /** Gaps between consecutive full-sync starts of one agent. */
  readonly fullSyncGaps = new DurationStats();
  /** Gaps between consecutive rebalances of one agent (a connection recycled). */
  readonly rebalanceGaps = new DurationStats();
  /** Lifetimes of connections (time an agent's front server stayed the same). */
  readonly connLifetimes = new DurationStats();
  /** Change → covering sync succeeded. */
  readonly syncLag = new DurationStats();
  fullSyncs = 0;
  partialSyncs = 0;
  rebalances = 0;
  newConnections = 0;
  fullSyncFailures = 0;
  /** The shard's simulated catalog, in runs with entries (its figures join the ledger's). */
  catalog: SimCatalog | undefined;

  constructor(
    readonly count: number,
    servers: number,
    private readonly clock: { now(): number },
    private readonly recorder: Recorder,
    private readonly warmupMs: number,
  ) {
    const n = count;
    this.front = new Int16Array(n).fill(-1);
    this.since = new Float64Array(n);
    this.pendingChangeAt = new Float64Array(n).fill(NaN);
    this.lastFullStart = new Float64Array(n).fill(NaN);
    this.lastRebalance = new Float64Array(n).fill(NaN);
    this.rebalancedSinceMark = new Uint8Array(n);
    this.fullSinceMark = new Uint8Array(n);
    this.started = new Uint8Array(n);
    this.agentsOn = new Int32Array(servers);
  }

  /** The list an agent starts with is not a connection yet: its front server is recorded without counting a new connection. */
  joined(i: number, s: number): void {
    this.front[i] = s;
    this.since[i] = this.clock.now();
    if (s >= 0) this.agentsOn[s]!++;
  }

  /** The agent's manager and syncer run from now on. */
  markStarted(i: number): void {
    this.started[i] = 1;
  }

  /** A local change on `i`: remembers when; false (ignore it) before the agent started. */
  changed(i: number): boolean {
    if (this.started[i] !== 1) return false;
    if (Number.isNaN(this.pendingChangeAt[i])) this.pendingChangeAt[i] = this.clock.now();
    return true;
  }

  /**
   * A sync of `kind` starts on `i`: it covers the pending change (returned, NaN for none,
   * to hand back to {@link syncSucceeded} or {@link syncFailed}); a full one ends a gap.
   */
  syncStarted(i: number, kind: number): number {
    const now = this.clock.now();
    const cover = this.pendingChangeAt[i] as number;
    this.pendingChangeAt[i] = NaN;
    if (kind === FULL) {
      const last = this.lastFullStart[i] as number;
      // Gaps are counted when they end after the warm-up: counting by start time would
      // favour short gaps (long ones are less likely to end before the run does).
      if (!Number.isNaN(last) && now >= this.warmupMs) this.fullSyncGaps.add(now - last);
      this.lastFullStart[i] = now;
      if (this.fullSinceMark[i] === 0 && !Number.isNaN(this.fullMarkAt)) {
        this.fullSinceMark[i] = 1;
        this.firstFullAfterMark.add(now - this.fullMarkAt);
      }
    }
    return cover;
  }

  /** The sync succeeded on server `target`. */
  syncSucceeded(kind: number, target: number, cover: number): void {
    const t = this.clock.now();
    if (kind === FULL) {
      this.fullSyncs++;
      this.recorder.count('fullSyncsPerSec', target, t);
    } else {
      this.partialSyncs++;
      this.recorder.count('partialSyncsPerSec', target, t);
    }
    if (!Number.isNaN(cover)) {
      const lag = t - cover;
      if (cover >= this.warmupMs) this.syncLag.add(lag);
      this.recorder.lag(target, t, lag);
    }
  }

  /** A sync of `kind` failed: the change it would have covered stays pending from its original time. */
  syncFailed(i: number, kind: number, cover: number): void {
    // Counted from the warm-up on, as the gaps are: a scenario's fault starts there.
    if (kind === FULL && this.clock.now() >= this.warmupMs) this.fullSyncFailures++;
    if (Number.isNaN(cover)) return;
    const pending = this.pendingChangeAt[i] as number;
    this.pendingChangeAt[i] = Number.isNaN(pending) || cover < pending ? cover : pending;
  }

  /** `i` rebalanced; `front` is its front server index afterwards (-1: none). */
  rebalanced(i: number, front: number): void {
    const now = this.clock.now();
    this.rebalances++;
    const last = this.lastRebalance[i] as number;
    if (!Number.isNaN(last) && now >= this.warmupMs) this.rebalanceGaps.add(now - last);
    this.lastRebalance[i] = now;
    if (!Number.isNaN(this.markAt) && this.rebalancedSinceMark[i] === 0 && i >= this.markFrom && i < this.markTo) {
      this.rebalancedSinceMark[i] = 1;
      if (++this.rebalancedCount === this.markTarget) this.allRebalancedAt = now;
    }
    this.observe(i, front);
    this.recorder.count('rebalancesPerSec', this.front[i] as number, now);
  }

  /** `i`'s front server is now `s` (-1: none): a change is a new connection. */
  observe(i: number, s: number): void {
    const prev = this.front[i] as number;
    if (s === prev) return;
    const now = this.clock.now();
    if (prev >= 0) {
      this.agentsOn[prev]!--;
      // Connections made at join time (t = 0, before the agent ran) are not counted.
      const started = this.since[i] as number;
      if (started > 0 && now >= this.warmupMs) this.connLifetimes.add(now - started);
    }
    this.front[i] = s;
    if (s >= 0) {
      this.agentsOn[s]!++;
      this.since[i] = now;
      this.newConnections++;
      this.recorder.count('newConnsPerSec', s, now);
    }
  }

  /** From now on, record when every agent of [from, to) (local indices; default all) has rebalanced at least once. */
  markRebalances(from = 0, to = this.count): void {
    this.rebalancedSinceMark.fill(0);
    this.rebalancedCount = 0;
    this.markAt = this.clock.now();
    this.allRebalancedAt = NaN;
    this.markFrom = Math.max(0, from);
    this.markTo = Math.min(this.count, to);
    this.markTarget = Math.max(0, this.markTo - this.markFrom);
  }

  /** From now on, record each agent's wait until its next full sync starts. */
  markFullSyncs(): void {
    this.fullSinceMark.fill(0);
    this.fullMarkAt = this.clock.now();
  }

  /** This fleet's statistics, for merging with other shards'. */
  data(): FleetData {
    return {
      durations: {
        fullSyncGaps: this.fullSyncGaps.data(),
        rebalanceGaps: this.rebalanceGaps.data(),
        connLifetimes: this.connLifetimes.data(),
        syncLag: this.syncLag.data(),
        firstFullAfterMark: this.firstFullAfterMark.data(),
      },
      counters: {
        fullSyncs: this.fullSyncs,
        partialSyncs: this.partialSyncs,
        rebalances: this.rebalances,
        newConnections: this.newConnections,
        fullSyncFailures: this.fullSyncFailures,
        readsRefused: this.catalog?.readsRefused ?? 0,
        agentsRefused: this.catalog?.agentsRefused ?? 0,
      },
      entriesBackAt: this.catalog === undefined ? undefined : this.catalog.allBackAt,
      markTarget: this.markTarget,
      rebalancedCount: this.rebalancedCount,
      allRebalancedAt: this.allRebalancedAt,
    };
  }

  /** Sum of the ages of live connections, per server, in whole µs (exact when shards are added up). */
  connectionAgeSumsUs(): Float64Array {
    const sums = new Float64Array(this.agentsOn.length);
    const now = this.clock.now();
    const front = this.front;
    const since = this.since;
    for (let i = 0; i < front.length; i++) {
      const s = front[i] as number;
      if (s >= 0) sums[s]! += toUs(now - (since[i] as number));
    }
    return sums;
  }
}
