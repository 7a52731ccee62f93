// Pingers a test controls: one that answers at once from a rule, and one whose
// pings stay pending until the test answers each (to test timeouts and races).
import type { Pinger, Server } from '../servers/types.js';

/** A pinger answering at once from `healthy(server)`; records the names pinged, in order. */
export function scriptedPinger(healthy: (server: Server) => boolean | Promise<boolean>): Pinger & { pinged: string[] } {
  const pinged: string[] = [];
  return {
    pinged,
    ping(server) {
      pinged.push(server.name);
      return Promise.resolve(healthy(server));
    },
  };
}

/** A ping waiting for the test's answer. */
export interface PendingPing {
  server: Server;
  signal: AbortSignal;
  resolve(ok: boolean): void;
  reject(err: unknown): void;
}

/** A pinger whose pings stay pending (in `pending`, oldest first) until the test answers them. */
export function manualPinger(): Pinger & { pending: PendingPing[] } {
  const pending: PendingPing[] = [];
  return {
    pending,
    ping(server, signal) {
      return new Promise<boolean>((resolve, reject) => pending.push({ server, signal, resolve, reject }));
    },
  };
}
