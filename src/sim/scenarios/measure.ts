// Peak rates read from a run's series report: the busiest server over any sliding
// window (Consul's cap is a per-server rate, so the measure is recycled connections
// per second at one server, averaged over the window) and the busiest fleet-wide bucket.
import type { RateSeries, SeriesReport } from '../metrics.js';

/** 60 s: the window the cap of 64 recycled connections/s/server is averaged over. */
export const CAP_WINDOW_MS = 60_000;

export interface WindowPeak {
  /** Mean per-second rate over the busiest window; 0 when no window fits. */
  rate: number;
  /** Index of the server it was at (-1: none). */
  server: number;
  /** Start of the window, simulated seconds. */
  atSec: number;
}

/** Per server, `series` per bucket; several series are added up (writes: puts + deletes). */
function rowsOf(report: SeriesReport, series: RateSeries | readonly RateSeries[]): number[][] {
  if (typeof series === 'string') return report.series[series];
  const rows = report.series[series[0] as RateSeries].map((row) => row.slice());
  for (const name of series.slice(1)) report.series[name].forEach((row, s) => row.forEach((v, b) => (rows[s]![b]! += v)));
  return rows;
}

/**
 * The highest mean of `series` (or of several added up) at one server over any `windowMs` window that lies
 * within [fromMs, toMs). `windowMs` must be a whole number of buckets.
 */
export function peakWindowRate(report: SeriesReport, series: RateSeries | readonly RateSeries[], fromMs: number, toMs: number, windowMs = CAP_WINDOW_MS): WindowPeak {
  const w = windowMs / report.bucketMs;
  if (!Number.isInteger(w) || w < 1)
    throw new RangeError(`windowMs must be a whole number of ${report.bucketMs} ms buckets, received ${windowMs}`);
  const first = Math.ceil(fromMs / report.bucketMs);
  const end = Math.min(report.t.length, Math.floor(toMs / report.bucketMs));
  const peak: WindowPeak = { rate: 0, server: -1, atSec: NaN };
  rowsOf(report, series).forEach((row, s) => {
    let sum = 0;
    for (let b = first; b < end; b++) {
      sum += row[b] ?? 0;
      if (b - first >= w) sum -= row[b - w] ?? 0;
      if (b - first + 1 >= w && sum / w > peak.rate) {
        peak.rate = sum / w;
        peak.server = s;
        peak.atSec = report.t[b - w + 1] ?? NaN;
      }
    }
  });
  return peak;
}

/** The highest fleet-wide (summed over servers) per-second rate of `series` in one bucket within [fromMs, toMs). */
export function peakFleetBucket(report: SeriesReport, series: RateSeries, fromMs: number, toMs: number): { rate: number; atSec: number } {
  const first = Math.max(0, Math.floor(fromMs / report.bucketMs));
  const end = Math.min(report.t.length, Math.ceil(toMs / report.bucketMs));
  let rate = 0;
  let atSec = NaN;
  for (let b = first; b < end; b++) {
    let sum = 0;
    for (const row of report.series[series]) sum += row[b] ?? 0;
    if (sum > rate) {
      rate = sum;
      atSec = report.t[b] ?? NaN;
    }
  }
  return { rate, atSec };
}
