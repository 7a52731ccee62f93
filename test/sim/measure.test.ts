import { describe, expect, it } from 'vitest';
import type { SeriesReport } from '../../src/sim/metrics.js';
import { peakFleetBucket, peakWindowRate } from '../../src/sim/scenarios/measure.js';

/** A report with `rows[server][bucket]` rebalances/s in 10 s buckets. */
function report(rows: number[][]): SeriesReport {
  const zeros = rows.map((r) => r.map(() => 0));
  return {
    bucketMs: 10_000,
    servers: rows.map((_, s) => `s${s}`),
    t: rows[0]!.map((_, b) => b * 10),
    series: {
      rebalancesPerSec: rows,
      newConnsPerSec: zeros,
      fullSyncsPerSec: zeros,
      partialSyncsPerSec: zeros,
      listsPerSec: zeros,
      countsPerSec: zeros,
      putsPerSec: zeros,
      deletesPerSec: zeros,
      sessionOpsPerSec: zeros,
      agents: zeros,
      syncLagMs: zeros,
      connAgeSec: zeros,
    },
  };
}

describe('peakWindowRate', () => {
  it('returns the busiest server and the start of its busiest 60 s window when one server has a burst', () => {
    // s1: 6 buckets of 10/s, then one bucket of 70/s: the window ending with it averages (5·10 + 70)/6 = 20.
    const r = report([
      [5, 5, 5, 5, 5, 5, 5, 5],
      [10, 10, 10, 10, 10, 10, 70, 10],
    ]);
    expect(peakWindowRate(r, 'rebalancesPerSec', 0, 80_000)).toEqual({ rate: 20, server: 1, atSec: 10 });
  });

  it('only counts windows that lie inside [from, to)', () => {
    const r = report([[100, 1, 1, 1, 1, 1, 1, 1]]);
    expect(peakWindowRate(r, 'rebalancesPerSec', 10_000, 80_000).rate).toBe(1);
    expect(peakWindowRate(r, 'rebalancesPerSec', 0, 50_000)).toEqual({ rate: 0, server: -1, atSec: NaN });
  });

  it('refuses a window that is not a whole number of buckets', () => {
    expect(() => peakWindowRate(report([[1, 1]]), 'rebalancesPerSec', 0, 20_000, 15_000)).toThrow(RangeError);
  });
});

describe('peakFleetBucket', () => {
  it('sums servers per bucket and returns the busiest bucket', () => {
    const r = report([
      [1, 2, 3],
      [4, 9, 1],
    ]);
    expect(peakFleetBucket(r, 'rebalancesPerSec', 0, 30_000)).toEqual({ rate: 11, atSec: 10 });
    expect(peakFleetBucket(r, 'rebalancesPerSec', 20_000, 30_000)).toEqual({ rate: 4, atSec: 20 });
  });
});
