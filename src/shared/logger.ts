// Logging: ae-sync logs through any logger with pino's shape — the four level methods,
// object first and message second, and `child(bindings)`. pino fits as it is; console
// fits through fromConsole(); nothing here needs pino installed. Each component takes a
// child tagged with `component`.
import { describeValue } from './options.js';

/** One level method: `log.warn({ server, err }, 'ping failed')` or `log.warn('no servers')` — pino's signature. */
export interface LogFn {
  (obj: object, msg?: string): void;
  (msg: string): void;
}

/**
 * The logger ae-sync accepts wherever an option is called `logger`: the subset of pino it
 * calls. A pino logger (9 or 10) is one as it is; `console` is one through
 * `fromConsole(console)`; any object with these five members works.
 */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  /** A logger that adds `bindings` to every line it writes. */
  child(bindings: Record<string, unknown>): Logger;
}

const noop = (): void => undefined;

/** The logger that discards everything: the default when none is given. One for the whole process. */
const SILENT: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop, child: () => SILENT });

/** The logger that discards everything (the default when none is given); its children are itself. */
export function silentLogger(): Logger {
  return SILENT;
}

/** What `fromConsole` needs of a console: the four level methods, message first. */
export interface ConsoleLike {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/**
 * `console` (or anything console-shaped) as a `Logger`: `log.warn({ server }, 'ping failed')`
 * becomes `console.warn('ping failed', { server })`, with a child's bindings merged into
 * the object (`{ component: 'stateSyncer', server }`). A line with no object and no
 * bindings is just the message.
 */
export function fromConsole(target: ConsoleLike, bindings: Readonly<Record<string, unknown>> = {}): Logger {
  const method =
    (level: keyof ConsoleLike): LogFn =>
    (objOrMsg: object | string, msg?: string): void => {
      const fields = typeof objOrMsg === 'string' ? bindings : { ...bindings, ...objOrMsg };
      const text = typeof objOrMsg === 'string' ? objOrMsg : (msg ?? '');
      if (Object.keys(fields).length === 0) target[level](text);
      else target[level](text, fields);
    };
  return {
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
    child: (more) => fromConsole(target, { ...bindings, ...more }),
  };
}

const MEMBERS = ['debug', 'info', 'warn', 'error', 'child'] as const;

/** The members of a `Logger` that `value` lacks (all five for a non-object). */
function missingMembers(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return [...MEMBERS];
  return MEMBERS.filter((k) => typeof (value as Record<string, unknown>)[k] !== 'function');
}

/** True when `value` has the five members of a `Logger`. */
export function isLogger(value: unknown): value is Logger {
  return missingMembers(value).length === 0;
}

/** The methods that write a line: each is guarded (a throw is dropped), as `child` is. */
const WRITERS = new Set<PropertyKey>(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
const guarded = new WeakSet<object>();
// Each logger's guard, made once: asking again for the same logger's gives the same proxy.
const guards = new WeakMap<object, Logger>();
let warnedThrow = false;

function loggerThrew(err: unknown): void {
  if (warnedThrow) return;
  warnedThrow = true;
  // Once per process, outside the logger that failed; never rethrown.
  try {
    process.emitWarning(`a logger given to ae-sync threw (${String((err as Error | undefined)?.message ?? err)}); its lines are dropped, the agent keeps running`, { code: 'AE_SYNC_LOGGER_THREW' });
  } catch {
    // nothing left to tell
  }
}

/**
 * `logger`, guarded: a log call or a `child()` that throws is dropped (a `child()`
 * that throws gives the guarded parent), so a broken logger, transport or serializer
 * can never crash a sync, a listener or `findServer()`. One Node warning per process
 * says it happened. Everything else passes through. Idempotent.
 */
export function guardLogger<L extends Logger>(logger: L): L {
  // The silent logger cannot throw, and a fleet of 100,000 must not build a proxy each.
  if (guarded.has(logger) || logger === SILENT) return logger;
  const known = guards.get(logger);
  if (known !== undefined) return known as L;
  const methods = new Map<PropertyKey, unknown>();
  const proxy: L = new Proxy(logger, {
    get(target, key, receiver) {
      if (!WRITERS.has(key) && key !== 'child') return Reflect.get(target, key, receiver) as unknown;
      let method = methods.get(key);
      if (method === undefined) {
        method =
          key === 'child'
            ? (...args: unknown[]): Logger => {
                try {
                  return guardLogger((Reflect.get(target, key) as unknown as (...a: unknown[]) => Logger).apply(target, args));
                } catch (err) {
                  loggerThrew(err);
                  return proxy;
                }
              }
            : (...args: unknown[]): void => {
                try {
                  (Reflect.get(target, key) as (...a: unknown[]) => void).apply(target, args);
                } catch (err) {
                  loggerThrew(err);
                }
              };
        methods.set(key, method);
      }
      return method;
    },
  });
  guarded.add(proxy);
  guards.set(logger, proxy);
  return proxy;
}

// Each guarded logger's component children, made once: every syncer (or manager) of a
// process that shares a logger writes through one child, not one each (~1 KB apiece).
const componentChildren = new WeakMap<Logger, Map<string, Logger>>();

/**
 * `logger.child({ component })`, guarded (see `guardLogger`), or — when none was given —
 * the silent logger: a simulation of 100,000 agents must not build 100,000 children.
 * Made once per logger and component: the lines are the same whoever asked (a pino
 * child without options of its own follows its parent's level). A `child()` that threw
 * is not remembered: the next component asks again.
 */
export function componentLogger(logger: Logger | undefined, component: string): Logger {
  if (!logger) return SILENT;
  const parent = guardLogger(logger);
  let children = componentChildren.get(parent);
  const known = children?.get(component);
  if (known !== undefined) return known;
  const child = parent.child({ component });
  // The guard answers a child() that threw with the parent itself.
  if (child === parent) return child;
  if (children === undefined) componentChildren.set(parent, (children = new Map()));
  children.set(component, child);
  return child;
}

/** Checks a `logger` option: undefined or a `Logger`; a TypeError naming what was received otherwise. */
export function checkLogger(name: string, value: unknown): Logger | undefined {
  if (value === undefined || isLogger(value)) return value;
  const what = typeof value === 'object' && value !== null ? `an object without ${missingMembers(value).join(', ')}` : describeValue(value);
  throw new TypeError(`${name} must be a logger with debug, info, warn, error and child methods (a pino logger, or fromConsole(console)), received ${what}`);
}
