// An upstream claim (Consul, Nomad) beside the simulator's measurement, and the verdict rule used by
// every scenario: within 15 % "holds", within a factor of 1.5 "roughly", else
// "differs"; bounds ("at most") hold when the measurement stays under them; exact
// figures (integer factors) hold only when equal. A claim is the upstream figure only
// where the run's size is the one upstream gives it for; elsewhere it is the formula's.
// Also: where the consul and ae-sync runs start to differ (the library's own cap rule),
// and upstream sources named for operators.
import { capIntervalMs } from '../servers/rebalance.js';
import { jitterTopMs } from '../servers/loopRules.js';
import { CONNS_PER_SEC_PER_SERVER, JITTER_FRACTION, MIN_REUSE_DURATION_MS } from '../servers/options.js';

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
  /** Where the claim comes from (upstream component and wording, see {@link operatorSource}) or how it was derived. */
  source: string;
}

/** Tolerances of {@link verdictFor}. */
export const HOLDS_WITHIN = 0.15;
export const ROUGHLY_WITHIN = 1.5;

export type CompareMode = 'equal' | 'atMost' | 'atLeast' | 'exact';

export function verdictFor(claim: number | null, measured: number | null, mode: CompareMode = 'equal'): Verdict {
  if (measured === null || !Number.isFinite(measured)) return 'not reached';
  if (claim === null) return 'n/a';
  if (mode === 'exact') return measured === claim ? 'holds' : 'differs';
  if (mode === 'atMost') return measured <= claim ? 'holds' : measured <= claim * ROUGHLY_WITHIN ? 'roughly' : 'differs';
  if (mode === 'atLeast') return measured >= claim ? 'holds' : measured >= claim / ROUGHLY_WITHIN ? 'roughly' : 'differs';
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
    claimText: options.claimText ?? (c === null ? '—' : `${options.mode === 'atMost' ? '≤ ' : options.mode === 'atLeast' ? '≥ ' : ''}${formatNumber(c)}`),
    basis: c === null ? 'none' : (options.basis ?? 'formula'),
    measured: m,
    measuredText: formatNumber(m),
    unit,
    ratio: c !== null && c !== 0 && m !== null ? round(m / c) : null,
    verdict: verdictFor(c, m, options.mode),
    source: operatorSource(source),
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

/**
 * Upstream citations as an operator knows them: the component, not its Go file, and the
 * setting, not its Go identifier. Scenarios cite upstream as contributors do ("Consul
 * agent/router/manager.go"); every row's source passes through {@link operatorSource} once.
 */
const COMPONENTS: readonly (readonly [string, string])[] = [
  ['Consul agent/router/manager.go', "Consul's server manager"],
  ['Nomad client/rpc_proxy/rpc_proxy.go', "Nomad's RPC proxy"],
  ['Consul agent/ae/ae.go', "Consul's anti-entropy sync"],
  ['the manager.go', "Consul's server manager"],
  ['Consul agent/consul/client_serf.go', "Consul's client membership handling"],
  ['Consul agent/consul/client.go', "Consul's client RPC"],
  ['Nomad client/rpc.go', "Nomad's client RPC"],
];
const SETTINGS: readonly (readonly [string, string])[] = [
  ['newRebalanceConnsPerSecPerServer', 'connection cap'],
  ['clientRPCJitterFraction', 'reuse jitter'],
  ['clientRPCMinReuseDuration', 'minimum reuse duration'],
  ['scaleThreshold comment', 'comment on its scale threshold'],
  ['staggerFn', 'stagger'],
  ['serverUpIntv', 'server-up interval'],
  ['syncChangesEventFn', 'handling of local changes'],
];

/** `source` with upstream Go file names and identifiers replaced by what they are ({@link COMPONENTS}, {@link SETTINGS}). */
export function operatorSource(source: string): string {
  let out = source;
  for (const [file, component] of COMPONENTS) {
    for (const [id, name] of SETTINGS) out = out.split(`${file} ${id}`).join(`${component}'s ${name}`);
    out = out.split(file).join(component);
  }
  for (const [id, name] of SETTINGS) out = out.split(id).join(name);
  return out;
}

/** The server manager's settings that decide when its rate cap binds. */
export interface CapSettings {
  minReuseMs: number;
  jitterFraction: number;
  connsPerSecPerServer: number;
}

/** The library's defaults (`minReuseDuration`, `jitterFraction`, `connsPerSecPerServer`). */
export const LIBRARY_CAP_SETTINGS: CapSettings = { minReuseMs: MIN_REUSE_DURATION_MS, jitterFraction: JITTER_FRACTION, connsPerSecPerServer: CONNS_PER_SEC_PER_SERVER };

/** Past this many agents the search gives up: the cap never binds (a reuse window beyond the longest timer). */
const MAX_FLEET = 2 ** 40;

/**
 * The fewest agents on `servers` servers for which the server manager's rate cap binds:
 * its cap interval (`capIntervalMs`, the wait that keeps each server under
 * `connsPerSecPerServer` new connections/s) is above the whole reuse jitter window
 * (`jitterTopMs`). Below it the cap never stretches a wait, so the ae-sync run's cap-only
 * behaviour (re-arming a stretched wait, jittering it, dividing by reachable servers)
 * changes nothing against the consul run. Found by bisection over the library's own rule
 * (monotone in the fleet size), not a copy of its arithmetic; Infinity when it never binds.
 */
export function capBindingFleet(servers: number, settings: CapSettings = LIBRARY_CAP_SETTINGS): number {
  if (!(Number.isInteger(servers) && servers >= 1)) throw new RangeError(`servers must be an integer >= 1, received ${String(servers)}`);
  const rule = { ...settings, health: true, jitterFirstRebalance: true, jitterCappedWait: true, rearmOnChange: true };
  const top = jitterTopMs(rule);
  const binds = (n: number): boolean => capIntervalMs(rule, servers, n) > top;
  if (!binds(MAX_FLEET)) return Number.POSITIVE_INFINITY;
  let lo = 0; // does not bind (no agents)
  let hi = MAX_FLEET; // binds
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (binds(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}
