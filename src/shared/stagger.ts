// Jitter and rate scaling: how ae-sync spreads work over time so that a large
// fleet never hits its servers all at once. Same formulas as Consul's agent/ae
// (scaleFactor) and lib.RandomStagger / lib.RateScaledInterval.

/**
 * Cluster size above which sync runs are spread out further. A power of two,
 * because the scale grows with log2: at or below 128 nodes the factor is 1;
 * every doubling beyond it adds 1 (200 → 2, 1000 → 4, 8192 → 7, 10 000 → 8).
 */
export const SCALE_THRESHOLD = 128;

/**
 * Factor by which staggered delays are stretched for a cluster of `nodes`
 * members: 1 up to {@link SCALE_THRESHOLD}, then `ceil(log2(n) − log2(128)) + 1`.
 * Non-finite or < 1 inputs count as 1 node.
 */
export function scaleFactor(nodes: number): number {
  if (!Number.isFinite(nodes) || nodes <= SCALE_THRESHOLD) return 1;
  return Math.ceil(Math.log2(nodes) - Math.log2(SCALE_THRESHOLD)) + 1;
}

/**
 * A uniformly random duration in `[0, ms)`, floored to whole milliseconds;
 * 0 when `ms ≤ 0` (or not finite). `random` must return values in `[0, 1)`.
 */
export function randomStagger(ms: number, random: () => number): number {
  if (!(ms > 0) || !Number.isFinite(ms)) return 0;
  return Math.floor(random() * ms);
}

/** One event per day: below this rate an interval stops scaling (Consul's floor). */
const MIN_RATE_PER_SEC = 1 / 86_400;

/**
 * The interval (ms) at which each of `n` nodes may act so that, together, they
 * stay at or below `ratePerSec` actions per second — but never shorter than
 * `minMs`. E.g. 10 000 nodes sharing 320 conns/s → 31.25 s, so `minMs` wins.
 */
export function rateScaledInterval(ratePerSec: number, minMs: number, n: number): number {
  if (!(ratePerSec > MIN_RATE_PER_SEC)) return minMs;
  const intervalMs = (1000 * n) / ratePerSec;
  return intervalMs > minMs ? intervalMs : minMs;
}

/**
 * Consul agent/ae/ae.go's staggerFn: `floor(r × scaleFactor(nodes) × ms)` for a draw
 * `r` in `[0, 1)` — the syncer's wait rule, shared by the embedded syncer and the
 * simulator's engine. 0 when `ms ≤ 0`.
 */
export function clusterStagger(ms: number, r: number, nodes: number): number {
  if (!(ms > 0)) return 0;
  return Math.floor(r * scaleFactor(nodes) * ms);
}
