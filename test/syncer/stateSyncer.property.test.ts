// Property test of the state syncer: fast-check generates random interleavings of
// triggers, pause/resume, sync outcomes (resolve, reject, throw, hang, ignore the abort
// signal, settle by hand) and clock advances, ends with stop(), and checks the invariants
// of issue 2: never two syncs in flight, no trigger lost, stop() always resolves within
// stopTimeout, no timer left behind, no unhandled rejection.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateSyncer } from '../../src/syncer/stateSyncer.js';
import { constantRandom, createTestClock, seededRandom, type TestClock } from '../../src/testing.js';
import { settle, scriptedSyncState as scriptedState } from '../helpers/index.js';

type Kind = 'syncFull' | 'syncChanges';

// Fixed for reproducibility; override to explore more (e.g. PROPERTY_SEED=7 PROPERTY_RUNS=5000).
const SEED = Number(process.env.PROPERTY_SEED ?? 20_261_122);
const RUNS = Number(process.env.PROPERTY_RUNS ?? 200);
/** Long enough for every stagger, retry, hung sync and deadline in the generated configs to play out. */
const DRAIN_MS = 60_000;

// --- what fast-check generates -------------------------------------------------------

interface Config {
  interval: number;
  serverUpInterval: number;
  retryFailInterval: number;
  syncTimeout: number | undefined;
  stopTimeout: number;
  clusterSize: number;
  seed: number;
}

type Outcome =
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

type Command =
  | { c: 'trigger'; kind: Kind }
  | { c: 'pause' }
  /** Applied as a balanced resume when paused; otherwise checks that an unbalanced resume throws and changes nothing. */
  | { c: 'resume' }
  | { c: 'advance'; ms: number }
  | { c: 'settle'; ok: boolean };

interface Scenario {
  config: Config;
  outcomes: Outcome[];
  beforeStart: Command[];
  commands: Command[];
  /** true: let everything play out before stop() (checks no trigger is lost); false: stop mid-flight. */
  drain: boolean;
}

const configArb: fc.Arbitrary<Config> = fc.record({
  interval: fc.constantFrom(1_000, 5_000),
  serverUpInterval: fc.constantFrom(0, 500, 3_000),
  retryFailInterval: fc.constantFrom(500, 4_000),
  syncTimeout: fc.constantFrom(undefined, 700, 5_000),
  stopTimeout: fc.constantFrom(0, 1_000, 10_000),
  clusterSize: fc.constantFrom(1, 1_000),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
});

const outcomeArb: fc.Arbitrary<Outcome> = fc.oneof(
  { arbitrary: fc.constant({ o: 'resolve' as const }), weight: 4 },
  { arbitrary: fc.constant({ o: 'void' as const }), weight: 1 },
  { arbitrary: fc.constant({ o: 'reject' as const }), weight: 2 },
  { arbitrary: fc.constant({ o: 'throw' as const }), weight: 1 },
  { arbitrary: fc.record({ o: fc.constant('hang' as const), ms: fc.integer({ min: 1, max: 8_000 }) }), weight: 2 },
  { arbitrary: fc.record({ o: fc.constant('ignore' as const), ms: fc.integer({ min: 1, max: 20_000 }) }), weight: 2 },
  { arbitrary: fc.constant({ o: 'manual' as const }), weight: 2 },
);

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ c: fc.constant('trigger' as const), kind: fc.constantFrom<Kind>('syncFull', 'syncChanges') }), weight: 5 },
  { arbitrary: fc.constant({ c: 'pause' as const }), weight: 2 },
  { arbitrary: fc.constant({ c: 'resume' as const }), weight: 2 },
  { arbitrary: fc.record({ c: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 8_000 }) }), weight: 4 },
  { arbitrary: fc.record({ c: fc.constant('settle' as const), ok: fc.boolean() }), weight: 2 },
);

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  config: configArb,
  outcomes: fc.array(outcomeArb, { minLength: 1, maxLength: 8 }),
  beforeStart: fc.array(commandArb, { maxLength: 3 }),
  commands: fc.array(commandArb, { minLength: 5, maxLength: 60, size: 'large' }),
  drain: fc.boolean(),
});

// --- the run: a real StateSyncer on a fake clock, with a SyncState that records everything ---

interface CallRecord {
  kind: Kind;
  seq: number;
  settled: boolean;
  signal: AbortSignal;
  respectsAbort: boolean;
  settle?: (ok: boolean) => void;
}

interface TriggerRecord {
  kind: Kind;
  seq: number;
  /** Why: an explicit trigger() or the resume that ended a pause (rule 10). */
  cause: string;
}

class Run {
  readonly clock: TestClock = createTestClock();
  readonly syncer: StateSyncer;
  readonly violations: string[] = [];
  readonly calls: CallRecord[] = [];
  readonly triggers: TriggerRecord[] = [];
  readonly skips: { kind: Kind; seq: number }[] = [];
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
  private call(kind: Kind, signal: AbortSignal): Promise<void> | void {
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
      const after = (kind?: Kind) => this.calls.some((c) => c.seq > t.seq && (!kind || c.kind === kind));
      const skippedAfter = (kind: Kind) => this.skips.some((s) => s.kind === kind && s.seq > t.seq);
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

async function runScenario(s: Scenario): Promise<Run> {
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

// --- unhandled rejections anywhere in a run fail it --------------------------------------

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});
/** One real macrotask turn: Node reports unhandled rejections between turns. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('StateSyncer properties', () => {
  it(`keeps every invariant over ${RUNS} random interleavings (seed ${SEED})`, async () => {
    const stats = { runs: 0, calls: 0, triggers: 0, skips: 0, drained: 0 };
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const before = unhandled.length;
        const run = await runScenario(scenario);
        await nextTurn();
        stats.runs++;
        stats.calls += run.calls.length;
        stats.triggers += run.triggers.length;
        stats.skips += run.skips.length;
        if (scenario.drain) stats.drained++;
        const problems = [...run.violations, ...unhandled.slice(before).map((r) => `unhandled rejection: ${String(r)}`)];
        expect(problems).toEqual([]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    console.log(`stateSyncer property: ${JSON.stringify(stats)}`);
    // The generator really exercises the syncer (a property over empty runs proves nothing).
    expect(stats.runs).toBeGreaterThanOrEqual(RUNS);
    expect(stats.calls).toBeGreaterThan(RUNS * 3);
    expect(stats.triggers).toBeGreaterThan(RUNS * 5);
    expect(stats.skips).toBeGreaterThan(10);
    expect(stats.drained).toBeGreaterThan(RUNS / 4);
  });

  it('reports a lost trigger (the invariant can fail)', async () => {
    const run = new Run(
      { interval: 1_000, serverUpInterval: 0, retryFailInterval: 500, syncTimeout: undefined, stopTimeout: 0, clusterSize: 1, seed: 1 },
      [{ o: 'resolve' }],
    );
    run.start();
    await settle(run.clock);
    // A trigger recorded but never handed to the syncer must show up as lost.
    run.triggers.push({ kind: 'syncFull', seq: 1_000_000, cause: 'test' });
    run.checkTriggers();
    expect(run.violations).toEqual(['syncFull trigger #1000000 (test) was lost']);
    await run.stop();
  });
});

// Bugs this test and the bench found in the runtime (fixed in src/syncer/syncRunner.ts and
// the machine's worker); kept as plain regression tests.
describe('StateSyncer regressions found by the property test', () => {
  it('leaves no syncTimeout timer behind when stop() abandons a sync that ignores its signal', async () => {
    const clock = createTestClock();
    const state = scriptedState(clock);
    state.mode.syncFull = 'manual'; // never settles, ignores the signal
    const syncer = new StateSyncer({
      state,
      interval: 60_000,
      clusterSize: () => 1,
      random: constantRandom(0.5),
      clock,
      syncTimeout: 30_000,
      stopTimeout: 1_000,
    });
    syncer.start();
    await clock.tickAsync(100);
    let stopped = false;
    void syncer.stop().then(() => (stopped = true));
    await clock.tickAsync(999);
    expect(stopped).toBe(false);
    await clock.tickAsync(1);
    expect(stopped).toBe(true);
    // Was 1: the 30 s syncTimeout sleep outlived stop(); on the system clock it kept the
    // process alive ~29 s after stop() resolved.
    expect(clock.countTimers()).toBe(0);
  });

  it('starts no sync after pause() resolved, even one queued behind a timed-out sync', async () => {
    const clock = createTestClock();
    const state = scriptedState(clock);
    const syncer = new StateSyncer({
      state,
      interval: 60_000,
      clusterSize: () => 1,
      random: constantRandom(0.5),
      clock,
      syncTimeout: 1_000,
    });
    syncer.start();
    await settle(clock);
    state.mode.syncChanges = 'manual';
    syncer.syncChanges.trigger(); // A ignores its signal
    const a = state.last('syncChanges')!;
    await clock.tickAsync(1_000); // A times out; the machine is back in partialSync.idle
    syncer.syncChanges.trigger(); // B is invoked but waits for A (never two in flight)
    let pauseResolved = false;
    void syncer.pause().then(() => (pauseResolved = true));
    a.resolve();
    await settle(clock);
    expect(pauseResolved).toBe(true);
    expect(syncer.paused).toBe(true);
    // Was [0, 1000]: B's syncChanges was called right after pause() resolved, while still paused.
    expect(state.times('syncChanges')).toEqual([0]);
    const stopping = syncer.stop();
    for (const call of state.calls) if (!call.settled) call.resolve();
    await stopping;
  });

  it('touches no other syncer’s timers when one syncer on a shared clock finishes a sync', async () => {
    // Syncers on one clock share xstate systems (src/shared/actorHost.ts). xstate's stock
    // scheduler.cancelAll(actor) walks every delayed event of the whole system whenever an
    // actor stops. Each sync used to invoke (and stop) a promise actor: with 10k idle
    // syncers in one system that turned a 30 µs round trip into ~2.1 ms. Now every sync
    // goes to the machine's long-lived worker, so no actor stops per sync and nothing of
    // the system's scheduled-event table is read.
    const clock = createTestClock();
    const make = () =>
      new StateSyncer({
        state: { syncFull: () => undefined, syncChanges: () => undefined },
        interval: 3_600_000,
        clusterSize: () => 1,
        random: constantRandom(0.5),
        clock,
      }).start();
    const fleet = Array.from({ length: 1_000 }, make);
    const syncer = make();
    await settle(clock);
    // Count reads of the system's scheduled-event table during one partial sync (xstate internals).
    const system = syncer.actor!.getSnapshot().children.worker!.system as unknown as { _snapshot: { _scheduledEvents: Record<string, unknown> } };
    let reads = 0;
    system._snapshot._scheduledEvents = new Proxy(system._snapshot._scheduledEvents, {
      get(target, key, receiver) {
        reads++;
        return Reflect.get(target, key, receiver) as unknown;
      },
      getOwnPropertyDescriptor(target, key) {
        reads++;
        return Reflect.getOwnPropertyDescriptor(target, key);
      },
    });
    syncer.syncChanges.trigger();
    await settle(clock);
    const readsForOneSync = reads;
    expect(syncer.stats().partialSyncs).toBe(1);
    await Promise.all([...fleet, syncer].map((s) => s.stop()));
    // Was 2,002 reads: two per scheduled event of all 1,001 syncers.
    expect(readsForOneSync).toBe(0);
  });
});
