// Logging: ae-sync logs through pino. Each component takes a child logger
// tagged with `component`, and logs objects first, messages second.
import { pino, type Logger } from 'pino';

export type { Logger };

/** A logger that discards everything: the default when none is given. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** `logger.child({ component })`, or a silent logger when none was given. */
export function componentLogger(logger: Logger | undefined, component: string): Logger {
  return (logger ?? silentLogger()).child({ component });
}

/**
 * Lets a message through at most once per `intervalMs` on the caller's clock
 * (e.g. "no servers" warnings on a hot RPC path).
 */
export class RateLimit {
  private lastMs = -Infinity;
  constructor(private readonly intervalMs: number) {}
  /** True when the caller may log now; remembers `nowMs` as the last time. */
  allow(nowMs: number): boolean {
    if (nowMs - this.lastMs < this.intervalMs) return false;
    this.lastMs = nowMs;
    return true;
  }
}
