// The live view's options: defaults, units and validation in one place.
import { checkClock, describeValue } from '../shared/options.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { checkLogger, type Logger } from '../shared/logger.js';

export interface LiveViewOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one (see `LiveView.url`). Defaults to 0. */
  port?: number;
  /** Events kept for a browser that connects late (a ring buffer; older ones are dropped). Defaults to 500 events. */
  logSize?: number;
  /** Machines tracked at once; past it, finished machines are forgotten first, then new ones are counted but not shown. Defaults to 100. */
  maxMachines?: number;
  /** Longest JSON preview kept of one event or context, in characters. Defaults to 1 024. */
  maxPreviewChars?: number;
  /** Browsers connected at once; more are refused with 503. Defaults to 8. */
  maxClients?: number;
  /**
   * Open TCP connections the view accepts at once, with or without the token; more are
   * closed as they arrive, so no local process can use up the agent's file descriptors
   * through it. Defaults to 32.
   */
  maxConnections?: number;
  /** ms a connection may take to send its request headers before it is closed (checked every second). Defaults to 5 000 (5 s). */
  headersTimeout?: number;
  /** Bytes queued for one slow browser before it is disconnected (it reconnects and starts afresh). Defaults to 1 MiB. */
  maxClientBacklogBytes?: number;
  /** Title of the page. Defaults to "ae-sync live view". */
  title?: string;
  /** Time source of the event log's timestamps. Defaults to Node's clock. */
  clock?: Clock;
  /** A `Logger`: pino, `fromConsole(console)`, or any object with `debug`, `info`, `warn`, `error` and `child`; the view logs through `logger.child({ component: 'liveView' })`. Defaults to silent. */
  logger?: Logger;
}

export interface ResolvedViewOptions {
  port: number;
  logSize: number;
  maxMachines: number;
  maxPreviewChars: number;
  maxClients: number;
  maxConnections: number;
  headersTimeoutMs: number;
  maxClientBacklogBytes: number;
  title: string;
  clock: Clock;
}

function integer(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, received ${describeValue(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], received ${describeValue(value)}`);
  }
  return value;
}

export function resolveViewOptions(options: LiveViewOptions | undefined): ResolvedViewOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError(`live view options must be an object, received ${describeValue(options)}`);
  }
  const o = options ?? {};
  checkLogger('logger', o.logger);
  if (o.maxClients !== undefined && o.maxConnections !== undefined && o.maxConnections < o.maxClients) {
    throw new RangeError(`maxConnections must be at least maxClients (${String(o.maxClients)}), received ${describeValue(o.maxConnections)}`);
  }
  if (o.title !== undefined && typeof o.title !== 'string') throw new TypeError(`title must be a string, received ${describeValue(o.title)}`);
  return {
    port: integer('port', o.port, 0, 0, 65_535),
    logSize: integer('logSize', o.logSize, 500, 1, 100_000),
    maxMachines: integer('maxMachines', o.maxMachines, 100, 1, 10_000),
    maxPreviewChars: integer('maxPreviewChars', o.maxPreviewChars, 1_024, 16, 1_048_576),
    maxClients: integer('maxClients', o.maxClients, 8, 1, 1_000),
    maxConnections: integer('maxConnections', o.maxConnections, 32, 1, 10_000),
    headersTimeoutMs: integer('headersTimeout', o.headersTimeout, 5_000, 100, 60_000),
    maxClientBacklogBytes: integer('maxClientBacklogBytes', o.maxClientBacklogBytes, 1_048_576, 1_024, 1_073_741_824),
    title: (o.title ?? 'ae-sync live view').slice(0, 200),
    clock: o.clock === undefined ? systemClock : checkClock('clock', o.clock),
  };
}
