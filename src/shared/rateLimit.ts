// How often a repeated warning may reach the log: one rule for every rate-limited
// message (no servers, malformed entries, version mismatches, session conflicts).

/** Lets a message through at most once per `intervalMs` on the caller's clock (e.g. "no servers" on a hot RPC path). */
export class RateLimit {
  #lastMs = -Infinity;
  readonly #intervalMs: number;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /** True when the caller may log now; remembers `nowMs` as the last time. */
  allow(nowMs: number): boolean {
    if (nowMs - this.#lastMs < this.#intervalMs) return false;
    this.#lastMs = nowMs;
    return true;
  }
}

/**
 * One {@link RateLimit} per key (say, per server name), at most `maxKeys` of them: past
 * that the oldest key is forgotten, so names that come and go cannot grow the map forever
 * (a forgotten key may log once more).
 */
export class KeyedRateLimit {
  readonly #limits = new Map<string, RateLimit>();
  readonly #maxKeys: number;

  constructor(maxKeys = 1_024) {
    this.#maxKeys = maxKeys;
  }

  allow(key: string, intervalMs: number, nowMs: number): boolean {
    let limit = this.#limits.get(key);
    if (limit === undefined) {
      if (this.#limits.size >= this.#maxKeys) this.#limits.delete(this.#limits.keys().next().value as string);
      this.#limits.set(key, (limit = new RateLimit(intervalMs)));
    }
    return limit.allow(nowMs);
  }

  /** Keys remembered now. */
  get size(): number {
    return this.#limits.size;
  }
}
