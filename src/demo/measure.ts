// Small measures and formats for the demo's report: the densest window of start
// offsets (the stagger check) and human-readable durations.

/** Largest number of offsets inside any window of `windowMs`. */
export function peakWithin(sortedOffsets: readonly number[], windowMs: number): number {
  let peak = 0;
  let start = 0;
  for (let end = 0; end < sortedOffsets.length; end++) {
    while ((sortedOffsets[end] as number) - (sortedOffsets[start] as number) >= windowMs) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

export function fmt(ms: number | undefined | null): string {
  if (ms === null) return '—';
  if (ms === undefined) return 'never';
  return ms >= 1_000 ? `${(ms / 1_000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}
