// The fleet write cap's pure steps: the interval table (the worked numbers of
// docs/tuning.md), the bucket on both sides of each boundary, the clamp, and a fleet of
// agents run on these steps alone staying under servers × cap in every window.
import { describe, expect, it } from 'vitest';
import { MAX_TIMER_MS } from '../../src/shared/clock.js';
import { seededRandom } from '../../src/testing.js';
import {
  fullBucket,
  MIN_WAKE_GAP_MS,
  refill,
  restartedBucket,
  settled,
  spend,
  wakeOps,
  writeAllowance,
  writeIntervalMs,
  writeStep,
  writeWaitMs,
  type WriteBucket,
  type WriteCapSettings,
} from '../../src/catalog/writeCap.js';

const cap = (writesPerSecPerServer: number, writeBurst = 128): WriteCapSettings => ({ writesPerSecPerServer, writeBurst });

describe('writeIntervalMs', () => {
  it.each([
    // nodes, servers, cap → ms per op; full re-registration of 10 entries each = 10 × interval
    [100_000, 5, 500, 40_000],
    [100_000, 1, 500, 200_000], // 1 of 5 servers reachable: the share shrinks with them
    [10_000, 5, 500, 4_000],
    [1_000, 5, 500, 400],
    [5, 5, 500, 2], // the agent's own ceiling: 1000 / cap
    [1, 3, 500, 2],
    [1_000_000, 5, 500, 400_000],
  ])('gives %i nodes on %i servers at %i writes/s per server one op per %i ms', (nodes, servers, perServer, ms) => {
    expect(writeIntervalMs(cap(perServer), { nodes, servers })).toBeCloseTo(ms, 6);
  });

  it('counts nonsense counts (0, NaN) as 1 node and 1 server', () => {
    expect(writeIntervalMs(cap(500), { nodes: 0, servers: 0 })).toBe(2);
    expect(writeIntervalMs(cap(500), { nodes: Number.NaN, servers: Number.NaN })).toBe(2);
  });
});

describe('the write bucket', () => {
  const s = cap(1, 4); // 3 servers, 30 nodes: one op per 10 s
  const counts = { nodes: 30, servers: 3 };

  it('fills one token per interval, never above the burst', () => {
    const b: WriteBucket = { tokens: 0, atMs: 0 };
    expect(writeAllowance(refill(b, 9_999, s, counts), s, false)).toBe(0);
    expect(writeAllowance(refill(b, 10_000, s, counts), s, false)).toBe(1);
    expect(writeAllowance(refill(b, 39_999, s, counts), s, false)).toBe(3);
    expect(writeAllowance(refill(b, 40_000, s, counts), s, false)).toBe(4);
    expect(writeAllowance(refill(b, 1_000_000, s, counts), s, false)).toBe(4);
  });

  it('after a restart keeps no savings: a slot the agent did not take within MIN_WAKE_GAP_MS is lost, its phase kept', () => {
    const b = restartedBucket(0, 0);
    // Slots at 10 s, 20 s, 30 s, …: at 30 s exactly one is there (the one due now), none saved.
    expect(writeAllowance(refill(b, 30_000, s, counts), s, false)).toBe(1);
    expect(writeAllowance(refill(b, 30_000 + MIN_WAKE_GAP_MS, s, counts), s, false)).toBe(1);
    const late = refill(b, 30_000 + MIN_WAKE_GAP_MS + 1, s, counts);
    expect(writeAllowance(late, s, false)).toBe(0);
    // The phase is kept: the next slot is at 40 s, as it would have been.
    expect(writeWaitMs(late, s, counts, 1, false)).toBe(10_000 - MIN_WAKE_GAP_MS - 1);
    // A user's change still goes at once (it borrows ahead).
    expect(writeAllowance(late, s, true)).toBe(4);
    // Once what was owed is written, the bucket saves up again.
    expect(writeAllowance(refill(settled(late), 1_000_000, s, counts), s, false)).toBe(4);
  });

  it('after a restart keeps a whole gap\'s worth of slots when they come faster than MIN_WAKE_GAP_MS', () => {
    const fast = cap(500, 128);
    const small = { nodes: 3, servers: 3 }; // one op per 2 ms
    expect(writeAllowance(refill(restartedBucket(0, 0), 10_000, fast, small), fast, false)).toBe(MIN_WAKE_GAP_MS / 2 + 1);
  });

  it('starts full, and a restart starts empty with a random phase of one interval', () => {
    expect(writeAllowance(fullBucket(s, 0), s, false)).toBe(4);
    const phased = restartedBucket(0, 0.25);
    expect(writeAllowance(refill(phased, 12_499, s, counts), s, false)).toBe(0);
    expect(writeAllowance(refill(phased, 12_500, s, counts), s, false)).toBe(1);
  });

  it('lets a user change borrow up to the burst, and the debt delays the bulk writes after it', () => {
    const b: WriteBucket = spend(restartedBucket(0, 0), 0);
    expect(writeAllowance(b, s, true)).toBe(4);
    const inDebt = spend(b, 4);
    expect(writeAllowance(inDebt, s, true)).toBe(0);
    expect(writeWaitMs(inDebt, s, counts, 1, false)).toBe(50_000); // 4 tokens of debt + 1
    expect(writeWaitMs(inDebt, s, counts, 1, true)).toBe(10_000);
    expect(writeAllowance(refill(inDebt, 49_999, s, counts), s, false)).toBe(0);
    expect(writeAllowance(refill(inDebt, 50_000, s, counts), s, false)).toBe(1);
  });

  it('waits 0 when the ops are there, at least 1 ms otherwise, and never past the longest timer', () => {
    expect(writeWaitMs(fullBucket(s, 0), s, counts, 4, false)).toBe(0);
    expect(writeWaitMs(restartedBucket(0, 0.99999999), cap(1e9), counts, 1, false)).toBe(1);
    // 10,000 ops owed at one op per ~3.3e10 ms: far past 2^31 − 1.
    expect(writeWaitMs(restartedBucket(0, 0), cap(0.001), { nodes: 100_000, servers: 3 }, 10_000, false)).toBe(MAX_TIMER_MS);
  });

  it('agrees with writeAllowance to the last bit: a wait of 0 ms exactly when the ops are allowed (a bucket one ulp short of an op)', () => {
    // 0.9999999999999999 is what a refill leaves when one op is due after rounding; the two
    // steps once disagreed on it, and a paced pass woke itself at the same instant forever.
    const oneUlpShort = { tokens: 0.9999999999999999, atMs: 0, phased: true };
    expect(writeAllowance(oneUlpShort, s, false)).toBe(1);
    expect(writeWaitMs(oneUlpShort, s, counts, 1, false)).toBe(0);
    const random = seededRandom(11);
    for (let i = 0; i < 20_000; i++) {
      const whole = Math.floor(random() * 6) - 2;
      const tokens = whole + [0, 1e-12, 1 - 1e-12, 1 - 2 ** -53, random()][i % 5]!;
      const ops = 1 + Math.floor(random() * 4);
      const urgent = random() < 0.3;
      const bucket: WriteBucket = { tokens, atMs: 0 };
      const allowed = writeAllowance(bucket, s, urgent) >= ops;
      expect({ tokens, ops, urgent, waits: writeWaitMs(bucket, s, counts, ops, urgent) > 0 }).toEqual({ tokens, ops, urgent, waits: !allowed });
    }
  });

  it('takes the interval the counts give at each refill (the cluster grew: the tokens come slower)', () => {
    const b = restartedBucket(0, 0);
    expect(writeAllowance(refill(b, 10_000, s, { nodes: 60, servers: 3 }), s, false)).toBe(0);
    expect(writeAllowance(refill(b, 20_000, s, { nodes: 60, servers: 3 }), s, false)).toBe(1);
  });
});

describe('writeStep', () => {
  const s = cap(1, 4);
  const counts = { nodes: 30, servers: 3 };

  it('grants what the bucket holds, charges it, and says when to ask again for the rest', () => {
    const first = writeStep({ tokens: 0, atMs: 0 }, 25_000, s, counts, 5, false);
    expect(first).toMatchObject({ ops: 2, waitMs: 5_000 }); // 2.5 tokens: 2 now, the third in 5 s
    expect(first.bucket.tokens).toBeCloseTo(0.5, 9);
    expect(writeStep(first.bucket, 29_999, s, counts, 3, false).ops).toBe(0);
    expect(writeStep(first.bucket, 30_000, s, counts, 3, false).ops).toBe(1);
  });

  it('grants a user change at once from an empty bucket, up to the burst, and nothing it did not ask for', () => {
    const step = writeStep(restartedBucket(0, 0), 0, s, counts, 1, true);
    expect(step).toMatchObject({ ops: 1, waitMs: 0 });
    expect(step.bucket.tokens).toBe(-1);
    expect(writeStep(restartedBucket(0, 0), 0, s, counts, 9, true)).toMatchObject({ ops: 4, waitMs: 10_000 });
    expect(writeStep(fullBucket(s, 0), 0, s, counts, 0, false)).toMatchObject({ ops: 0, waitMs: 0 });
  });
});

describe('wakeOps', () => {
  it('wakes for one op when ops are far apart and for a gap\'s worth when they are close', () => {
    expect(wakeOps(cap(500), { nodes: 100_000, servers: 5 }, 10, Infinity)).toBe(1);
    expect(wakeOps(cap(500), { nodes: 1, servers: 3 }, 10_000, Infinity)).toBe(MIN_WAKE_GAP_MS / 2);
    expect(wakeOps(cap(500, 8), { nodes: 1, servers: 3 }, 10_000, Infinity)).toBe(8);
    expect(wakeOps(cap(500), { nodes: 1, servers: 3 }, 10_000, 4)).toBe(4);
    expect(wakeOps(cap(500), { nodes: 1, servers: 3 }, 3, Infinity)).toBe(3);
  });
});

/** The busiest 60 s of the writes at `writesAt` (ms), per server per second with the fleet spread over `servers`. */
function peakPerServerPerSec(writesAt: number[], servers: number): number {
  const sorted = [...writesAt].sort((x, y) => x - y);
  let peak = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while ((sorted[j] as number) <= (sorted[i] as number) - 60_000) j++;
    peak = Math.max(peak, i - j + 1);
  }
  return peak / 60 / servers;
}

/**
 * One agent's bulk rewrite of `owed` entries on the steps alone, from `startMs`: a write
 * whenever its allowance says so, else a wake when the pacer would set it. Pushes each
 * write's time onto `writesAt`.
 */
function rewrite(bucket: WriteBucket, startMs: number, owed: number, s: WriteCapSettings, counts: { nodes: number; servers: number }, writesAt: number[]): void {
  let now = startMs;
  for (let guard = 0; owed > 0; guard++) {
    if (guard > 10_000) throw new Error(`the rewrite made no progress at ${now} ms`);
    bucket = refill(bucket, now, s, counts);
    const ops = Math.min(owed, writeAllowance(bucket, s, false));
    if (ops > 0) {
      bucket = spend(bucket, ops);
      for (let i = 0; i < ops; i++) writesAt.push(now);
      owed -= ops;
      continue;
    }
    now += writeWaitMs(bucket, s, counts, wakeOps(s, counts, owed, Infinity), false);
  }
}

describe('a fleet on the steps alone', () => {
  it('keeps every 60 s window of a session-loss rewrite under servers × cap and writes every entry within N·M / (S × cap) + one interval', () => {
    const nodes = 2_000;
    const servers = 5;
    const entries = 10;
    const s = cap(20, 128);
    const counts = { nodes, servers };
    const intervalMs = writeIntervalMs(s, counts);
    expect(intervalMs).toBe(20_000);
    const random = seededRandom(42);
    const writesAt: number[] = [];
    for (let a = 0; a < nodes; a++) rewrite(restartedBucket(0, random()), 0, entries, s, counts, writesAt);
    expect(writesAt).toHaveLength(nodes * entries);
    const lastMs = Math.max(...writesAt);
    const idealMs = (1000 * nodes * entries) / (servers * s.writesPerSecPerServer);
    expect(lastMs).toBeLessThanOrEqual(idealMs + intervalMs);
    const perServerPerSec = peakPerServerPerSec(writesAt, servers);
    expect(perServerPerSec).toBeLessThanOrEqual(s.writesPerSecPerServer * 1.1);
    expect(perServerPerSec).toBeGreaterThan(s.writesPerSecPerServer * 0.8); // and the cap is used, not wasted
  });

  it('keeps every 60 s window under the cap when the agents come back at different times after the loss (a partition, then staggered retries)', () => {
    const nodes = 2_000;
    const servers = 5;
    const entries = 10;
    const s = cap(20, 128);
    const counts = { nodes, servers };
    const intervalMs = writeIntervalMs(s, counts); // 20 s
    const random = seededRandom(7);
    const writesAt: number[] = [];
    for (let a = 0; a < nodes; a++) {
      const bucket = restartedBucket(0, random());
      // Cut off for 60 s after the loss, then back when its retried full sync runs: within 120 s.
      rewrite(bucket, 60_000 + Math.floor(random() * 120_000), entries, s, counts, writesAt);
    }
    expect(peakPerServerPerSec(writesAt, servers)).toBeLessThanOrEqual(s.writesPerSecPerServer * 1.1);
    // Each agent's last write: its return plus its M slots, at most one interval late.
    expect(Math.max(...writesAt)).toBeLessThanOrEqual(180_000 + (entries + 1) * intervalMs);
  });
});
