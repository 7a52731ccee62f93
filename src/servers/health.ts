// One listed server and its health as this agent sees it: the state machine
// healthy → suspect → failed (by consecutive failures of calls and pings, or at once
// when the membership layer says so), draining (going away), and back to healthy on
// a success or a re-join. The client-side counterpart of Consul autopilot's server
// health (Consul leader/autopilot/session commit notes).
import type { HealthState, Server, ServerHealth } from './types.js';

/**
 * A listed server: the manager's frozen copy plus its health. Lists hold entries and
 * are replaced on every change; an entry lives as long as its name stays listed, so
 * health survives reorders, detail updates and moves between primaries and backups.
 * The name is read from `server` (never cached), so an entry can't disagree with it.
 */
export class ServerEntry {
  /** True while in the list (set by the roster when it lists the entry): late results for an unlisted one are ignored. */
  listed = false;
  /** The roster's bookkeeping: the last list rebuild that kept this entry. */
  mark = 0;
  state: HealthState = 'healthy';
  failures = 0;
  /** Undefined until the first success / failure: a timestamp field costs a boxed number per server. */
  lastSuccess: number | undefined = undefined;
  lastFailure: number | undefined = undefined;

  constructor(
    public server: Server,
    /** When `state` last changed, or when the server was listed. */
    public since: number,
  ) {}
}

/** Choice rank: lower is chosen first; `NEVER` is never chosen (draining). */
export const NEVER = 3;

/**
 * The rank of `entry` when choosing a server. With health on, healthy (0) before
 * suspect (1) before failed (2); with it off (Consul's behaviour) every server ranks
 * the same and only the list order counts. Draining servers are never chosen.
 */
export function rank(entry: ServerEntry, health: boolean): number {
  const state = entry.state;
  if (state === 'draining') return NEVER;
  if (!health || state === 'healthy') return 0;
  return state === 'suspect' ? 1 : 2;
}

function move(entry: ServerEntry, state: HealthState, now: number): HealthState | undefined {
  const previous = entry.state;
  if (previous === state) return undefined;
  entry.state = state;
  entry.since = now;
  return previous;
}

/** A call or ping succeeded: failures reset; suspect and failed become healthy. Returns the previous state if it changed. */
export function recordSuccess(entry: ServerEntry, now: number): HealthState | undefined {
  entry.failures = 0;
  entry.lastSuccess = now;
  return entry.state === 'suspect' || entry.state === 'failed' ? move(entry, 'healthy', now) : undefined;
}

/**
 * A call or ping failed: one more consecutive failure. Healthy becomes suspect, and
 * `threshold` failures in a row make it failed. Draining stays draining.
 */
export function recordFailure(entry: ServerEntry, now: number, threshold: number): HealthState | undefined {
  const failures = ++entry.failures;
  entry.lastFailure = now;
  if (entry.state === 'draining' || entry.state === 'failed') return undefined;
  return move(entry, failures >= threshold ? 'failed' : 'suspect', now);
}

/** The membership layer saw the server fail (serf's member-failed). Draining stays draining. */
export function markFailed(entry: ServerEntry, now: number): HealthState | undefined {
  entry.lastFailure = now;
  return entry.state === 'draining' ? undefined : move(entry, 'failed', now);
}

/** The server is going away: never chosen again. */
export function markDraining(entry: ServerEntry, now: number): HealthState | undefined {
  return move(entry, 'draining', now);
}

/** The server (re-)joined: whatever it was, it is healthy with no failures counted. */
export function markJoined(entry: ServerEntry, now: number): HealthState | undefined {
  entry.failures = 0;
  return move(entry, 'healthy', now);
}

/** The public snapshot of `entry` at `now`. */
export function snapshot(entry: ServerEntry, backup: boolean, now: number): ServerHealth {
  const lastSuccess = entry.lastSuccess;
  return {
    server: entry.server,
    state: entry.state,
    healthy: entry.state === 'healthy',
    backup,
    consecutiveFailures: entry.failures,
    lastSuccess,
    lastFailure: entry.lastFailure,
    lastContact: lastSuccess === undefined ? undefined : now - lastSuccess,
    stableSince: entry.since,
  };
}
