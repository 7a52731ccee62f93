// The fleet write cap as pure steps (state, now, counts in; state, numbers out), so the
// registry's pacer and the simulator run the same rule: each agent's token bucket fills
// at its share of `servers × writesPerSecPerServer` (the rebalance cap's
// rateScaledInterval, one op per interval), never faster than the cap itself.
import { clampDelay } from '../shared/clock.js';
import { rateScaledInterval } from '../shared/stagger.js';

/** The cap's two settings, as the registry resolved them. */
export interface WriteCapSettings {
  /** Fleet-wide cap on catalog write ops per second per reachable server. */
  readonly writesPerSecPerServer: number;
  /** Most tokens a bucket holds, and how far a user's changes may run ahead of the share (ops). */
  readonly writeBurst: number;
}

/** What the agent knows of the fleet when it asks. */
export interface WriteCounts {
  /** Cluster size (nodes registered), at least 1. */
  readonly nodes: number;
  /** Servers the writes spread over (reachable ones), at least 1. */
  readonly servers: number;
}

/** One agent's bucket: `tokens` (ops; below 0 while a debt is paid back) as of `atMs`. */
export interface WriteBucket {
  readonly tokens: number;
  readonly atMs: number;
  /**
   * A rewrite after a session loss is under way: the bucket keeps no savings. A write slot
   * the agent could not use (it was cut off, its full sync had not run yet) is lost rather
   * than saved, so agents that lost their sessions together and come back at different
   * times still write on their own phases — the fleet stays at its share of the cap.
   */
  readonly phased?: boolean;
}

/**
 * Tokens within this of a whole op count as that op. Refills add elapsed / interval, so a
 * bucket can hold 0.9999999999999999 when one op is due: writeAllowance and writeWaitMs
 * must round it the same way, or the allowance says "wait" while the wait says "0 ms" and
 * a paced pass wakes itself at the same instant forever.
 */
const TOKEN_EPSILON = 1e-9;

/** One pacer wake-up at least this far apart (ms): at a short interval, a wake waits for a batch, not for one op. */
export const MIN_WAKE_GAP_MS = 250;

/**
 * ms per write op for one agent: `rateScaledInterval(servers × cap, 1000 / cap, nodes)`.
 * `nodes` agents each writing one op per interval put `servers × cap` ops/s on the fleet,
 * so `cap` on each server; the floor `1000 / cap` is the per-agent ceiling, because
 * an agent sends all its writes to one server (its front one). 100,000 nodes, 5
 * servers, 500/s: 40 s per op; 3 nodes: 2 ms (the floor).
 */
export function writeIntervalMs(settings: WriteCapSettings, counts: WriteCounts): number {
  const cap = settings.writesPerSecPerServer;
  const servers = counts.servers >= 1 ? counts.servers : 1;
  const nodes = counts.nodes >= 1 ? counts.nodes : 1;
  return rateScaledInterval(servers * cap, 1000 / cap, nodes);
}

/**
 * A fresh bucket: full, so a node of up to `writeBurst` entries registers (or takes over
 * its earlier run's entries) at once; a larger one is paced past that.
 */
export function fullBucket(settings: WriteCapSettings, nowMs: number): WriteBucket {
  return { tokens: settings.writeBurst, atMs: nowMs };
}

/**
 * The bucket after a session loss: a rewrite of everything follows, on every agent that
 * lost its session for the same reason at about the same time. No burst, and a random
 * phase `r` in [0, 1) of one interval, so the fleet's first paced writes do not line up.
 */
export function restartedBucket(nowMs: number, r: number): WriteBucket {
  return { tokens: -r, atMs: nowMs, phased: true };
}

/** The bucket once what was owed is written: it saves up to the burst again. */
export function settled(bucket: WriteBucket): WriteBucket {
  return bucket.phased ? { tokens: bucket.tokens, atMs: bucket.atMs } : bucket;
}

/**
 * A phased bucket's tokens with the slots that passed more than MIN_WAKE_GAP_MS ago
 * dropped: what is kept is the phase (the fraction) and the slots of the last gap, which a
 * wake-up timed for them finds (a batch of them when the interval is short).
 */
function dropMissedSlots(tokens: number, intervalMs: number): number {
  if (tokens < 1) return tokens;
  const whole = Math.floor(tokens);
  const fraction = tokens - whole;
  const sinceLastMs = fraction * intervalMs;
  const recent = sinceLastMs > MIN_WAKE_GAP_MS ? 0 : Math.floor((MIN_WAKE_GAP_MS - sinceLastMs) / intervalMs) + 1;
  return fraction + Math.min(whole, recent);
}

/**
 * The bucket filled up to `nowMs` at the interval the counts give now; never above the
 * burst. A phased bucket (a rewrite after a session loss) keeps no savings: see
 * {@link WriteBucket.phased}.
 */
export function refill(bucket: WriteBucket, nowMs: number, settings: WriteCapSettings, counts: WriteCounts): WriteBucket {
  const elapsedMs = nowMs - bucket.atMs;
  if (!(elapsedMs > 0)) return bucket;
  const intervalMs = writeIntervalMs(settings, counts);
  const tokens = Math.min(settings.writeBurst, bucket.tokens + elapsedMs / intervalMs);
  if (bucket.phased) return { tokens: dropMissedSlots(tokens, intervalMs), atMs: nowMs, phased: true };
  return { tokens: Math.max(bucket.tokens, tokens), atMs: nowMs };
}

/**
 * Ops the agent may write now from a refilled bucket. A bulk rewrite spends only tokens
 * it has; a user's change may borrow up to `writeBurst` ops ahead (the debt delays the
 * bulk writes that follow, never the user's).
 */
export function writeAllowance(bucket: WriteBucket, settings: WriteCapSettings, urgent: boolean): number {
  const whole = Math.floor(bucket.tokens + (urgent ? settings.writeBurst : 0) + TOKEN_EPSILON);
  return whole >= 1 ? whole : 0;
}

/** The bucket after `ops` writes. */
export function spend(bucket: WriteBucket, ops: number): WriteBucket {
  return bucket.phased ? { tokens: bucket.tokens - ops, atMs: bucket.atMs, phased: true } : { tokens: bucket.tokens - ops, atMs: bucket.atMs };
}

/**
 * ms until a refilled bucket allows `ops` writes of the class, at the interval the counts
 * give now; 0 when it already does. At least 1 ms when waiting, clamped to the longest timer.
 */
export function writeWaitMs(bucket: WriteBucket, settings: WriteCapSettings, counts: WriteCounts, ops: number, urgent: boolean): number {
  const missing = ops - (bucket.tokens + (urgent ? settings.writeBurst : 0));
  if (!(missing > TOKEN_EPSILON)) return 0;
  return clampDelay(Math.max(1, Math.ceil(missing * writeIntervalMs(settings, counts))));
}

/**
 * How many ops a deferred pass waits for before it is woken: one op when ops are far
 * apart (a fleet of 100,000: one op per 40 s), else as many as `MIN_WAKE_GAP_MS` brings,
 * never more than one call carries, the burst, or what is owed.
 */
export function wakeOps(settings: WriteCapSettings, counts: WriteCounts, owedOps: number, maxBatchOps: number): number {
  const perGap = Math.ceil(MIN_WAKE_GAP_MS / writeIntervalMs(settings, counts));
  return Math.max(1, Math.min(owedOps, maxBatchOps, Math.floor(settings.writeBurst), perGap));
}

/**
 * "How many writes may this agent make now": the whole rule in one step for a host that
 * keeps the bucket itself (the simulator). Refills to `nowMs` at the counts given, grants
 * up to `wanted` ops of the class and charges them. `waitMs`: how long until the next op
 * of the class may go, when some were not granted (0 when all were).
 */
export function writeStep(
  bucket: WriteBucket,
  nowMs: number,
  settings: WriteCapSettings,
  counts: WriteCounts,
  wanted: number,
  urgent: boolean,
): { bucket: WriteBucket; ops: number; waitMs: number } {
  const filled = refill(bucket, nowMs, settings, counts);
  const ops = Math.max(0, Math.min(wanted, writeAllowance(filled, settings, urgent)));
  const after = spend(filled, ops);
  return { bucket: after, ops, waitMs: ops < wanted ? writeWaitMs(after, settings, counts, 1, urgent) : 0 };
}
