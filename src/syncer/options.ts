// StateSyncer's options: their documentation, defaults and validation, in one place.
// Every duration is refused above 2^31 − 1 ms (the longest timer Node can hold).
import type { InspectionEvent, Observer } from 'xstate';
import { systemClock, type Clock } from '../shared/clock.js';
import { checkLogger, type Logger } from '../shared/logger.js';
import { checkClock, durationMs, fn, positiveNumber } from '../shared/options.js';
import type { SyncState } from './syncRunner.js';
import type { TelemetryOptions } from '../telemetry/providers.js';

/** `meterProvider` and `tracerProvider` (from TelemetryOptions): see docs/observability.md. */
export interface StateSyncerOptions extends TelemetryOptions {
  state: SyncState;
  /** Milliseconds between full syncs, before the cluster-scaled stagger is added. Required, > 0, ≤ 2^31 − 1. */
  interval: number;
  /** Number of cluster members; scales every stagger by log2 above 128 nodes. Required. */
  clusterSize: () => number;
  /** Upper bound (ms, before scaling) of the random wait after a SyncFull trigger. Defaults to 3 000 ms. */
  serverUpInterval?: number;
  /** Minimum wait (ms) before retrying a failed full sync; a scaled stagger is added. > 0. Defaults to 15 000 ms. */
  retryFailInterval?: number;
  /** A sync running longer than this (ms) is aborted and counts as failed. Defaults to none. */
  syncTimeout?: number;
  /** How long (ms) stop() waits for a sync that ignores its AbortSignal. Defaults to 10 000 ms. */
  stopTimeout?: number;
  /** A `Logger`: pino, `fromConsole(console)`, or any object with `debug`, `info`, `warn`, `error` and `child`; the syncer logs through `logger.child({ component: 'stateSyncer' })`. Defaults to silent. */
  logger?: Logger;
  /**
   * Random source; every value must be a number in [0, 1). One that throws or gives
   * anything else stops the syncer (see docs/state-syncer.md, "When the syncer fails").
   * Defaults to Math.random.
   */
  random?: () => number;
  /** Timer source for every delay. Defaults to Node's timers. */
  clock?: Clock;
  /** xstate inspection observer (e.g. from @statelyai/inspect). Defaults to none. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

const DEFAULT_SERVER_UP_INTERVAL_MS = 3_000;
export const DEFAULT_RETRY_FAIL_INTERVAL_MS = 15_000;
const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/** The options after defaults and validation. */
export interface ResolvedSyncerOptions {
  state: SyncState;
  interval: number;
  clusterSize: () => number;
  serverUpInterval: number;
  retryFailInterval: number;
  syncTimeout: number | undefined;
  stopTimeout: number;
  random: () => number;
  clock: Clock;
}

/** Validates `options` (TypeError / RangeError naming the option and the value) and fills in defaults. */
export function resolveSyncerOptions(options: StateSyncerOptions): ResolvedSyncerOptions {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`StateSyncer options must be an object, received ${String(options)}`);
  }
  const { state } = options;
  if (
    state === null ||
    typeof state !== 'object' ||
    typeof state.syncFull !== 'function' ||
    typeof state.syncChanges !== 'function'
  ) {
    throw new TypeError('state must have syncFull(signal) and syncChanges(signal) methods');
  }
  checkLogger('logger', options.logger);
  return {
    state,
    // Required: undefined is refused by positiveNumber with the same message form.
    interval: durationMs('interval', options.interval) ?? positiveNumber('interval', options.interval),
    clusterSize: fn<() => number>('clusterSize', options.clusterSize),
    serverUpInterval: durationMs('serverUpInterval', options.serverUpInterval, DEFAULT_SERVER_UP_INTERVAL_MS, { allowZero: true }),
    // > 0: with no wait, a failing full sync would retry in a hot loop.
    retryFailInterval: durationMs('retryFailInterval', options.retryFailInterval, DEFAULT_RETRY_FAIL_INTERVAL_MS),
    syncTimeout: durationMs('syncTimeout', options.syncTimeout),
    stopTimeout: durationMs('stopTimeout', options.stopTimeout, DEFAULT_STOP_TIMEOUT_MS, { allowZero: true }),
    random: fn<() => number>('random', options.random, Math.random),
    clock: options.clock === undefined ? systemClock : checkClock('clock', options.clock),
  };
}
