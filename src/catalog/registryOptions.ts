// ServiceRegistry's options: their documentation, defaults and validation, in one
// place. Every duration is refused above 2^31 − 1 ms (the longest timer Node can hold).
import type { CatalogBackend } from './backend.js';
import type { Server } from '../servers/types.js';
import { type Clock, systemClock } from '../shared/clock.js';
import { checkLogger, type Logger } from '../shared/logger.js';
import { describeValue, durationMs, fn, optionalPositiveNumber } from '../shared/options.js';
import { validateNodeName } from './validate.js';

/** The part of a ServerManager the registry uses: the RPC path with failover. */
export interface ServerCaller {
  /** `options.signal`: the caller's own signal; a call it cuts short is not held against the server. */
  call<T>(fn: (server: Server, signal: AbortSignal) => Promise<T>, options?: { signal?: AbortSignal }): Promise<T>;
  /**
   * Servers the fleet's writes spread over (ServerManager: the reachable ones, as its
   * rebalance cap counts them). Without it the write cap counts 1 server (the safe side).
   */
  reachableServers?(): number;
}

/** The part of a StateSyncer the registry pokes: its two coalescing triggers. */
export interface SyncTriggers {
  syncFull: { trigger(): void };
  syncChanges: { trigger(): void };
}

export interface ServiceRegistryOptions {
  backend: CatalogBackend;
  servers: ServerCaller;
  /** This agent's node name (a key segment: letters, digits, `._:@-`). */
  node: string;
  /** Session TTL in ms: how long entries outlive an agent that stopped renewing (at least). > 0, ≤ 2^31 − 1. Defaults to 10 s. */
  sessionTtl?: number;
  /**
   * Deadline of each remote call in ms, on the clock; it holds even against a backend
   * that ignores its AbortSignal. > 0, ≤ 2^31 − 1. Defaults to 5 s.
   */
  callTimeout?: number;
  /** Cluster-size cache lifetime in ms: at most one count query per this period. > 0, ≤ 2^31 − 1. Defaults to 30 s. */
  clusterSizeRefresh?: number;
  /**
   * A sync pass gives up after this many writes failed in a row, retries included (the rest stay dirty):
   * with every server down there is no point walking 1 000 entries. One bad entry
   * among good ones never reaches it. An integer ≥ 1. Defaults to 5.
   */
  maxConsecutiveFailures?: number;
  /**
   * Tries per write within one pass. A failed call has already rotated its server to
   * the back, so a second try goes to the next server: a write caught by a server
   * failure lands at once instead of waiting for the next sync (Consul tries once:
   * set 1 for that). A write every server refuses costs this many calls. An integer ≥ 1. Defaults to 2.
   */
  writeAttempts?: number;
  /**
   * Tries per read within one pass (listing the node's entries, counting the nodes), the
   * first included. A read changes nothing, so a failed one is tried again on the next
   * server after a jittered wait, inside the same call deadline: a server that dies
   * mid-pass, or cannot serve reads, costs a retry rather than a failed full sync. 1 reads
   * once, as Consul's anti-entropy does. An integer ≥ 1. Defaults to 3.
   */
  readAttempts?: number;
  /**
   * An entry whose write fails on this many passes in a row, with any error, is
   * quarantined like one the servers refused outright (`RefusedWriteError`): left out
   * of partial syncs, retried once per full sync, and no longer failing the sync. So a
   * backend that cannot classify its errors cannot stall an agent either. Small on
   * purpose: 3 passes are a full sync and two retries (about 30 s with the syncer's
   * defaults) — past a server restart, short of stalling. An integer ≥ 1. Defaults to 3.
   */
  blockAfterFailures?: number;
  /** At most one warning about quarantined entries per this many ms. > 0, ≤ 2^31 − 1. Defaults to 60 s. */
  blockedWarnInterval?: number;
  /**
   * Most writes per remote call. Defaults to the backend's own limit (`maxBatchOps`:
   * 128 on etcd, unbounded on MemoryCluster); may only lower it. 1 sends every write on
   * its own. A backend without batches always writes one at a time. An integer ≥ 1.
   */
  maxBatchOps?: number;
  /**
   * How long an output-only change of a health check may wait for its write, ms: the
   * write happens d/2 + U(0, d) after the first deferred change (Consul's
   * `check_update_interval`, #157 → PR #204), so a check whose output changes every
   * second costs at most 2 writes per interval instead of 300. A status change and the
   * first output are written at once. 0 writes every change at once. A check can set its
   * own (`registerCheck({ …, checkUpdateInterval })`). ≥ 0, ≤ 2^31 − 1. Defaults to 5 min.
   */
  checkUpdateInterval?: number;
  /**
   * The fleet write cap, in write ops per second per reachable server (each op of a batch
   * counts: a server's cost grows with the keys it writes, not with the calls). Bulk
   * writes — the rewrite after a session loss or a node takeover, a full sync's repairs,
   * the part of a large first registration past `writeBurst` — are paced so that the
   * fleet's stay under it: each agent writes one op per
   * `max(1000 / cap, 1000 × clusterSize / (servers × cap))` ms, so a node's M entries
   * spread over M such intervals (100,000 nodes, 5 servers: one op per 40 s). A user's
   * own changes go first. Finite, > 0. Defaults to 500 (docs/tuning.md has the arithmetic).
   */
  writesPerSecPerServer?: number;
  /**
   * The write cap's bucket size, in ops: the most an agent saves up while it has nothing
   * to write, and how far the user's own changes (register, deregister, check updates)
   * may run ahead of the agent's share before they are paced too — a node of up to this
   * many entries registers at once. A session loss empties the bucket. An integer ≥ 1.
   * Defaults to 128 (one etcd transaction).
   */
  writeBurst?: number;
  /** Random source in [0, 1) for the check deferral's jitter, the wait before a read is retried on another server and the write cap's phase. Defaults to Math.random. */
  random?: () => number;
  /** The syncer's triggers; can also be set later with `attach()`. */
  syncer?: SyncTriggers;
  clock?: Clock;
  /** A `Logger`: pino, `fromConsole(console)`, or any object with `debug`, `info`, `warn`, `error` and `child`; the registry logs through `logger.child({ component: 'registry', node })`. Defaults to silent. */
  logger?: Logger;
}

export const DEFAULT_SESSION_TTL_MS = 10_000;
/**
 * The default `callTimeout` of a registry and a catalog agent: one whole catalog call
 * (through whichever backend), ms. The etcd backend's own per-request deadline is
 * `DEFAULT_ETCD_CALL_TIMEOUT_MS` (2 s) in `ae-sync/etcd`.
 */
export const DEFAULT_CALL_TIMEOUT_MS = 5_000;
const DEFAULT_CLUSTER_SIZE_REFRESH_MS = 30_000;
const DEFAULT_MAX_CONSECUTIVE_FAILURES = 5;
const DEFAULT_WRITE_ATTEMPTS = 2;
/**
 * Tries per read, the first included (`readAttempts`). With one server of five failing, a second attempt
 * goes to a working one (the manager rotated the failed one away); a third covers a second
 * failure. More would only add load while most servers fail, when the pass is better
 * retried as a whole (retryFullSync).
 */
export const DEFAULT_READ_ATTEMPTS = 3;
const DEFAULT_BLOCK_AFTER_FAILURES = 3;
const DEFAULT_CHECK_UPDATE_INTERVAL_MS = 5 * 60_000;
const DEFAULT_BLOCKED_WARN_INTERVAL_MS = 60_000;
/** See `writesPerSecPerServer`: 100,000 nodes × 10 entries on 5 servers re-register in 400 s. */
export const DEFAULT_WRITES_PER_SEC_PER_SERVER = 500;
/** See `writeBurst`: one etcd transaction's worth. */
export const DEFAULT_WRITE_BURST = 128;

export interface ResolvedRegistryOptions {
  backend: CatalogBackend;
  servers: ServerCaller;
  node: string;
  sessionTtlMs: number;
  callTimeoutMs: number;
  clusterSizeRefreshMs: number;
  maxConsecutiveFailures: number;
  writeAttempts: number;
  readAttempts: number;
  blockAfterFailures: number;
  blockedWarnIntervalMs: number;
  maxBatchOps: number;
  checkUpdateIntervalMs: number;
  writesPerSecPerServer: number;
  writeBurst: number;
  random: () => number;
  clock: Clock;
}

function count(name: string, value: unknown, fallback: number): number {
  const n = optionalPositiveNumber(name, value, fallback);
  if (!Number.isInteger(n)) throw new RangeError(`${name} must be an integer ≥ 1, received ${describeValue(value)}`);
  return n;
}

/** The registry's batch size: the option (when given) capped by the backend's limit; 1 without batches. */
function batchLimit(option: unknown, backendLimit: unknown): number {
  const wanted = option === undefined ? Infinity : count('maxBatchOps', option, 1);
  if (backendLimit === undefined) return 1;
  if (typeof backendLimit !== 'number' || !(backendLimit >= 1)) throw new RangeError(`backend.maxBatchOps must be a number ≥ 1, received ${describeValue(backendLimit)}`);
  return Math.max(1, Math.floor(Math.min(wanted, backendLimit)));
}

/** Validates (TypeError / RangeError naming the option and the value) and fills in defaults. */
export function resolveRegistryOptions(options: ServiceRegistryOptions): ResolvedRegistryOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('ServiceRegistry options must be an object');
  const { backend } = options;
  checkLogger('logger', options.logger);
  if (typeof backend !== 'object' || backend === null) throw new TypeError('backend must be a CatalogBackend');
  if (typeof backend.client !== 'function' || typeof backend.openSession !== 'function') {
    throw new TypeError('backend must be a CatalogBackend (client() and openSession() missing)');
  }
  if (typeof options.servers?.call !== 'function') throw new TypeError('servers must have a call() method');
  const sessionTtlMs = durationMs('sessionTtl', options.sessionTtl, DEFAULT_SESSION_TTL_MS);
  // Refused here, once, rather than by the backend at every sync's openSession.
  const minTtlMs = backend.minSessionTtlMs;
  if (typeof minTtlMs === 'number' && sessionTtlMs < minTtlMs) {
    throw new RangeError(`sessionTtl must be ≥ ${minTtlMs} ms for this backend, received ${sessionTtlMs}`);
  }
  return {
    backend,
    servers: options.servers,
    node: validateNodeName(options.node),
    sessionTtlMs,
    callTimeoutMs: durationMs('callTimeout', options.callTimeout, DEFAULT_CALL_TIMEOUT_MS),
    clusterSizeRefreshMs: durationMs('clusterSizeRefresh', options.clusterSizeRefresh, DEFAULT_CLUSTER_SIZE_REFRESH_MS),
    maxConsecutiveFailures: count('maxConsecutiveFailures', options.maxConsecutiveFailures, DEFAULT_MAX_CONSECUTIVE_FAILURES),
    writeAttempts: count('writeAttempts', options.writeAttempts, DEFAULT_WRITE_ATTEMPTS),
    readAttempts: count('readAttempts', options.readAttempts, DEFAULT_READ_ATTEMPTS),
    blockAfterFailures: count('blockAfterFailures', options.blockAfterFailures, DEFAULT_BLOCK_AFTER_FAILURES),
    blockedWarnIntervalMs: durationMs('blockedWarnInterval', options.blockedWarnInterval, DEFAULT_BLOCKED_WARN_INTERVAL_MS),
    maxBatchOps: batchLimit(options.maxBatchOps, backend.maxBatchOps),
    checkUpdateIntervalMs: durationMs('checkUpdateInterval', options.checkUpdateInterval, DEFAULT_CHECK_UPDATE_INTERVAL_MS, { allowZero: true }),
    writesPerSecPerServer: optionalPositiveNumber('writesPerSecPerServer', options.writesPerSecPerServer, DEFAULT_WRITES_PER_SEC_PER_SERVER),
    writeBurst: count('writeBurst', options.writeBurst, DEFAULT_WRITE_BURST),
    random: fn('random', options.random, Math.random),
    clock: options.clock ?? systemClock,
  };
}
