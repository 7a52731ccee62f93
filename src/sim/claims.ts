// An upstream claim (Consul, Nomad) beside the simulator's measurement, and the verdict rule used by
// every scenario: within 15 % "holds", within a factor of 1.5 "roughly", else
// "differs"; bounds ("at most") hold when the measurement stays under them; exact
// figures (integer factors) hold only when equal. A claim is the upstream figure only
// where the run's size is the one upstream gives it for; elsewhere it is the formula's.

export type Verdict = 'holds' | 'roughly' | 'differs' | 'not reached' | 'run ended first' | 'n/a';

/**
 * Where a claim's number comes from: `upstream` — the figure upstream states, for a run of
 * the size it states it for; `formula` — upstream's arithmetic (or a bound derived from
 * it) evaluated at the run's own size; `none` — no claim, measured only.
 */
export type ClaimBasis = 'upstream' | 'formula' | 'none';

export interface ClaimRow {
  scenario: string;
  /** What is compared, with its unit. */
  what: string;
  /** The claimed value in `unit`; null when the upstream source gives no number (then `claimText` says why). */
  claim: number | null;
  claimText: string;
  basis: ClaimBasis;
  measured: number | null;
  /** How the measurement is printed (e.g. "none in 10.0 min" when the run ended before the event). */
  measuredText: string;
  unit: string;
  /** measured / claim; null when either is missing or the claim is 0. */
  ratio: number | null;
  verdict: Verdict;
  /** Where the claim comes from (upstream project, file and wording) or how it was derived. */
  source: string;
}

/** Tolerances of {@link verdictFor}. */
export const HOLDS_WITHIN = 0.15;
export const ROUGHLY_WITHIN = 1.5;

export type CompareMode = 'equal' | 'atMost' | 'exact';

export function verdictFor(claim: number | null, measured: number | null, mode: CompareMode = 'equal'): Verdict {
  if (measured === null || !Number.isFinite(measured)) return 'not reached';
  if (claim === null) return 'n/a';
  if (mode === 'exact') return measured === claim ? 'holds' : 'differs';
  if (mode === 'atMost') return measured <= claim ? 'holds' : measured <= claim * ROUGHLY_WITHIN ? 'roughly' : 'differs';
  if (claim === 0) return measured === 0 ? 'holds' : 'differs';
  const r = measured / claim;
  if (Math.abs(r - 1) <= HOLDS_WITHIN) return 'holds';
  if (r <= ROUGHLY_WITHIN && r >= 1 / ROUGHLY_WITHIN) return 'roughly';
  return 'differs';
}

/** Builds a row; numbers are rounded so that reports are byte-stable. */
export function claimRow(
  scenario: string,
  what: string,
  unit: string,
  claim: number | null,
  measured: number | null,
  source: string,
  options: { claimText?: string; mode?: CompareMode; basis?: ClaimBasis } = {},
): ClaimRow {
  const m = measured !== null && Number.isFinite(measured) ? round(measured) : null;
  const c = claim === null ? null : round(claim);
  return {
    scenario,
    what,
    claim: c,
    claimText: options.claimText ?? (c === null ? '—' : `${options.mode === 'atMost' ? '≤ ' : ''}${formatNumber(c)}`),
    basis: c === null ? 'none' : (options.basis ?? 'formula'),
    measured: m,
    measuredText: formatNumber(m),
    unit,
    ratio: c !== null && c !== 0 && m !== null ? round(m / c) : null,
    verdict: verdictFor(c, m, options.mode),
    source,
  };
}

/**
 * Rows whose event never happened in a run of `durationMs`: say that the run ended first
 * (and how long it was) instead of a bare "not reached".
 */
export function markEndedFirst(rows: readonly ClaimRow[], durationMs: number): ClaimRow[] {
  return rows.map((r) =>
    r.verdict === 'not reached' ? { ...r, verdict: 'run ended first', measuredText: `none in ${formatNumber(durationMs / 60_000)} min` } : r,
  );
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Fixed, locale-free formatting: up to 3 significant decimals, no exponent. */
export function formatNumber(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '—';
  const abs = Math.abs(x);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return x.toFixed(digits);
}
