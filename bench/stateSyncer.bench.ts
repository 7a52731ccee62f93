// State syncer figures, on a tsc build of src/ + machines/ (the code users get; under
// tsx esbuild's keepNames gives every closure its own property store, ~250 B each):
// - the trigger → syncChanges → idle round trip, median, measured side by side with a
//   FLOOR in the same process: a bare two-state xstate machine sent GO then DONE, one
//   `await` after each send, no runtime. Target: ours ≤ 2.0 × floor.
// - heap per idle started syncer with 10,000 on one clock. Target: ≤ 4 KB.
// - the cost of stopping one syncer among 10,000 on one clock (xstate scans its system's
//   delayed events on every stop; src/shared/actorHost.ts bounds a system's size).
// Run: `npm run bench -- stateSyncer` (or `node --expose-gc --import tsx bench/stateSyncer.bench.ts`).
import { pathToFileURL } from 'node:url';
import { createActor, createMachine, fromCallback, setup, type AnyActorRef } from 'xstate';
import type * as MachineModule from '../machines/stateSyncer.machine.js';
import type { Clock } from '../src/shared/clock.js';
import type * as SyncerModule from '../src/syncer/stateSyncer.js';
import type { StateSyncer, SyncState } from '../src/syncer/stateSyncer.js';
import { removeBuild, tscBuild } from './tscBuild.js';

const SYNCERS = 10_000;
/** Round trips per measured block; floor and ours alternate block by block. */
const BLOCK = 2_000;
const BLOCKS = 10;
const WARMUP_TRIPS = 5_000;
const HEAP_TARGET_BYTES = 4 * 1024;
const RATIO_TARGET = 2.0;
/** Long enough that no deadline falls due during a measurement. */
const INTERVAL_MS = 3_600_000;
const STOPS_MEASURED = 1_000;
const BUILD_NAME = 'stateSyncer-bench';

interface Build {
  StateSyncer: typeof SyncerModule.StateSyncer;
  stateSyncerMachine: typeof MachineModule.stateSyncerMachine;
}

/** A clock whose timers never fire and cost nothing (xstate still records its delayed events). */
const noopClock = (): Clock => ({ setTimeout: () => 0, clearTimeout: () => undefined, now: 0 });

// Shared by every syncer made here, so nothing per syncer is created in this file.
const resolved = Promise.resolve();
/** Both syncs succeed at once, synchronously: the heap figures hold the syncer only. */
const instantState: SyncState = { syncFull: () => undefined, syncChanges: () => undefined };
/** As a real sync does, these return a promise (already resolved): the round trip includes that hop. */
const asyncState: SyncState = { syncFull: () => resolved, syncChanges: () => resolved };
const oneNode = () => 1;
const midpoint = () => 0.5;

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect) {
    collect();
    collect();
  }
}

/** Lets every pending promise callback run (e.g. the syncers' initial full syncs settle). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const usSince = (start: bigint) => Number(process.hrtime.bigint() - start) / 1_000;
const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
const round = (x: number, digits = 2) => Number(x.toFixed(digits));

function makeSyncer(build: Build, clock: Clock, state: SyncState = instantState): StateSyncer {
  return new build.StateSyncer({ state, interval: INTERVAL_MS, clusterSize: oneNode, random: midpoint, clock });
}

/** heapUsed growth per item while SYNCERS items made by `make` are alive; returns the items too. */
async function heapPer<T>(make: () => T): Promise<{ bytes: number; items: T[] }> {
  gc();
  const before = process.memoryUsage().heapUsed;
  const items: T[] = [];
  for (let i = 0; i < SYNCERS; i++) items.push(make());
  await settle();
  gc();
  return { bytes: Math.round((process.memoryUsage().heapUsed - before) / SYNCERS), items };
}

/** The floor: a bare two-state machine, GO then DONE, one await after each send. */
function floorTrips() {
  const actor = createActor(
    createMachine({ initial: 'a', states: { a: { on: { GO: 'b' } }, b: { on: { DONE: 'a' } } } }),
  ).start();
  return async (trips: number, samples: number[]): Promise<void> => {
    for (let i = 0; i < trips; i++) {
      const start = process.hrtime.bigint();
      actor.send({ type: 'GO' });
      await resolved;
      actor.send({ type: 'DONE' });
      await resolved;
      samples.push(usSince(start));
    }
    if (actor.getSnapshot().value !== 'a') throw new Error('floor machine did not return to a');
  };
}

/** Ours: trigger → the user's syncChanges (an async no-op) → the machine back in partialSync.idle. */
async function ourTrips(build: Build) {
  const syncer = makeSyncer(build, noopClock(), asyncState).start();
  await settle();
  let back: (() => void) | undefined;
  syncer.on('syncChanges', () => back?.());
  const once = () =>
    new Promise<void>((resolve) => {
      back = resolve;
      syncer.syncChanges.trigger();
    });
  const run = async (trips: number, samples: number[]): Promise<void> => {
    for (let i = 0; i < trips; i++) {
      const start = process.hrtime.bigint();
      await once();
      samples.push(usSince(start));
    }
    if (JSON.stringify(syncer.actor?.getSnapshot().value) !== '{"partialSync":"idle"}') {
      throw new Error('round trip did not end in partialSync.idle');
    }
  };
  return { run, syncer };
}

/** Floor and ours, alternating blocks in one process so that both see the same machine load. */
async function roundTrips(build: Build): Promise<Record<string, string | number>> {
  const floor = floorTrips();
  const ours = await ourTrips(build);
  await floor(WARMUP_TRIPS, []);
  await ours.run(WARMUP_TRIPS, []);
  const floorSamples: number[] = [];
  const ourSamples: number[] = [];
  for (let b = 0; b < BLOCKS; b++) {
    await floor(BLOCK, floorSamples);
    await ours.run(BLOCK, ourSamples);
  }
  const trips = ours.syncer.stats().partialSyncs;
  await ours.syncer.stop();
  if (trips !== WARMUP_TRIPS + BLOCK * BLOCKS) throw new Error(`expected ${WARMUP_TRIPS + BLOCK * BLOCKS} partial syncs, got ${trips}`);
  const floorUs = median(floorSamples);
  const ourUs = median(ourSamples);
  const ratio = ourUs / floorUs;
  return {
    'round trip floor µs, bare 2-state machine GO/DONE, median': round(floorUs),
    'round trip ours µs, trigger → syncChanges → idle, median': round(ourUs),
    'round trip ratio ours / floor': `${round(ratio)} (target ≤ ${RATIO_TARGET}: ${ratio <= RATIO_TARGET ? 'met' : 'MISSED'})`,
  };
}

/** Heap per idle syncer, the time to start and stop 10k, and the cost of one stop among 10k. */
async function fleet(build: Build): Promise<Record<string, string | number>> {
  const figures: Record<string, string | number> = {};
  // heapUsed deltas vary by a few hundred bytes per item between fleets (GC timing, inline
  // caches): the first fleet is a warm-up and the lower figure counts.
  const warmUpClock = noopClock();
  const warmUp = await heapPer(() => makeSyncer(build, warmUpClock).start());
  await Promise.all(warmUp.items.map((s) => s.stop()));
  warmUp.items.length = 0;

  const clock = noopClock();
  const started = process.hrtime.bigint();
  const measured = await heapPer(() => makeSyncer(build, clock).start());
  const startMs = usSince(started) / 1_000;
  const bytes = Math.min(warmUp.bytes, measured.bytes);
  figures['heap B/idle started syncer, 10k on one clock'] = `${bytes} (target ≤ ${HEAP_TARGET_BYTES}: ${bytes <= HEAP_TARGET_BYTES ? 'met' : 'MISSED'})`;
  figures['start + first sync of 10k syncers on one clock, ms'] = Math.round(startMs);

  // One stop at a time among the 10k (its synchronous part: STOP, the machine and its
  // worker stopped, their delayed events cancelled), then the rest together.
  const samples: number[] = [];
  for (let i = 0; i < STOPS_MEASURED; i++) {
    const start = process.hrtime.bigint();
    void measured.items[i]!.stop();
    samples.push(usSince(start));
  }
  figures['stop() of 1 syncer among 10k on one clock, median µs'] = round(median(samples));
  const rest = process.hrtime.bigint();
  await Promise.all(measured.items.map((s) => s.stop()));
  figures['stop() of the other 9k on one clock, ms'] = Math.round(usSince(rest) / 1_000);
  measured.items.length = 0;

  // Where the bytes go: the runtime object alone, before start().
  const unstarted = await heapPer(() => makeSyncer(build, clock));
  figures['  StateSyncer object before start()'] = unstarted.bytes;
  unstarted.items.length = 0;
  return figures;
}

// The contract's own cost, xstate only: a machine with one delayed event (as an idle syncer
// has its full-sync deadline) and a long-lived callback worker holding one AbortSignal,
// stopped the way a syncer is: STOP into a final state.
const skeletonWorker = fromCallback(() => {
  const controller = new AbortController();
  void controller.signal;
  return () => controller.abort();
});
const skeleton = setup({ actors: { worker: skeletonWorker } }).createMachine({
  invoke: { id: 'worker', src: 'worker' },
  initial: 'idle',
  on: { STOP: '.done' },
  states: { idle: { after: { [INTERVAL_MS]: 'idle' } }, done: { type: 'final' } },
});
const hostLogic = fromCallback(() => undefined);

/** SYNCERS skeletons on one clock, `perSystem` to an xstate system (as src/shared/actorHost.ts does). */
function skeletons(clock: Clock, perSystem: number): AnyActorRef[] {
  const actors: AnyActorRef[] = [];
  let host: AnyActorRef | undefined;
  for (let i = 0; i < SYNCERS; i++) {
    if (i % perSystem === 0) host = createActor(hostLogic, { clock }).start();
    actors.push(createActor(skeleton, { clock, parent: host }).start());
  }
  return actors;
}

/** What the contract costs before any ae-sync code, and what bounding a system's size buys. */
function contractFloor(): Record<string, string | number> {
  const figures: Record<string, string | number> = {};
  gc();
  const before = process.memoryUsage().heapUsed;
  let actors = skeletons(noopClock(), 128);
  gc();
  figures['  xstate alone: hosted machine + callback worker + AbortSignal, B each'] = Math.round(
    (process.memoryUsage().heapUsed - before) / SYNCERS,
  );
  for (const perSystem of [SYNCERS, 128]) {
    actors = skeletons(noopClock(), perSystem);
    const samples: number[] = [];
    for (let i = 0; i < STOPS_MEASURED; i++) {
      const start = process.hrtime.bigint();
      actors[i]!.send({ type: 'STOP' });
      samples.push(usSince(start));
    }
    const label = perSystem === SYNCERS ? 'one system for all' : `${perSystem} per system`;
    figures[`  xstate alone: stop 1 of 10k, ${label}, median µs`] = round(median(samples));
  }
  actors.length = 0;
  return figures;
}

/** Compiles src/ and machines/ with tsc into .tmp/ and loads the result. */
async function loadBuild(): Promise<Build> {
  const load = tscBuild(BUILD_NAME);
  if (!load) throw new Error('tsc build failed: the figures must be taken on the built code');
  const syncer = (await load('src/syncer/stateSyncer.js')) as typeof SyncerModule;
  const machine = (await load('machines/stateSyncer.machine.js')) as typeof MachineModule;
  return { StateSyncer: syncer.StateSyncer, stateSyncerMachine: machine.stateSyncerMachine };
}

export async function run(): Promise<Record<string, string | number>> {
  const build = await loadBuild();
  try {
    const figures = { ...(await roundTrips(build)), ...(await fleet(build)), ...contractFloor() };
    if (typeof (globalThis as { gc?: unknown }).gc !== 'function') figures['note'] = 'no --expose-gc: heap figures are noisy';
    return figures;
  } finally {
    removeBuild(BUILD_NAME);
  }
}

// Run directly: `node --expose-gc --import tsx bench/stateSyncer.bench.ts`
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await run();
  const width = Math.max(...Object.keys(figures).map((k) => k.length));
  for (const [name, value] of Object.entries(figures)) console.log(`${name.padEnd(width)}  ${value}`);
}
