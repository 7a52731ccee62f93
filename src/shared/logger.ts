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

/**
 * `logger.child({ component })`, or — when none was given — one shared silent logger
 * per component: a simulation of 100,000 agents must not build 100,000 pino children.
 */
export function componentLogger(logger: Logger | undefined, component: string): Logger {
  if (logger) return logger.child({ component });
  let child = silentChildren.get(component);
  if (!child) silentChildren.set(component, (child = silentLogger().child({ component })));
  return child;
}
