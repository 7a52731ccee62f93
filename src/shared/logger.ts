// Logging: ae-sync logs through pino. Each component takes a child logger
// tagged with `component`, and logs objects first, messages second.
import { pino, type Logger } from 'pino';

export type { Logger };

let silent: Logger | undefined;
const silentChildren = new Map<string, Logger>();

/** The logger that discards everything: the default when none is given. One for the whole process. */
export function silentLogger(): Logger {
  return (silent ??= pino({ level: 'silent' }));
}

/** The methods that write a line: each is guarded (a throw is dropped), as `child` is. */
const WRITERS = new Set<PropertyKey>(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
const guarded = new WeakSet<object>();
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
export function guardLogger(logger: Logger): Logger {
  if (guarded.has(logger)) return logger;
  const methods = new Map<PropertyKey, unknown>();
  const proxy: Logger = new Proxy(logger, {
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
  return proxy;
}

/**
 * `logger.child({ component })`, guarded (see `guardLogger`), or — when none was given —
 * one shared silent logger per component: a simulation of 100,000 agents must not build
 * 100,000 pino children.
 */
export function componentLogger(logger: Logger | undefined, component: string): Logger {
  if (logger) return guardLogger(logger).child({ component });
  let child = silentChildren.get(component);
  if (!child) silentChildren.set(component, (child = silentLogger().child({ component })));
  return child;
}
