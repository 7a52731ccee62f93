// The rebalance loop's timing rules as step functions of (settings, state, now, counts,
// random): the jittered first wait, the capped next one, a request served no sooner than
// the spacing allows, and the re-arm when the number of reachable servers changes. The
// embedded manager (loop.ts) and the simulator's engine both call these: one copy of
// each rule. They read the clock and draw randomness only through their arguments.
import { clampDelay } from '../shared/clock.js';
import { randomStagger } from '../shared/stagger.js';
import type { ManagerSettings } from './options.js';
import { capIntervalMs, rebalanceDelay } from './rebalance.js';

/** The settings the rules read. */
export type LoopSettings = Pick<
  ManagerSettings,
  'minReuseMs' | 'jitterFraction' | 'jitterFirstRebalance' | 'jitterCappedWait' | 'rearmOnChange' | 'health' | 'connsPerSecPerServer'
>;

/** Where the loop is: before its first wait, waiting, rebalancing, or stopped. */
export type LoopPhase = 'initial' | 'running' | 'waiting' | 'stopped';

/** One loop's state: numbers and flags only (a host may keep many). */
export interface LoopState {
  phase: LoopPhase;
  /** When the last rebalance started; NaN before the first. */
  lastStart: number;
  /** When the pending rebalance is due; NaN when none is armed. */
  dueAt: number;
  /** The delay the fleet's remaining waits are taken to spread over, and the count it belongs to. */
  armedDelay: number;
  armedServers: number;
  /** A request arrived during a rebalance: the next wait ends no later than the spacing allows. */
  requestPending: boolean;
}

/** What the loop's delays depend on, read by the host at the moment of the step. */
export interface LoopCounts {
  /** The number of servers the rate cap divides by (reachable servers, or every listed one without health). */
  servers: number;
  /** The cluster size the cap scales with. */
  nodes: number;
}

export function initialLoopState(): LoopState {
  return { phase: 'initial', lastStart: Number.NaN, dueAt: Number.NaN, armedDelay: Number.NaN, armedServers: 0, requestPending: false };
}

/** The longest wait the reuse jitter alone gives: a delay above it is the cap's. */
export function jitterTopMs(settings: LoopSettings): number {
  return settings.minReuseMs * (1 + 1 / settings.jitterFraction);
}

/** Shortest gap between two rebalance starts that a request or a re-arm may cause. */
export function spacingMs(settings: LoopSettings): number {
  return settings.minReuseMs / settings.jitterFraction;
}

/** The soonest a request or a re-arm may start a rebalance: the spacing after the last start (now if none yet). */
function earliest(settings: LoopSettings, state: LoopState, now: number): number {
  const last = state.lastStart;
  return Number.isNaN(last) ? now : Math.max(now, last + spacingMs(settings));
}

function arm(state: LoopState, now: number, servers: number, ms: number, delay: number): number {
  state.dueAt = now + ms;
  state.armedDelay = Number.isNaN(delay) ? ms : delay;
  state.armedServers = servers;
  return ms;
}

/**
 * A wait the cap stretched (`d` above the whole jitter window) gets its own jitter,
 * `d + U(0, d / jitterFraction)`: agents that rebalanced together would otherwise come
 * back together every `d`. Waits stay ≥ d, so the cap still holds.
 */
function capJitter(settings: LoopSettings, d: number, random: () => number): number {
  if (!settings.jitterCappedWait || !(d > jitterTopMs(settings))) return d;
  return clampDelay(d + randomStagger(d / settings.jitterFraction, random));
}

/** The first wait: `minReuseDuration + U(0, minReuseDuration / jitterFraction)` (no jitter when `jitterFirstRebalance` is off). */
export function firstDelay(settings: LoopSettings, state: LoopState, now: number, servers: number, random: () => number): number {
  const { minReuseMs, jitterFraction, jitterFirstRebalance } = settings;
  const jitter = jitterFirstRebalance ? randomStagger(minReuseMs / jitterFraction, random) : 0;
  return arm(state, now, servers, clampDelay(minReuseMs + jitter), Number.NaN);
}

/**
 * The wait after a rebalance: `rebalanceDelay()` at the current counts, jittered when the
 * cap stretched it; a request that arrived during the rebalance shortens it to the spacing.
 */
export function nextDelay(settings: LoopSettings, state: LoopState, now: number, counts: LoopCounts, random: () => number): number {
  state.phase = 'waiting';
  const normal = rebalanceDelay(settings, counts.servers, counts.nodes, random);
  const wait = capJitter(settings, normal, random);
  if (!state.requestPending) return arm(state, now, counts.servers, wait, normal);
  state.requestPending = false;
  return arm(state, now, counts.servers, clampDelay(Math.min(wait, earliest(settings, state, now) - now)), normal);
}

/** A rebalance starts now. */
export function runStarted(state: LoopState, now: number): void {
  state.phase = 'running';
  state.lastStart = now;
}

/** What a step asks of the loop's machine: nothing, a rebalance at once, or the wait restarted with `delayMs`. */
export type LoopAction = { type: 'none' } | { type: 'rebalanceNow' } | { type: 'rearm'; delayMs: number };

const NONE: LoopAction = Object.freeze({ type: 'none' });
const NOW: LoopAction = Object.freeze({ type: 'rebalanceNow' });

/** Moves the pending rebalance to `at`: only when that is sooner, unless `later` allows a later one. */
function moveTo(state: LoopState, at: number, now: number, later: boolean): LoopAction {
  if (later ? at === state.dueAt : !(at < state.dueAt)) return NONE;
  state.dueAt = at;
  // Whole milliseconds, rounded up: clocks truncate fractions, and "no sooner than" must hold.
  return { type: 'rearm', delayMs: clampDelay(Math.ceil(at - now)) };
}

/**
 * A rebalance was requested: at once, but never sooner than the spacing after the
 * previous start (then at that moment); during a rebalance, right after it.
 */
export function requestRebalance(settings: LoopSettings, state: LoopState, now: () => number): LoopAction {
  const phase = state.phase;
  if (phase === 'stopped') return NONE;
  if (phase === 'running') {
    state.requestPending = true;
    return NONE;
  }
  const t = now();
  const allowedAt = earliest(settings, state, t);
  if (allowedAt <= t) return NOW;
  return moveTo(state, allowedAt, t, false);
}

/**
 * The number of servers the cap divides by may have changed (docs/server-manager.md,
 * "Re-arm on change"; the trade-offs are in docs/tuning.md). When the cap binds at
 * either count — the pending wait was set by it (its delay above the whole jitter
 * window) or the delay at the new count is — the wait is drawn again, `U(0, d1)` at the
 * new delay d1, never sooner than the spacing allows. Growth never re-times a first
 * wait it did not draw; when the cap binds at neither count, nothing moves.
 * `counts` and `now` are read only when the rule needs them.
 */
export function serversChanged(
  settings: LoopSettings,
  state: LoopState,
  servers: () => number,
  nodes: () => number,
  now: () => number,
  random: () => number,
): LoopAction {
  const phase = state.phase;
  if (!settings.rearmOnChange || (phase !== 'waiting' && phase !== 'initial')) return NONE;
  const count = servers();
  if (count === state.armedServers) return NONE;
  const grew = count > state.armedServers;
  state.armedServers = count;
  const t = now();
  const d0 = state.armedDelay;
  let d1: number;
  if (grew) {
    if (!(d0 > jitterTopMs(settings))) return NONE;
    d1 = rebalanceDelay(settings, count, nodes(), random);
  } else {
    d1 = capIntervalMs(settings, count, nodes());
    if (!(d1 > jitterTopMs(settings) && d1 > d0)) return NONE;
  }
  state.armedDelay = d1;
  return moveTo(state, Math.max(t + randomStagger(d1, random), earliest(settings, state, t)), t, true);
}

/** The loop stopped: no rule moves it again. */
export function loopStopped(state: LoopState): void {
  state.phase = 'stopped';
}
