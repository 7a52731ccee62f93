// Model-based test of the state syncer: xstate/graph walks the pure machine's state
// graph, and every path found is replayed against a real StateSyncer on a fake clock.
// After each step the syncer must be in the state (and hold the triggers) the model predicts.
import { describe, expect, it } from 'vitest';
import type { ActorLogic, AnyStateNode, SnapshotFrom } from 'xstate';
import { getAdjacencyMap, getShortestPaths, type AdjacencyMap, type StatePath } from 'xstate/graph';
import { stateSyncerMachine, type StateSyncerInput } from '../../machines/stateSyncer.machine.js';
import { StateSyncer } from '../../src/syncer/stateSyncer.js';
import { statePath } from '../../src/syncer/statePath.js';
import { createTestClock, seededRandom, type TestClock } from '../../src/testing.js';
import { settle, scriptedSyncState, type SyncKind, type ScriptedSyncState } from '../helpers/index.js';

// Times chosen so that every ordering the model allows can also happen on the clock:
// in partialSync the deadline is 1000–1999 ms away, and a SyncFull stagger is either
// 500 ms (random 0.1: the stagger ends first) or 4500 ms (random 0.9: the deadline passes first).
const INTERVAL = 1_000;
const SERVER_UP_INTERVAL = 5_000;
const RETRY_FAIL_INTERVAL = 2_000;
const STAGGER_FIRST = 0.1;
const DEADLINE_FIRST = 0.9;
const DEFAULT_RANDOM = 0.5;
/** PAUSE is modelled up to this depth of nesting; deeper adds states, not behaviour. */
const MAX_PAUSE_DEPTH = 2;
const RANDOM_WALKS = 150;
const RANDOM_WALK_LENGTH = 30;

type Snapshot = SnapshotFrom<typeof stateSyncerMachine>;
type ModelEvent = { type: string };
type Path = StatePath<Snapshot, ModelEvent>;

// The pure model: sync functions are never called during traversal (the worker is not started).
const modelInput: StateSyncerInput = {
  env: {
    syncFull: () => undefined,
    syncChanges: () => undefined,
    interval: INTERVAL,
    serverUpInterval: SERVER_UP_INTERVAL,
    retryFailInterval: RETRY_FAIL_INTERVAL,
    stagger: (ms) => Math.floor(DEFAULT_RANDOM * ms),
    now: () => 0,
    clampDelay: (ms) => ms,
  },
};

const isAnswer = (e: ModelEvent) => e.type === 'SYNC_DONE' || e.type === 'SYNC_FAILED';
const EXTERNAL_EVENTS = ['SYNC_FULL', 'SYNC_CHANGES', 'PAUSE', 'RESUME', 'STOP'];

/**
 * The events the model tries in `snapshot`: every event the runtime can send, the delayed
 * events of the active states and — while a sync is in flight — the worker's two answers
 * to it, carrying the request id the machine expects (a custom `events` replaces
 * xstate/graph's own list, so it is built here from the machine's state nodes).
 */
function modelEvents(snapshot: Snapshot): ModelEvent[] {
  const events: ModelEvent[] = EXTERNAL_EVENTS.map((type) => ({ type }));
  let node: AnyStateNode | undefined = stateSyncerMachine.root;
  for (const key of statePath(snapshot.value).split('.')) {
    node = node?.states[key];
    for (const delayed of node?.after ?? []) events.push({ type: delayed.eventType });
  }
  if (inState(snapshot, 'fullSync.syncing') || inState(snapshot, 'partialSync.syncingChanges')) {
    const id = snapshot.context.request;
    events.push({ type: 'SYNC_DONE', id } as ModelEvent, { type: 'SYNC_FAILED', id, error: new Error('model says this sync fails') } as ModelEvent);
  }
  return events;
}

/** What distinguishes two model states: the active state and every flag the machine acts on. */
function observable(snapshot: Snapshot) {
  const c = snapshot.context;
  return {
    status: snapshot.status,
    value: snapshot.value,
    paused: c.paused,
    fullSyncPending: c.fullSyncPending,
    changesPending: c.changesPending,
    deadlinePassed: c.deadlinePassed,
    skippedWhilePaused: c.skippedWhilePaused,
  };
}

/** True when `snapshot` is in `path` ('partialSync' or 'partialSync.idle') or one of its children. */
function inState(snapshot: Snapshot | undefined, path: string): boolean {
  if (!snapshot) return false;
  const current = statePath(snapshot.value);
  return current === path || current.startsWith(`${path}.`);
}

const isAfter = (e: ModelEvent, delay: string) => e.type.startsWith(`xstate.after.${delay}.`);

// Events the real syncer cannot produce in a state are left out of the model:
// a resume without a pause throws (tested on its own below), and a deadline
// timer that already fired cannot fire again until fullSync re-arms it.
function feasible(snapshot: Snapshot, event: ModelEvent): boolean {
  if (snapshot.status !== 'active') return false;
  if (event.type === 'RESUME') return snapshot.context.paused > 0;
  if (event.type === 'PAUSE') return snapshot.context.paused < MAX_PAUSE_DEPTH;
  if (isAfter(event, 'fullSyncDeadline')) return !snapshot.context.deadlinePassed;
  return true;
}

const traversal = {
  input: modelInput,
  serializeState: (s: Snapshot) => JSON.stringify(observable(s)),
  events: modelEvents,
  filterEvents: feasible,
};

/** A readable name for `event`; a worker's answer is named after the state it answers (`before`). */
function shortName(event: ModelEvent, before?: Snapshot): string {
  if (isAnswer(event)) return `${event.type === 'SYNC_DONE' ? 'done' : 'error'}(${before ? statePath(before.value) : '?'})`;
  return event.type.replace(/^xstate\.after\.(\w+)\.stateSyncer\.(.*)$/, 'after($1 in $2)');
}

const describePath = (walk: Walk) => walk.events.map((e, i) => shortName(e, walk.states[i - 1])).join(' → ');

/** A replayable path: the model's events and the snapshot after each. */
interface Walk {
  events: ModelEvent[];
  states: Snapshot[];
}

const fromPath = (path: Path): Walk => ({
  events: path.steps.map((s) => s.event),
  states: path.steps.map((s) => s.state),
});

// --- the real syncer, driven step by step ------------------------------------------

interface Entry {
  at: number;
  random: number;
}

class Replay {
  readonly clock: TestClock = createTestClock();
  readonly state: ScriptedSyncState = scriptedSyncState(this.clock);
  readonly syncer: StateSyncer;
  random = DEFAULT_RANDOM;
  stopping: Promise<void> | undefined;
  readonly pauses: Promise<void>[] = [];
  readonly errors: string[] = [];
  // When each timed state was (last) entered and with what random value: the model
  // knows which timer fires, this tells when it must fire on the clock.
  fullSyncEntry: Entry = { at: 0, random: DEFAULT_RANDOM };
  waitEntry: Entry = { at: 0, random: DEFAULT_RANDOM };
  retryEntry: Entry = { at: 0, random: DEFAULT_RANDOM };

  constructor() {
    this.state.mode = { syncFull: 'manual', syncChanges: 'manual' };
    this.syncer = new StateSyncer({
      state: this.state,
      interval: INTERVAL,
      serverUpInterval: SERVER_UP_INTERVAL,
      retryFailInterval: RETRY_FAIL_INTERVAL,
      clusterSize: () => 1,
      random: () => this.random,
      clock: this.clock,
    });
  }

  pendingCall(kind: SyncKind) {
    const call = this.state.calls.find((c) => c.kind === kind && !c.settled);
    if (!call) throw new Error(`model expects a ${kind} in flight, but none is`);
    return call;
  }

  /** Milliseconds on the clock at which the timer behind `event` must fire. */
  dueAt(event: ModelEvent): number {
    if (isAfter(event, 'fullSyncDeadline')) {
      const e = this.fullSyncEntry;
      return e.at + INTERVAL + Math.floor(e.random * INTERVAL);
    }
    if (isAfter(event, 'serverUpStagger')) {
      const e = this.waitEntry;
      return e.at + Math.floor(e.random * SERVER_UP_INTERVAL);
    }
    if (isAfter(event, 'retryFailDelay')) {
      const e = this.retryEntry;
      return e.at + RETRY_FAIL_INTERVAL + Math.floor(e.random * RETRY_FAIL_INTERVAL);
    }
    throw new Error(`unknown delayed event ${event.type}`);
  }

  async apply(event: ModelEvent, before: Snapshot, after: Snapshot): Promise<void> {
    const { type } = event;
    if (type === 'xstate.init') {
      this.syncer.start();
    } else if (type === 'SYNC_FULL') {
      this.syncer.syncFull.trigger();
    } else if (type === 'SYNC_CHANGES') {
      this.syncer.syncChanges.trigger();
    } else if (type === 'PAUSE') {
      this.pauses.push(this.syncer.pause());
    } else if (type === 'RESUME') {
      const ended = this.syncer.resume();
      if (ended !== (after.context.paused === 0)) this.errors.push(`resume() returned ${ended}`);
    } else if (type === 'STOP') {
      const inFlight = this.state.calls.filter((c) => !c.settled);
      this.stopping = this.syncer.stop();
      if (inFlight.some((c) => !c.signal.aborted)) this.errors.push('stop() left a sync signal not aborted');
    } else if (isAnswer(event)) {
      const call = this.pendingCall(inState(before, 'fullSync.syncing') ? 'syncFull' : 'syncChanges');
      if (type === 'SYNC_DONE') call.resolve();
      else call.reject(new Error('model says this sync fails'));
    } else if (type.startsWith('xstate.after.')) {
      const due = this.dueAt(event);
      const wait = due - this.clock.now;
      if (wait < 1) throw new Error(`${shortName(event)} is due at ${due}, not after now (${this.clock.now})`);
      // Both sides of the timer: 1 ms before it the syncer is still where it was.
      await this.clock.tickAsync(wait - 1);
      this.check(before, `1 ms before ${shortName(event)}`);
      await this.clock.tickAsync(1);
    } else {
      throw new Error(`model event ${type} has no counterpart`);
    }
    await settle(this.clock);
  }

  /** Compares the real syncer with a model snapshot; mismatches are collected in `errors`. */
  check(model: Snapshot, where: string): void {
    const expected = observable(model);
    const actor = this.syncer.actor;
    if (!actor) {
      this.errors.push(`${where}: no actor`);
      return;
    }
    const snap = actor.getSnapshot();
    const actual = observable(snap);
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      this.errors.push(`${where}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    }
    // The public surface agrees with the machine.
    const top = typeof model.value === 'string' ? model.value : Object.keys(model.value)[0];
    if (this.syncer.state !== top) this.errors.push(`${where}: syncer.state ${this.syncer.state}, model ${top}`);
    if (model.status === 'active') {
      if (this.syncer.paused !== model.context.paused > 0) this.errors.push(`${where}: paused ${this.syncer.paused}`);
      if (this.syncer.syncFull.pending !== model.context.fullSyncPending) {
        this.errors.push(`${where}: syncFull.pending ${this.syncer.syncFull.pending}`);
      }
      if (this.syncer.syncChanges.pending !== model.context.changesPending) {
        this.errors.push(`${where}: syncChanges.pending ${this.syncer.syncChanges.pending}`);
      }
    }
  }

  /** Notes when timed states were entered (at the clock time the step ended). */
  track(event: ModelEvent, before: Snapshot | undefined, after: Snapshot): void {
    const entered = (state: string) => inState(after, state) && !inState(before, state);
    const now = { at: this.clock.now, random: this.random };
    if (entered('fullSync')) this.fullSyncEntry = now;
    if (entered('partialSync.waitingToSyncFull') || entered('retryFullSync.waitingToSyncFull')) this.waitEntry = now;
    // A retry that finds the syncer still paused goes straight back to waiting, with a new timer.
    if (entered('retryFullSync.waiting') || (inState(after, 'retryFullSync.waiting') && isAfter(event, 'retryFailDelay'))) {
      this.retryEntry = now;
    }
    // fullSync entered and left in the same step (skipped while paused) still fixes a deadline,
    // but no partialSync can follow without a new entry, so it never matters.
  }

  /** Stops (if the path did not), lets every sync settle, and checks nothing is left behind. */
  async finish(): Promise<void> {
    this.stopping ??= this.syncer.stop();
    for (const call of this.state.calls) if (!call.settled) call.resolve();
    let stopped = false;
    void this.stopping.then(() => (stopped = true));
    await settle(this.clock);
    if (!stopped) this.errors.push('stop() did not resolve once every sync settled');
    if (this.clock.countTimers() !== 0) this.errors.push(`${this.clock.countTimers()} timers left after stop`);
    let pausesResolved = false;
    void Promise.all(this.pauses).then(() => (pausesResolved = true));
    await settle(this.clock);
    if (!pausesResolved) this.errors.push('a pause() promise never resolved');
  }
}

/** Chooses the random value for step `i` so that the timer the model fires next fires first. */
function randomForStep(walk: Walk, i: number): number {
  const after = walk.states[i]!;
  const before = walk.states[i - 1];
  if (!inState(after, 'partialSync.waitingToSyncFull') || inState(before, 'partialSync.waitingToSyncFull')) {
    return DEFAULT_RANDOM;
  }
  for (let j = i + 1; j < walk.events.length; j++) {
    const event = walk.events[j]!;
    if (isAfter(event, 'fullSyncDeadline')) return DEADLINE_FIRST;
    if (isAfter(event, 'serverUpStagger') || !inState(walk.states[j], 'partialSync.waitingToSyncFull')) break;
  }
  return STAGGER_FIRST;
}

/** Replays one walk; returns the mismatches found (empty when the syncer followed the model). */
async function replay(walk: Walk): Promise<string[]> {
  const r = new Replay();
  const counts = { syncFull: 0, syncChanges: 0 };
  try {
    for (let i = 0; i < walk.events.length; i++) {
      const event = walk.events[i]!;
      const before = walk.states[i - 1];
      const after = walk.states[i]!;
      r.random = randomForStep(walk, i);
      await r.apply(event, before ?? after, after);
      r.track(event, before, after);
      r.check(after, `after ${shortName(event, before)}`);
      // Each entry into a syncing state is exactly one call of the user's method. A sync that
      // settles with its trigger pending again is re-entered within the same step.
      const settled = isAnswer(event);
      const entered = (state: 'fullSync.syncing' | 'partialSync.syncingChanges') =>
        inState(after, state) && (!inState(before, state) || (settled && inState(before, state)));
      if (entered('fullSync.syncing')) counts.syncFull++;
      if (entered('partialSync.syncingChanges')) counts.syncChanges++;
      const actual = { syncFull: r.state.times('syncFull').length, syncChanges: r.state.times('syncChanges').length };
      if (actual.syncFull !== counts.syncFull || actual.syncChanges !== counts.syncChanges) {
        r.errors.push(`after ${shortName(event, before)}: calls ${JSON.stringify(actual)}, model ${JSON.stringify(counts)}`);
      }
      if (r.errors.length > 0) break;
    }
    await r.finish();
    if (r.state.maxConcurrent > 1) r.errors.push(`${r.state.maxConcurrent} syncs in flight at once`);
  } catch (err) {
    r.errors.push(String(err));
  }
  return r.errors.map((e) => `${describePath(walk)}\n    ${e}`);
}

async function replayAll(walks: Walk[]): Promise<string[]> {
  const failures: string[] = [];
  for (const walk of walks) failures.push(...(await replay(walk)));
  return failures;
}

// --- path generation ---------------------------------------------------------------

// The machine's emitted-event type makes it incompatible with getAdjacencyMap's generic ActorLogic; the logic itself is unchanged.
const modelLogic = stateSyncerMachine as unknown as ActorLogic<Snapshot, ModelEvent, StateSyncerInput>;
const adjacency: AdjacencyMap<Snapshot, ModelEvent> = getAdjacencyMap(modelLogic, traversal);

interface Move {
  event: ModelEvent;
  state: Snapshot;
}
/** The transitions out of one model state (AdjacencyMap keys are branded strings, hence the cast). */
const movesOf = (vertex: AdjacencyMap<Snapshot, ModelEvent>[keyof AdjacencyMap<Snapshot, ModelEvent>] | undefined) =>
  (vertex ? Object.values(vertex.transitions) : []) as Move[];
const shortestPaths = getShortestPaths(modelLogic, traversal) as Path[];
const shortestTo = new Map(shortestPaths.map((p) => [traversal.serializeState(p.state), fromPath(p)]));

/** One walk per edge of the graph: the shortest way to its source state, then that event. */
function edgeWalks(): Walk[] {
  const walks: Walk[] = [];
  for (const [key, vertex] of Object.entries(adjacency)) {
    const head = shortestTo.get(key);
    if (!head) throw new Error(`no shortest path to ${key}`);
    for (const { event, state } of movesOf(vertex)) {
      walks.push({ events: [...head.events, event], states: [...head.states, state] });
    }
  }
  return walks;
}

/** Seeded random walks through the graph: long interleavings the shortest paths never take. */
function randomWalks(seed: number, count: number, length: number): Walk[] {
  const random = seededRandom(seed);
  const initial = shortestPaths.find((p) => p.steps.length === 1);
  if (!initial) throw new Error('no initial path');
  const walks: Walk[] = [];
  for (let n = 0; n < count; n++) {
    const walk = fromPath(initial);
    for (let i = 0; i < length; i++) {
      const last = walk.states[walk.states.length - 1]!;
      const vertex = adjacency[traversal.serializeState(last) as keyof typeof adjacency];
      const moves = movesOf(vertex);
      if (moves.length === 0) break;
      // STOP ends a walk, so it is taken rarely: most walks go the full length.
      const choices = moves.filter((m) => m.event.type !== 'STOP' || random() < 0.05);
      const move = choices[Math.floor(random() * choices.length)];
      if (!move) continue;
      walk.events.push(move.event);
      walk.states.push(move.state);
    }
    walks.push(walk);
  }
  return walks;
}

describe('stateSyncer model', () => {
  it('has a bounded model that covers every state, event and delay of the machine', () => {
    const vertices = Object.values(adjacency);
    const eventTypes = new Set(vertices.flatMap((v) => movesOf(v).map((t) => shortName(t.event, v.state))));
    expect([...eventTypes].sort()).toEqual(
      [
        'PAUSE',
        'RESUME',
        'STOP',
        'SYNC_CHANGES',
        'SYNC_FULL',
        'after(fullSyncDeadline in partialSync)',
        'after(retryFailDelay in retryFullSync.waiting)',
        'after(serverUpStagger in partialSync.waitingToSyncFull)',
        'after(serverUpStagger in retryFullSync.waitingToSyncFull)',
        'done(fullSync.syncing)',
        'done(partialSync.syncingChanges)',
        'error(fullSync.syncing)',
        'error(partialSync.syncingChanges)',
      ].sort(),
    );
    const leaves = new Set(
      vertices.map((v) => JSON.stringify(v.state.value)).filter((value) => !value.includes('checking')),
    );
    expect([...leaves].sort()).toEqual(
      [
        '{"fullSync":"syncing"}',
        '{"partialSync":"idle"}',
        '{"partialSync":"syncingChanges"}',
        '{"partialSync":"waitingToSyncFull"}',
        '{"retryFullSync":"waiting"}',
        '{"retryFullSync":"waitingToSyncFull"}',
        '"done"',
      ].sort(),
    );
    // Bounded: pause depth ≤ 2 keeps the graph small enough to replay every edge.
    expect(vertices.length).toBeLessThan(200);
    expect(shortestPaths.length).toBe(vertices.length);
  });

  it('reaches every model state on the real syncer by the shortest path', async () => {
    const walks = shortestPaths.map(fromPath);
    expect(walks.length).toBeGreaterThan(50);
    expect(await replayAll(walks)).toEqual([]);
  });

  it('takes every transition of the model on the real syncer', async () => {
    const walks = edgeWalks();
    expect(walks.length).toBeGreaterThan(300);
    expect(await replayAll(walks)).toEqual([]);
  });

  it(`follows ${RANDOM_WALKS} seeded random walks of ${RANDOM_WALK_LENGTH} steps on the real syncer`, async () => {
    const walks = randomWalks(20_261_122, RANDOM_WALKS, RANDOM_WALK_LENGTH);
    expect(walks.filter((w) => w.events.length > RANDOM_WALK_LENGTH / 2).length).toBeGreaterThan(RANDOM_WALKS / 2);
    expect(await replayAll(walks)).toEqual([]);
  });

  it('detects a syncer that diverges from the model (the replay can fail)', async () => {
    // Replaying a path whose recorded end state is wrong must report a mismatch.
    const path = shortestPaths.find((p) => inState(p.state, 'partialSync.syncingChanges'));
    expect(path).toBeDefined();
    const walk = fromPath(path!);
    const wrong = shortestPaths.find((p) => inState(p.state, 'retryFullSync.waiting'))!.state;
    walk.states[walk.states.length - 1] = wrong;
    const failures = await replay(walk);
    expect(failures.length).toBeGreaterThan(0);
    expect(failures[0]).toMatch(/expected .*retryFullSync/);
  });

  it('throws on a resume without a pause and changes nothing', async () => {
    const r = new Replay();
    r.syncer.start();
    r.pendingCall('syncFull').resolve();
    await settle(r.clock);
    r.syncer.syncFull.trigger();
    const before = JSON.stringify(observable(r.syncer.actor!.getSnapshot()));
    expect(() => r.syncer.resume()).toThrow(/unbalanced/);
    await settle(r.clock);
    expect(JSON.stringify(observable(r.syncer.actor!.getSnapshot()))).toBe(before);
    await r.finish();
    expect(r.errors).toEqual([]);
  });
});
