// Test helpers for the server manager: servers, pingers you control, a log
// capture, and a microtask flush for code that awaits between clock ticks.
import { pino, type Logger } from 'pino';
import type { Server, Pinger } from '../../src/servers/types.js';

export function server(name: string, extra: Partial<Server> = {}): Server {
  return { name, address: `10.0.0.${name.replace(/\D/g, '') || '1'}:8300`, ...extra };
}

export function servers(n: number, prefix = 's'): Server[] {
  return Array.from({ length: n }, (_, i) => server(`${prefix}${i + 1}`));
}

/** Lets every pending promise chain run (no timers, no real time). */
export async function flush(rounds = 50): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** A pinger answering at once from `healthy(server)`; records the names pinged. */
export function scriptedPinger(healthy: (server: Server) => boolean | Promise<boolean>): Pinger & { pinged: string[] } {
  const pinged: string[] = [];
  return {
    pinged,
    ping(s) {
      pinged.push(s.name);
      return Promise.resolve(healthy(s));
    },
  };
}

export interface PendingPing {
  server: Server;
  signal: AbortSignal;
  resolve(ok: boolean): void;
  reject(err: unknown): void;
}

/** A pinger whose pings stay pending until the test answers them. */
export function manualPinger(): Pinger & { pending: PendingPing[] } {
  const pending: PendingPing[] = [];
  return {
    pending,
    ping(s, signal) {
      return new Promise<boolean>((resolve, reject) => pending.push({ server: s, signal, resolve, reject }));
    },
  };
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A pino logger (debug level) whose lines land in `lines`. */
export function captureLogger(): { logger: Logger; lines: LogLine[]; warnings(): LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (msg: string) => lines.push(JSON.parse(msg) as LogLine) });
  return { logger, lines, warnings: () => lines.filter((l) => l.level === 40) };
}
