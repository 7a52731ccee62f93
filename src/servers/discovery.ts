// Polling the optional `discover(signal)` source while the manager has no server to use
// (offline, or none healthy): Nomad's planned fallback for an agent whose every known
// server was replaced between heartbeats. One poll at a time, each bounded by
// `discoverTimeout` even when `discover` ignores its signal; the servers found become
// the backup list. Waits are jittered so a fleet cut off together polls spread out.
import { clampDelay, type Clock } from '../shared/clock.js';
import { deadline } from '../shared/deadline.js';
import { TimeoutError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { attempt } from '../shared/abort.js';
import { randomStagger } from '../shared/stagger.js';
import type { ManagerSettings } from './options.js';

/** What discovery needs from its manager. */
export interface DiscoveryHost {
  random(): number;
  readonly log: Logger;
  /** Aborts on the manager's stop(). */
  readonly lifetime: AbortSignal;
  /** True while the manager has no server to use. */
  needed(): boolean;
  /** A poll's result (unchecked). */
  found(result: unknown): void;
  /** `random` threw while arming a poll. */
  fatal(err: unknown): void;
}

export class Discovery {
  #timer: unknown;
  #armed = false;
  #polling: Promise<void> | undefined;
  /** No poll yet since the manager last had a server to use: the next wait is the short, spreading one. */
  #fresh = true;
  #stopped = false;
  /** The wait of the poll armed last, ms: what a failure's log line says comes next. */
  #armedWaitMs = 0;

  constructor(
    private readonly settings: ManagerSettings,
    private readonly discover: (signal: AbortSignal) => Promise<unknown>,
    private readonly host: DiscoveryHost,
  ) {}

  /** Called after every change: arms a poll while one is needed, cancels the pending one when not. */
  check(): void {
    if (this.#stopped) return;
    if (!this.host.needed()) {
      this.#fresh = true;
      this.#cancel();
      return;
    }
    if (this.#armed || this.#polling !== undefined) return;
    const interval = this.settings.discoverIntervalMs;
    let waitMs: number;
    try {
      const random = () => this.host.random();
      waitMs = clampDelay(this.#fresh ? randomStagger(interval, random) : interval + randomStagger(interval / this.settings.jitterFraction, random));
    } catch (err) {
      this.host.fatal(err);
      return;
    }
    this.#fresh = false;
    this.#armed = true;
    this.#armedWaitMs = waitMs;
    this.#timer = this.clock.setTimeout(() => {
      this.#armed = false;
      this.#timer = undefined;
      this.#poll();
    }, waitMs);
  }

  /** Cancels the pending poll; resolves when an in-flight one has settled (bounded by `discoverTimeout`). */
  stop(): Promise<void> {
    this.#stopped = true;
    this.#cancel();
    return this.#polling ?? Promise.resolve();
  }

  private get clock(): Clock {
    return this.settings.clock;
  }

  #cancel(): void {
    if (!this.#armed) return;
    this.clock.clearTimeout(this.#timer);
    this.#armed = false;
    this.#timer = undefined;
  }

  #poll(): void {
    const timeoutMs = this.settings.discoverTimeoutMs;
    const limit = deadline(this.clock, timeoutMs, () => new TimeoutError(`discover() timed out after ${timeoutMs} ms`), this.host.lifetime);
    const work = attempt(() => this.discover(limit.signal));
    // Logged once the next poll is armed (or not needed), so the line can say which.
    let failure: { err?: unknown; reason?: unknown; msg: string } | undefined;
    // A discover() that ignores its signal is abandoned at the timeout all the same.
    this.#polling = Promise.race([work, limit.abandoned]).then(
      (result) => {
        if (limit.signal.aborted) {
          failure = { reason: limit.signal.reason, msg: 'discover() gave no answer in time' };
          return;
        }
        this.host.found(result);
      },
      (err: unknown) => {
        failure = { err, msg: 'discover() failed' };
      },
    ).catch((err: unknown) => this.host.fatal(err)).finally(() => {
      limit.dispose();
      this.#polling = undefined;
      this.check();
      if (failure && !this.host.lifetime.aborted && !this.#stopped) this.#logFailure(failure);
    });
  }

  #logFailure({ msg, ...fields }: { err?: unknown; reason?: unknown; msg: string }): void {
    if (this.#armed) {
      const retryInMs = this.#armedWaitMs;
      this.host.log.warn({ ...fields, retryInMs }, `${msg}; polling again in ${Math.round(retryInMs / 100) / 10} s (discoverInterval plus jitter)`);
    } else {
      this.host.log.warn({ ...fields, retry: 'none' }, `${msg}; not polling again: a server is usable now`);
    }
  }
}
