// What a MemoryCluster accepts and reports: its options, the operations it serves,
// the record of each operation and its events. Shared by the cluster's parts.
import type { MembershipEvent, Service } from '../backend.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';

/** The remote operations a MemoryCluster serves. */
export type MemoryOp = 'list' | 'put' | 'delete' | 'listChecks' | 'putCheck' | 'deleteCheck' | 'getNode' | 'putNode' | 'batch' | 'count' | 'ping' | 'openSession';

/** What the cluster reports for each completed or failed operation (`'op'` event). */
export interface MemoryOpRecord {
  op: MemoryOp;
  server: string;
  /** The connection's name given to `connect(agent)`; undefined for the cluster's own view. */
  agent: string | undefined;
  node?: string;
  id?: string;
  /** Set on the put/delete records of the entries a `batch` call wrote: how many ops it carried. */
  batch?: number;
  /** Clock time (ms) at which the operation took effect or failed. */
  at: number;
  ok: boolean;
}

export interface MemoryClusterEvents {
  op: MemoryOpRecord;
  /** A session expired on the servers (its entries were removed). */
  sessionExpired: { id: string; node: string; at: number };
  member: MembershipEvent;
  /** A simulated leader failover: every live session's expiry was pushed to now + TTL × grace. */
  failover: { at: number; sessions: number };
}

export interface MemoryClusterOptions {
  /** Server names (unique), or how many to create (`mem-1`…, an integer ≥ 1). Defaults to 3. */
  servers?: number | readonly string[];
  /** Clock for latency and session TTLs. Defaults to the system clock. */
  clock?: Clock;
  /** Delay per operation, in ms on the clock, fixed or per op/server. Defaults to 0 (no timer at all). */
  latency?: number | ((op: MemoryOp, server: string) => number);
  /** @deprecated Renamed `latency` (same unit, ms); this name goes in the next release. */
  latencyMs?: number | ((op: MemoryOp, server: string) => number);
  /**
   * Server-side grace, as a multiple of each session's TTL (Chubby): the servers expire
   * a session only TTL × `sessionGrace` after its grant, last renewal or the last leader
   * failover, to absorb latency and clock skew. A number ≥ 1 (1: exactly the TTL).
   * Defaults to 2.
   */
  sessionGrace?: number;
  /**
   * Largest stored entry the servers accept, in bytes of JSON (etcd refuses a request
   * over `--max-request-bytes`, 1.5 MiB by default). A bigger put, alone or in a batch,
   * is refused with `RefusedWriteError` (`tooLarge`, naming the id). Defaults to
   * 1,572,864 (1.5 MiB).
   */
  maxEntryBytes?: number;
  /** A `Logger`: pino, `fromConsole(console)`, or any object with `debug`, `info`, `warn`, `error` and `child`; the cluster logs through `logger.child({ component: 'memoryCluster' })`. Defaults to silent. */
  logger?: Logger;
}

export type ServerStatus = 'up' | 'failed' | 'frozen';

/** A deep copy, so nothing the store holds is shared with a caller. */
export function copyService(service: Service): Service {
  const copy: Service = { id: service.id, name: service.name, address: service.address, port: service.port };
  if (service.tags !== undefined) copy.tags = [...service.tags];
  if (service.meta !== undefined) copy.meta = { ...service.meta };
  return copy;
}
