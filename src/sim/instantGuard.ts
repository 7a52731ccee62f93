// The bound on what a simulated run may do at one instant: past it, a run whose time has
// stopped moving (a timer that re-arms itself at 0 ms) ends with an error naming the
// instant instead of hanging. Both engines' run loops use it.

/**
 * Rounds of events at one instant (each round: the events due, then what their promise
 * continuations set for the same instant) before a run is declared stuck. A real cascade
 * at one instant is a few rounds deep; a zero-delay loop through a promise is unbounded.
 */
export const MAX_ROUNDS_PER_INSTANT = 100_000;

/**
 * Events at one instant before a run is declared stuck: fifty per agent at a million
 * agents (a whole fleet started at one instant is a handful each). A timer that re-arms
 * itself at 0 ms synchronously never leaves its round, so rounds alone would not see it.
 */
export const MAX_EVENTS_PER_INSTANT = 50_000_000;

/**
 * Counts what a run does at one instant and throws past either bound: a zero-delay loop
 * in the rules a run hosts then ends the run with an error naming the instant, instead of
 * hanging it. Both engines' run loops use it.
 */
export class InstantGuard {
  #atMs = Number.NaN;
  #rounds = 0;
  #events = 0;
  readonly #maxRounds: number;
  readonly #maxEvents: number;

  constructor(maxRounds = MAX_ROUNDS_PER_INSTANT, maxEvents = MAX_EVENTS_PER_INSTANT) {
    this.#maxRounds = maxRounds;
    this.#maxEvents = maxEvents;
  }

  /** A round of events at `atMs` begins. */
  round(atMs: number): void {
    if (atMs === this.#atMs) {
      if (++this.#rounds > this.#maxRounds) throw this.#stuck(`${this.#rounds} rounds of events`);
      return;
    }
    this.#atMs = atMs;
    this.#rounds = 0;
    this.#events = 0;
  }

  /** One event of the current instant runs. */
  event(): void {
    if (++this.#events > this.#maxEvents) throw this.#stuck(`${this.#events} events`);
  }

  #stuck(what: string): Error {
    return new Error(`the simulation is stuck at ${this.#atMs} ms: ${what} without time moving on (a timer that re-arms itself at 0 ms)`);
  }
}
