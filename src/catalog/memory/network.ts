// The MemoryCluster's fault model: which servers exist and whether each is up,
// failed or frozen, which refuse reads, which agents are partitioned, and how a call waits out a freeze,
// a partition or its latency on the clock (and is released by any fault change).
import type { Server } from '../../servers/types.js';
import type { Clock } from '../../shared/clock.js';
import { abortReason } from '../../shared/abort.js';
import { ServerUnavailableError } from '../errors.js';
import type { ServerStatus } from './types.js';

interface ServerState {
  server: Server;
  status: ServerStatus;
}

export class MemoryNetwork {
  private readonly states = new Map<string, ServerState>();
  private readonly partitioned = new Set<string>();
  private readonly readRefusing = new Set<string>();
  /** Calls parked on a frozen server or a partition; woken (to re-check) by every fault change. */
  private readonly waiters = new Set<() => void>();
  /** Latency timers in progress; close() cancels them so no timer outlives the cluster. */
  private readonly delays = new Set<() => void>();
  private closed = false;

  constructor(private readonly clock: Clock) {}

  /** Adds a server (up). Refuses an empty or duplicate name. */
  add(server: string | Server): Server {
    const name = typeof server === 'string' ? server : server?.name;
    if (typeof name !== 'string' || name.length === 0) throw new TypeError(`server name must be a non-empty string, received ${String(name)}`);
    if (this.states.has(name)) throw new RangeError(`server ${JSON.stringify(name)} already exists`);
    const full: Server = typeof server === 'string' ? { name, address: `memory://${name}` } : { ...server };
    this.states.set(name, { server: full, status: 'up' });
    return { ...full };
  }

  /** Removes a server; calls parked on it reject. Returns it, or undefined when unknown. */
  remove(name: string): Server | undefined {
    const state = this.states.get(name);
    if (!state) return undefined;
    this.states.delete(name);
    this.wakeAll();
    return { ...state.server };
  }

  has(name: string): boolean {
    return this.states.has(name);
  }
  names(): string[] {
    return [...this.states.keys()];
  }
  servers(): Server[] {
    return [...this.states.values()].map((state) => ({ ...state.server }));
  }
  status(name: string): ServerStatus | undefined {
    return this.states.get(name)?.status;
  }

  setStatus(name: string, status: ServerStatus): void {
    const state = this.states.get(name);
    if (!state) throw new RangeError(`unknown server ${JSON.stringify(name)}`);
    state.status = status;
    // Healed: whatever it refused, it serves again.
    if (status === 'up') this.readRefusing.delete(name);
    this.wakeAll();
  }

  /** `name` refuses reads (or serves them again, `refusing` false) while up for pings and writes. */
  refuseReads(name: string, refusing: boolean): void {
    if (!this.states.has(name)) throw new RangeError(`unknown server ${JSON.stringify(name)}`);
    if (refusing) this.readRefusing.add(name);
    else this.readRefusing.delete(name);
  }

  refusesReads(name: string): boolean {
    return this.readRefusing.has(name);
  }

  partition(agent: string): void {
    this.partitioned.add(agent);
  }
  unpartition(agent: string): void {
    if (this.partitioned.delete(agent)) this.wakeAll();
  }

  /** A server `agent` can reach right now without waiting (up and not partitioned), preferring `preferred`. */
  reachableNow(agent: string | undefined, preferred: string): string | undefined {
    if (this.closed || (agent !== undefined && this.partitioned.has(agent))) return undefined;
    if (this.states.get(preferred)?.status === 'up') return preferred;
    for (const [name, state] of this.states) if (state.status === 'up') return name;
    return undefined;
  }

  /** Resolves once `agent` can reach `server`; rejects when it failed, left, the cluster closed or `signal` aborted. */
  async reach(server: string, agent: string | undefined, signal: AbortSignal): Promise<void> {
    for (;;) {
      if (this.closed) throw new ServerUnavailableError(server, 'cluster closed');
      const state = this.states.get(server);
      if (!state) throw new ServerUnavailableError(server, 'not a member');
      if (state.status === 'failed') throw new ServerUnavailableError(server, 'connection refused');
      if (state.status === 'up' && (agent === undefined || !this.partitioned.has(agent))) return;
      await this.waitChange(signal);
    }
  }

  /** Waits `ms` on the clock; rejects when `signal` aborts or the cluster closes. */
  delay(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const settle = (err?: Error): void => {
        this.delays.delete(cancel);
        signal.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      };
      const cancel = (): void => {
        this.clock.clearTimeout(handle);
        settle(new ServerUnavailableError('*', 'cluster closed'));
      };
      const onAbort = (): void => {
        this.clock.clearTimeout(handle);
        settle(abortReason(signal));
      };
      const handle = this.clock.setTimeout(() => settle(), ms);
      this.delays.add(cancel);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Cancels every latency timer and releases every parked call (they reject). */
  close(): void {
    this.closed = true;
    for (const cancel of [...this.delays]) cancel();
    this.wakeAll();
  }

  private waitChange(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.waiters.delete(wake);
        reject(abortReason(signal));
      };
      const wake = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      if (signal.aborted) return reject(abortReason(signal));
      this.waiters.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private wakeAll(): void {
    if (this.waiters.size === 0) return;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }
}
