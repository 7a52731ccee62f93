// The state syncer's property-test harness: what fast-check generates (configs, sync
// outcomes, commands), and `Run`, which drives a real StateSyncer on a test clock through
// one generated scenario and records every invariant it breaks.
import fc from 'fast-check';
import { StateSyncer, type SyncKind } from '../../src/syncer/stateSyncer.js';
import { createTestClock, seededRandom, type TestClock } from '../../src/testing.js';
import { settle } from './index.js';


// Fixed for reproducibility; override to explore more (e.g. PROPERTY_SEED=7 PROPERTY_RUNS=5000).
export const SEED = Number(process.env.PROPERTY_SEED ?? 20_261_122);
export const RUNS = Number(process.env.PROPERTY_RUNS ?? 200);
/** Long enough for every stagger, retry, hung sync and deadline in the generated configs to play out. */
export const DRAIN_MS = 60_000;

// --- what fast-check generates -------------------------------------------------------

export interface Config {
  interval: number;
  serverUpInterval: number;
  retryFailInterval: number;
  syncTimeout: number | undefined;
  stopTimeout: number;
  clusterSize: number;
  seed: number;
}

export type Outcome =
  | { o: 'resolve' }
  | { o: 'void' }
  | { o: 'reject' }
  | { o: 'throw' }
  /** Settles after `ms` on the clock; rejects at once when aborted (a well-behaved sync). */
  | { o: 'hang'; ms: number }
  /** Resolves after `ms` on the clock and ignores its abort signal. */
  | { o: 'ignore'; ms: number }
  /** Pending until a `settle` command; ignores its abort signal. */
  | { o: 'manual' };

export type Command =
  | { c: 'trigger'; kind: SyncKind }
  | { c: 'pause' }
  /** Applied as a balanced resume when paused; otherwise checks that an unbalanced resume throws and changes nothing. */
  | { c: 'resume' }
  | { c: 'advance'; ms: number }
  | { c: 'settle'; ok: boolean };

export interface Scenario {
  config: Config;
  outcomes: Outcome[];
  beforeStart: Command[];
  commands: Command[];
  /** true: let everything play out before stop() (checks no trigger is lost); false: stop mid-flight. */
  drain: boolean;
}

export const configArb: fc.Arbitrary<Config> = fc.record({
  interval: fc.constantFrom(1_000, 5_000),
  serverUpInterval: fc.constantFrom(0, 500, 3_000),
  retryFailInterval: fc.constantFrom(500, 4_000),
  syncTimeout: fc.constantFrom(undefined, 700, 5_000),
  stopTimeout: fc.constantFrom(0, 1_000, 10_000),
  clusterSize: fc.constantFrom(1, 1_000),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
});

export const outcomeArb: fc.Arbitrary<Outcome> = fc.oneof(
  { arbitrary: fc.constant({ o: 'resolve' as const }), weight: 4 },
  { arbitrary: fc.constant({ o: 'void' as const }), weight: 1 },
  { arbitrary: fc.constant({ o: 'reject' as const }), weight: 2 },
  { arbitrary: fc.constant({ o: 'throw' as const }), weight: 1 },
  { arbitrary: fc.record({ o: fc.constant('hang' as const), ms: fc.integer({ min: 1, max: 8_000 }) }), weight: 2 },
  { arbitrary: fc.record({ o: fc.constant('ignore' as const), ms: fc.integer({ min: 1, max: 20_000 }) }), weight: 2 },
  { arbitrary: fc.constant({ o: 'manual' as const }), weight: 2 },
);

export const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ c: fc.constant('trigger' as const), kind: fc.constantFrom<SyncKind>('syncFull', 'syncChanges') }), weight: 5 },
  { arbitrary: fc.constant({ c: 'pause' as const }), weight: 2 },
  { arbitrary: fc.constant({ c: 'resume' as const }), weight: 2 },
  { arbitrary: fc.record({ c: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 8_000 }) }), weight: 4 },
  { arbitrary: fc.record({ c: fc.constant('settle' as const), ok: fc.boolean() }), weight: 2 },
);

export const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  config: configArb,
  outcomes: fc.array(outcomeArb, { minLength: 1, maxLength: 8 }),
  beforeStart: fc.array(commandArb, { maxLength: 3 }),
  commands: fc.array(commandArb, { minLength: 5, maxLength: 60, size: 'large' }),
  drain: fc.boolean(),
});

// --- the run: a real StateSyncer on a fake clock, with a SyncState that records everything ---

export interface CallRecord {
  kind: SyncKind;
  seq: number;
  settled: boolean;
  signal: AbortSignal;
  respectsAbort: boolean;
  settle?: (ok: boolean) => void;
}

export interface TriggerRecord {
  kind: SyncKind;
  seq: number;
  /** Why: an explicit trigger() or the resume that ended a pause (rule 10). */
  cause: string;
}

export class Run {
  readonly clock: TestClock = createTestClock();
  readonly syncer: StateSyncer;
  readonly violations: string[] = [];
  readonly calls: CallRecord[] = [];
  readonly triggers: TriggerRecord[] = [];
  readonly skips: { kind: SyncKind; seq: number }[] = [];
  /** Timers the fake SyncState itself has scheduled on the shared clock (not the syncer's). */
  readonly userTimers = new Set<unknown>();
  private seq = 0;
  private outcomeIndex = 0;
  private draining = false;
  private stopped = false;
  private pauseCount = 0;
  private pauseEpoch = 0;
  private pauseStartedSeq = 0;
  /** A pause() promise resolved and that pause has not ended: no sync may start now. */
  private quietWhilePaused = false;

  constructor(
    readonly config: Config,
    private readonly outcomes: Outcome[],
  ) {
    this.syncer = new StateSyncer({
      state: {
        syncFull: (signal) => this.call('syncFull', signal),
        syncChanges: (signal) => this.call('syncChanges', signal),
      },
      interval: config.interval,
      serverUpInterval: config.serverUpInterval,
      retryFailInterval: config.retryFailInterval,
      syncTimeout: config.syncTimeout,
      stopTimeout: config.stopTimeout,
      clusterSize: () => config.clusterSize,
      random: seededRandom(config.seed),
      clock: this.clock,
    });
    this.syncer.on('fullSyncSkipped', () => this.skips.push({ kind: 'syncFull', seq: this.next() }));
  }

  private next(): number {
    return ++this.seq;
  }

  inFlight(): CallRecord[] {
    return this.calls.filter((c) => !c.settled);
  }

  private userTimer(ms: number, fn: () => void): unknown {
    const handle = this.clock.setTimeout(() => {
      this.userTimers.delete(handle);
      fn();
    }, ms);
    this.userTimers.add(handle);
    return handle;
  }

  /** The fake SyncState method: records the call and settles it as the scenario says. */
  private call(kind: SyncKind, signal: AbortSignal): Promise<void> | void {
    const seq = this.next();
    if (this.stopped) this.violations.push(`${kind} called after stop()`);
    if (this.inFlight().length > 0) this.violations.push(`${kind} called while another sync is in flight`);
    if (this.quietWhilePaused) this.violations.push(`${kind} called after pause() resolved, while still paused`);
    const outcome: Outcome = this.draining
      ? { o: 'resolve' }
      : this.outcomes[this.outcomeIndex++ % this.outcomes.length]!;
    const record: CallRecord = { kind, seq, settled: false, signal, respectsAbort: false };
    this.calls.push(record);
    switch (outcome.o) {
      case 'void':
        record.settled = true;
        return undefined;
      case 'throw':
        record.settled = true;
        throw new Error(`${kind} threw`);
      case 'resolve':
        record.settled = true;
        return Promise.resolve();
      case 'reject':
        record.settled = true;
        return Promise.reject(new Error(`${kind} failed`));
      case 'hang':
        record.respectsAbort = true;
        return new Promise<void>((resolve, reject) => {
          const handle = this.userTimer(outcome.ms, () => {
            record.settled = true;
            resolve();
          });
          signal.addEventListener('abort', () => {
            if (record.settled) return;
            this.clock.clearTimeout(handle);
            this.userTimers.delete(handle);
            record.settled = true;
            reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
          });
        });
      case 'ignore':
        return new Promise<void>((resolve) => {
          this.userTimer(outcome.ms, () => {
            record.settled = true;
            resolve();
          });
        });
      case 'manual':
        return new Promise<void>((resolve, reject) => {
          record.settle = (ok) => {
            record.settled = true;
            if (ok) resolve();
            else reject(new Error(`${kind} failed late`));
          };
        });
    }
  }

  start(): void {
    this.syncer.start();
    this.syncer.actor?.on('syncChanges.skipped', () => this.skips.push({ kind: 'syncChanges', seq: this.next() }));
  }

  /** Everything an unbalanced resume must leave unchanged. */
  private observable(): string {
    const snapshot = this.syncer.actor?.getSnapshot();
    return JSON.stringify({
      state: this.syncer.state,
      value: snapshot?.value,
      context: snapshot && { ...snapshot.context },
      paused: this.syncer.paused,
      full: this.syncer.syncFull.pending,
      changes: this.syncer.syncChanges.pending,
      stats: this.syncer.stats(),
      calls: this.calls.length,
    });
  }

  async apply(command: Command): Promise<void> {
    switch (command.c) {
      case 'trigger':
        this.triggers.push({ kind: command.kind, seq: this.next(), cause: 'trigger()' });
        this.syncer[command.kind].trigger();
        break;
      case 'pause': {
        if (this.pauseCount++ === 0) this.pauseStartedSeq = this.next();
        const epoch = this.pauseEpoch;
        this.syncer.pause().then(
          () => {
            if (this.pauseCount > 0 && this.pauseEpoch === epoch && !this.stopped) {
              this.quietWhilePaused = true;
              if (this.inFlight().length > 0) this.violations.push('pause() resolved while a sync was in flight');
            }
          },
          (err: unknown) => this.violations.push(`pause() rejected: ${String(err)}`),
        );
        break;
      }
      case 'resume': {
        if (this.pauseCount === 0) {
          const before = this.observable();
          let threw = false;
          try {
            this.syncer.resume();
          } catch (err) {
            threw = err instanceof Error;
          }
          if (!threw) this.violations.push('unbalanced resume() did not throw an Error');
          if (this.observable() !== before) this.violations.push('unbalanced resume() changed the syncer');
          break;
        }
        // Bookkeeping first: the resume that ends a pause may call syncChanges synchronously.
        const ending = --this.pauseCount === 0;
        if (ending) {
          this.pauseEpoch++;
          this.quietWhilePaused = false;
          const seq = this.next();
          this.triggers.push({ kind: 'syncChanges', seq, cause: 'resume' });
          // Rule 10: a full sync skipped during this pause is re-triggered by the resume.
          if (this.skips.some((s) => s.kind === 'syncFull' && s.seq > this.pauseStartedSeq)) {
            this.triggers.push({ kind: 'syncFull', seq, cause: 'resume after a skipped full sync' });
          }
        }
        const ended = this.syncer.resume();
        if (ended !== ending) this.violations.push(`resume() returned ${ended}`);
        break;
      }
      case 'advance':
        await this.clock.tickAsync(command.ms);
        break;
      case 'settle': {
        const call = this.calls.find((c) => !c.settled && c.settle);
        call?.settle?.(command.ok);
        break;
      }
    }
    await settle(this.clock);
  }

  /** Lets every sync settle and every timer that matters fire. */
  async drain(): Promise<void> {
    this.draining = true;
    for (const call of this.calls) if (!call.settled) call.settle?.(true);
    await this.clock.tickAsync(DRAIN_MS);
  }

  /**
   * No trigger lost: each was acted on by a call that started after it, or consumed while
   * paused, or is still owed while the syncer is paused at the end: remembered (pending), or
   * carried by a full sync that was skipped after it (the resume re-triggers that one). A
   * SyncChanges trigger can also be consumed by a full sync that never reached the user
   * (it timed out waiting for an abandoned one); the retry — or, while paused, the skip — owes it.
   */
  checkTriggers(): void {
    const paused = this.syncer.paused;
    for (const t of this.triggers) {
      const after = (kind?: SyncKind) => this.calls.some((c) => c.seq > t.seq && (!kind || c.kind === kind));
      const skippedAfter = (kind: SyncKind) => this.skips.some((s) => s.kind === kind && s.seq > t.seq);
      const ok =
        t.kind === 'syncChanges'
          ? after() || skippedAfter('syncChanges') || (paused && (this.syncer.syncChanges.pending || skippedAfter('syncFull')))
          : after('syncFull') || (paused && (skippedAfter('syncFull') || this.syncer.syncFull.pending));
      if (!ok) this.violations.push(`${t.kind} trigger #${t.seq} (${t.cause}) was lost`);
    }
  }

  /** stop(): resolves within stopTimeout, aborts what runs, leaves no timer and makes no call after. */
  async stop(): Promise<void> {
    const inFlight = this.inFlight();
    this.stopped = true;
    const stopSeq = this.next();
    let resolved = 0;
    const first = this.syncer.stop().then(() => resolved++);
    const second = this.syncer.stop().then(() => resolved++);
    for (const call of inFlight) {
      if (!call.signal.aborted) {
        this.violations.push(`stop() did not abort the in-flight ${call.kind}`);
      }
    }
    await settle(this.clock);
    const mustBeImmediate = inFlight.every((c) => c.respectsAbort);
    if (mustBeImmediate && resolved !== 2) {
      this.violations.push(`stop() did not resolve at once (in flight: ${inFlight.map((c) => c.kind).join(', ') || 'none'})`);
    }
    await this.clock.tickAsync(this.config.stopTimeout);
    if (resolved !== 2) this.violations.push(`stop() not resolved ${this.config.stopTimeout} ms (stopTimeout) after it was called`);
    await Promise.all([first, second]);
    if (this.syncer.state !== 'done') this.violations.push(`state ${this.syncer.state} after stop()`);
    const syncerTimers = this.clock.countTimers() - this.userTimers.size;
    if (syncerTimers !== 0) this.violations.push(`${syncerTimers} syncer timers left after stop() resolved`);
    // Nothing happens afterwards: late results are ignored and no sync starts.
    const statsBefore = JSON.stringify(this.syncer.stats());
    this.syncer.syncFull.trigger();
    this.syncer.syncChanges.trigger();
    for (const call of this.calls) if (!call.settled) call.settle?.(true);
    await this.clock.tickAsync(100_000);
    if (this.calls.some((c) => c.seq > stopSeq)) this.violations.push('a sync started after stop()');
    if (JSON.stringify(this.syncer.stats()) !== statsBefore) this.violations.push('stats changed after stop() resolved');
    if (this.clock.countTimers() !== 0) this.violations.push(`${this.clock.countTimers()} timers never ran out`);
  }
}

export async function runScenario(s: Scenario): Promise<Run> {
  const run = new Run(s.config, s.outcomes);
  for (const command of s.beforeStart) await run.apply(command);
  run.start();
  await settle(run.clock);
  for (const command of s.commands) await run.apply(command);
  if (s.drain) {
    await run.drain();
    run.checkTriggers();
  }
  await run.stop();
  return run;
}

