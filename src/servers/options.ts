// The server manager's design constants and options: every default with its unit and
// the trade-off it controls, and the validation that turns user options into settings
// (one message form: TypeError/RangeError naming the option and the value received).
import { MAX_TIMER_MS, systemClock, type Clock } from '../shared/clock.js';
import { checkLogger, type Logger } from '../shared/logger.js';
import { checkClock, describeValue, durationMs, fn, optionalPositiveNumber } from '../shared/options.js';
import type { InspectionEvent, Observer } from 'xstate';
import type { Pinger, Server } from './types.js';
import type { TelemetryOptions } from '../telemetry/providers.js';

/**
 * Shortest time an agent keeps sending to the same server before a rebalance
 * may move it elsewhere, ms. Long enough to reuse a connection across many RPCs,
 * short enough that a server added to a cluster gets its share within minutes.
 * Defaults to 120 s (Consul's `clientRPCMinReuseDuration`).
 */
export const MIN_REUSE_DURATION_MS = 120_000;

/**
 * The reuse period is stretched by a random `[0, minReuseDuration / fraction)`
 * so a fleet started together does not rebalance together: with 2, each agent
 * keeps its server 120–180 s (150 s on average). 10,000 agents over 5 servers
 * then open 10,000 / 150 s / 5 ≈ 13 new connections per server per second.
 * `minReuseDuration / fraction` (60 s) is also the shortest gap between two
 * rebalances of one agent that requests or a re-arm can cause.
 */
export const JITTER_FRACTION = 2;

/**
 * Cap on the new connections per second that rebalancing may send to each
 * reachable (healthy or suspect) server, fleet-wide: every agent waits at least
 * `nodes / (reachable servers × 64)` s between rebalances. A lower cap means less
 * load in equilibrium but a slower recovery after a partition. It takes over
 * from the reuse period above ~48,000 agents on 5 servers (48,000 / 320 = 150 s).
 * At 100,000 agents and 5 servers a full rebalance takes 100,000 / 320 ≈ 313 s
 * (~5 min); with one reachable server the wait is 100,000 / 64 ≈ 1,563 s (~26 min),
 * and the re-arm on change brings it back to ~5 min when the others return.
 */
export const CONNS_PER_SEC_PER_SERVER = 64;

/** Longest a rebalance waits for one ping, ms. Defaults to 10 s. */
export const PING_TIMEOUT_MS = 10_000;

/**
 * Calls or pings that must fail in a row before a server is `failed` (1 failure
 * makes it `suspect`). Defaults to 3: one lost packet does not fail a server,
 * three in a row do.
 */
export const FAILURE_THRESHOLD = 3;

/**
 * How long a server stays `failed` before a rebalance removes it, ms. Defaults to
 * 72 h, serf's `reconnect_timeout`: Consul forgets a failed server after it too.
 * Shorter frees the list of servers that will not return sooner, but a member
 * that is only down (etcd keeps listing it and never re-announces it) is then
 * forgotten until a heartbeat, `setServers` or a `join` brings it back.
 */
export const DEAD_SERVER_TIMEOUT_MS = 72 * 60 * 60 * 1000;

/**
 * Base wait between two `discover` polls while no server is healthy, ms: each poll
 * waits this plus a random `[0, discoverInterval / jitterFraction)` after the
 * previous one ended; the first waits a random `[0, discoverInterval)`. Defaults to
 * 30 s: 10,000 agents cut off together poll ~270 times/s, spread out.
 */
export const DISCOVER_INTERVAL_MS = 30_000;

/** Longest one `discover` poll may take, ms. Defaults to 10 s. */
export const DISCOVER_TIMEOUT_MS = 10_000;

/** How often a server filtered for its API version is reported, ms: Nomad's 3 hours. */
export const API_MISMATCH_LOG_INTERVAL_MS = 3 * 60 * 60 * 1000;

/** How often an empty list is reported from the RPC path, ms. */
export const NO_SERVERS_LOG_INTERVAL_MS = 60_000;

export { MAX_TIMER_MS };

/** `meterProvider` and `tracerProvider` (from TelemetryOptions): see docs/observability.md. */
export interface ServerManagerOptions extends TelemetryOptions {
  /** Health check used by rebalances. Required. */
  pinger: Pinger;
  /** Live cluster size (e.g. gossip member count). When absent, heartbeats/`setNumNodes` supply it. */
  clusterSize?: () => number;
  /** A `Logger`: pino, `fromConsole(console)`, or any object with `debug`, `info`, `warn`, `error` and `child`; the manager logs through `logger.child({ component: 'serverManager' })`. Defaults to silent. */
  logger?: Logger;
  /** Timers and time. Defaults to the system clock. */
  clock?: Clock;
  /**
   * xstate inspection observer of the rebalancer machine (e.g. a live view's
   * `inspector(node)`). While set, every change of the server list or of a server's
   * health reaches it as a `SERVERS_CHANGED` event carrying the front server and each
   * server's health. Defaults to none.
   */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /**
   * Source of `[0, 1)` numbers for shuffles and jitter. Defaults to `Math.random`.
   * A `random` that throws or gives a value outside `[0, 1)` (or NaN) stops the
   * manager, which emits `'fatal'` with the reason.
   */
  random?: () => number;
  /** ms before the first rebalance (plus jitter) and the floor between rebalances. Defaults to 120 000 (120 s). */
  minReuseDuration?: number;
  /** Waits are stretched by random `[0, minReuseDuration / jitterFraction)`. Defaults to 2. */
  jitterFraction?: number;
  /** Fleet-wide cap of rebalance connections per second per reachable (healthy or suspect) server. Defaults to 64. */
  connsPerSecPerServer?: number;
  /** ms one ping may take before it counts as failed. Defaults to 10 000 (10 s). */
  pingTimeout?: number;
  /** Servers whose `version` is above this are ignored on every entry path. Defaults to none (no filter). */
  apiVersion?: number;
  /**
   * Track server health and act on it: choose healthy servers first, cap by reachable
   * (healthy or suspect) servers, re-ping failed ones, clean up dead ones. `false` is Consul's behaviour
   * (a failed server only rotates to the back; the cap counts every listed server).
   * Defaults to true.
   */
  health?: boolean;
  /** Consecutive failed calls/pings that make a server `failed`. Whole number ≥ 1. Defaults to 3. */
  failureThreshold?: number;
  /** Remove servers `failed` for longer than `deadServerTimeout` (autopilot's CleanupDeadServers). Defaults to true. */
  cleanupDeadServers?: boolean;
  /** ms a server stays `failed` before cleanup removes it. Defaults to 259 200 000 (72 h). */
  deadServerTimeout?: number;
  /**
   * When the number of reachable servers changes and the cap binds at either count,
   * draw the wait to the next rebalance again over the new delay, so the servers see
   * the capped rate at once (docs/server-manager.md, "Re-arm on change"). `false` is Consul's behaviour: a wait
   * runs to its end whatever happens meanwhile. Defaults to true.
   */
  rearmOnChange?: boolean;
  /**
   * Jitter the first rebalance: `minReuseDuration + U(0, minReuseDuration / jitterFraction)`.
   * `false` is Consul's behaviour (exactly `minReuseDuration`: a fleet started together
   * rebalances in lockstep). Defaults to true.
   */
  jitterFirstRebalance?: boolean;
  /**
   * Jitter a wait the cap stretches: when `rebalanceDelay()` is above the jitter window
   * (the fleet is large enough that the per-server cap binds), the wait becomes
   * `d + U(0, d / jitterFraction)`. Without it every agent that rebalanced at the same
   * moment (e.g. onto the one reachable server in a partition) waits exactly `d` and
   * comes back together every period. `false` is Consul's behaviour (a capped wait has no
   * jitter). Defaults to true.
   */
  jitterCappedWait?: boolean;
  /**
   * Finds servers when none is healthy (e.g. a DNS name or a catalog query): polled
   * while the manager is offline or no server is healthy, one poll at a time, bounded
   * by `discoverTimeout`. The servers found become the backup list. Defaults to none.
   */
  discover?: (signal: AbortSignal) => Promise<readonly Server[]>;
  /** Base ms between `discover` polls. Defaults to 30 000 (30 s). */
  discoverInterval?: number;
  /** ms one `discover` poll may take. Defaults to 10 000 (10 s). */
  discoverTimeout?: number;
}

/** The options after validation, with defaults applied. One object per manager. */
export interface ManagerSettings {
  readonly pinger: Pinger;
  readonly clusterSize: (() => number) | undefined;
  readonly clock: Clock;
  readonly random: () => number;
  readonly minReuseMs: number;
  readonly jitterFraction: number;
  readonly connsPerSecPerServer: number;
  readonly pingTimeoutMs: number;
  readonly apiVersion: number | undefined;
  readonly health: boolean;
  readonly failureThreshold: number;
  readonly cleanupDeadServers: boolean;
  readonly deadServerMs: number;
  readonly rearmOnChange: boolean;
  readonly jitterFirstRebalance: boolean;
  readonly jitterCappedWait: boolean;
  readonly discover: ((signal: AbortSignal) => Promise<readonly Server[]>) | undefined;
  readonly discoverIntervalMs: number;
  readonly discoverTimeoutMs: number;
  readonly inspect: Observer<InspectionEvent> | ((event: InspectionEvent) => void) | undefined;
}

function inspectOption(value: unknown): ManagerSettings['inspect'] {
  if (value === undefined || typeof value === 'function') return value as ManagerSettings['inspect'];
  if (typeof value === 'object' && value !== null && typeof (value as { next?: unknown }).next === 'function') return value;
  throw new TypeError(`inspect must be a function or an observer with next(), received ${describeValue(value)}`);
}

function flag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, received ${describeValue(value)}`);
  return value;
}

/** Validates `options` (throws TypeError/RangeError naming the option and the value) and applies defaults. */
export function resolveOptions(options: ServerManagerOptions): ManagerSettings {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`options must be an object, received ${describeValue(options)}`);
  const pinger = options.pinger as Partial<Pinger> | undefined;
  if (typeof pinger !== 'object' || pinger === null || typeof pinger.ping !== 'function')
    throw new TypeError(`pinger must be an object with a ping(server, signal) method, received ${describeValue(pinger)}`);
  checkLogger('logger', options.logger);
  if (options.apiVersion !== undefined && (typeof options.apiVersion !== 'number' || !Number.isFinite(options.apiVersion)))
    throw new RangeError(`apiVersion must be a finite number, received ${describeValue(options.apiVersion)}`);
  const threshold = options.failureThreshold;
  if (threshold !== undefined && (typeof threshold !== 'number' || !Number.isInteger(threshold) || threshold < 1))
    throw new RangeError(`failureThreshold must be a whole number ≥ 1, received ${describeValue(threshold)}`);
  return {
    pinger: pinger as Pinger,
    clusterSize: options.clusterSize === undefined ? undefined : fn<() => number>('clusterSize', options.clusterSize),
    clock: options.clock === undefined ? systemClock : checkClock('clock', options.clock),
    random: fn<() => number>('random', options.random, Math.random),
    minReuseMs: durationMs('minReuseDuration', options.minReuseDuration, MIN_REUSE_DURATION_MS),
    jitterFraction: optionalPositiveNumber('jitterFraction', options.jitterFraction, JITTER_FRACTION),
    connsPerSecPerServer: optionalPositiveNumber('connsPerSecPerServer', options.connsPerSecPerServer, CONNS_PER_SEC_PER_SERVER),
    pingTimeoutMs: durationMs('pingTimeout', options.pingTimeout, PING_TIMEOUT_MS),
    apiVersion: options.apiVersion,
    health: flag('health', options.health, true),
    failureThreshold: threshold ?? FAILURE_THRESHOLD,
    cleanupDeadServers: flag('cleanupDeadServers', options.cleanupDeadServers, true),
    deadServerMs: durationMs('deadServerTimeout', options.deadServerTimeout, DEAD_SERVER_TIMEOUT_MS),
    rearmOnChange: flag('rearmOnChange', options.rearmOnChange, true),
    jitterFirstRebalance: flag('jitterFirstRebalance', options.jitterFirstRebalance, true),
    jitterCappedWait: flag('jitterCappedWait', options.jitterCappedWait, true),
    discover: options.discover === undefined ? undefined : fn<(signal: AbortSignal) => Promise<Server[]>>('discover', options.discover),
    discoverIntervalMs: durationMs('discoverInterval', options.discoverInterval, DISCOVER_INTERVAL_MS),
    discoverTimeoutMs: durationMs('discoverTimeout', options.discoverTimeout, DISCOVER_TIMEOUT_MS),
    inspect: inspectOption(options.inspect),
  };
}
