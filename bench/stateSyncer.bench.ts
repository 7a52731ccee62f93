// State syncer figures: heap per idle, started syncer at 10,000 syncers (target ≤ 5 KB)
// and the median trigger → syncChanges → back-to-idle round trip (target ≤ 20 µs), alone
// and with 10,000 idle syncers on the same clock (as in a fleet simulation).
//
// Measured twice: on the code as tsx loads it (what `npm run bench` runs), and on a tsc
// build of src/ + machines/ (what users get). They differ: tsx compiles with esbuild's
// keepNames, which re-defines `name` on every function it creates, and V8 then gives each
// such closure its own property store (~250 B); a syncer creates about ten of them.
// Run: `node --expose-gc --import tsx bench/stateSyncer.bench.ts` (or via `npm run bench`).
import { pathToFileURL } from 'node:url';
import { createActor } from 'xstate';
import type { stateSyncerMachine as StateSyncerMachine } from '../machines/stateSyncer.machine.js';
import * as machineFromSource from '../machines/stateSyncer.machine.js';
import type { Clock } from '../src/shared/clock.js';
import * as syncerFromSource from '../src/syncer/stateSyncer.js';
import type { StateSyncer, SyncState } from '../src/syncer/stateSyncer.js';
import { removeBuild, tscBuild } from './tscBuild.js';

const SYNCERS = 10_000;
const ROUND_TRIPS = 20_000;
const WARMUP_ROUND_TRIPS = 2_000;
const HEAP_TARGET_BYTES = 5 * 1024;
const ROUND_TRIP_TARGET_US = 20;
/** Long enough that no deadline falls due during a measurement. */
const INTERVAL_MS = 3_600_000;

const BUILD_NAME = 'stateSyncer-bench';

interface Build {
  StateSyncer: typeof syncerFromSource.StateSyncer;
  stateSyncerMachine: typeof StateSyncerMachine;
}

/** A clock whose timers never fire and cost nothing. */
const noopClock = (): Clock => ({ setTimeout: () => 0, clearTimeout: () => undefined, now: 0 });

/** Both syncs succeed at once, synchronously: the round trip measures the syncer, not the work. */
const instantState: SyncState = { syncFull: () => undefined, syncChanges: () => undefined };
// Shared by every syncer made here: a closure created per syncer in this (tsx-compiled)
// file would carry keepNames' ~250 B and be counted as the syncer's.
const oneNode = () => 1;
const midpoint = () => 0.5;
const halfOf = (ms: number) => Math.floor(ms / 2);
const noSync = () => undefined;
const zeroMs = () => 0;

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect) {
    collect();
    collect();
  }
}

/** Lets every pending promise callback run (e.g. the syncers' initial full syncs settle). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const msSince = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

function makeSyncer(build: Build, clock: Clock): StateSyncer {
  return new build.StateSyncer({ state: instantState, interval: INTERVAL_MS, clusterSize: oneNode, random: midpoint, clock });
}

/** heapUsed growth per item while SYNCERS items made by `make` are alive; returns the items too. */
async function heapPer<T>(make: () => T): Promise<{ bytes: number; items: T[]; createMs: number }> {
  gc();
  const before = process.memoryUsage().heapUsed;
  const start = process.hrtime.bigint();
  const items: T[] = [];
  for (let i = 0; i < SYNCERS; i++) items.push(make());
  await settle();
  const createMs = msSince(start);
  gc();
  return { bytes: Math.round((process.memoryUsage().heapUsed - before) / SYNCERS), items, createMs };
}

async function stopAll(syncers: StateSyncer[]): Promise<number> {
  const start = process.hrtime.bigint();
  await Promise.all(syncers.map((s) => s.stop()));
  return msSince(start);
}

/** Median and p99 (µs) of trigger → syncChanges called → machine back in partialSync.idle. */
async function roundTrip(
  build: Build,
  clock: Clock,
  trips: number,
): Promise<{ medianUs: number; p10Us: number; p99Us: number }> {
  const syncer = makeSyncer(build, clock).start();
  await settle();
  let back: (() => void) | undefined;
  syncer.on('syncChanges', () => back?.());
  const once = () =>
    new Promise<void>((resolve) => {
      back = resolve;
      syncer.syncChanges.trigger();
    });
  for (let i = 0; i < WARMUP_ROUND_TRIPS; i++) await once();
  const samples = new Float64Array(trips);
  for (let i = 0; i < trips; i++) {
    const start = process.hrtime.bigint();
    await once();
    samples[i] = Number(process.hrtime.bigint() - start) / 1_000;
  }
  const idle = JSON.stringify(syncer.actor?.getSnapshot().value) === '{"partialSync":"idle"}';
  const calls = syncer.stats().partialSyncs;
  await syncer.stop();
  if (!idle || calls !== WARMUP_ROUND_TRIPS + trips) throw new Error('round trip did not end in partialSync.idle');
  samples.sort();
  const round = (us: number) => Number(us.toFixed(2));
  return {
    medianUs: round(samples[Math.floor(trips / 2)]!),
    p10Us: round(samples[Math.floor(trips * 0.1)]!),
    p99Us: round(samples[Math.floor(trips * 0.99)]!),
  };
}

/** The bare machine as a root actor (its own xstate system), with the input the runtime hands it. */
function bareActor(build: Build, clock: Clock) {
  const actor = createActor(build.stateSyncerMachine, {
    input: {
      env: {
        syncFull: noSync,
        syncChanges: noSync,
        interval: INTERVAL_MS,
        serverUpInterval: 3_000,
        retryFailInterval: 15_000,
        stagger: halfOf,
        now: zeroMs,
      },
    },
    clock,
  });
  actor.start();
  return actor;
}

/** Compiles src/ and machines/ with tsc into .tmp/ and loads the result; undefined if that fails. */
async function loadBuild(): Promise<Build | undefined> {
  const load = tscBuild(BUILD_NAME);
  if (!load) return undefined;
  const syncer = (await load('src/syncer/stateSyncer.js')) as typeof syncerFromSource;
  const machine = (await load('machines/stateSyncer.machine.js')) as typeof machineFromSource;
  return { StateSyncer: syncer.StateSyncer, stateSyncerMachine: machine.stateSyncerMachine };
}

/** Every figure for one build of the code; `full` adds the breakdown and the round trips. */
async function measure(build: Build, label: string, full: boolean): Promise<Record<string, string | number>> {
  const figures: Record<string, string | number> = {};
  // 10k idle syncers sharing one clock whose timers never fire (as 10k agents of a
  // simulation share its clock); kept alive for the co-hosted round trip.
  // heapUsed deltas vary by a few hundred bytes per item between fleets (GC timing, inline
  // caches); the first fleet of a full measurement is a warm-up and the lower figure counts.
  let warmUpBytes = Infinity;
  if (full) {
    const warmUpClock = noopClock();
    const warmUp = await heapPer(() => makeSyncer(build, warmUpClock).start());
    warmUpBytes = warmUp.bytes;
    await stopAll(warmUp.items);
    warmUp.items.length = 0;
  }
  const clock = noopClock();
  const fleet = await heapPer(() => makeSyncer(build, clock).start());
  figures[`heap B/idle started syncer, 10k on one clock (${label})`] = Math.min(warmUpBytes, fleet.bytes);
  figures[`start + first sync of 10k syncers on one clock, ms (${label})`] = Math.round(fleet.createMs);
  if (full) {
    const coHosted = await roundTrip(build, clock, 2_000);
    figures[`round trip median µs, 10k idle syncers on the same clock (${label})`] = coHosted.medianUs;
  }
  figures[`stop() of 10k syncers on one clock, ms (${label})`] = Math.round(await stopAll(fleet.items));
  fleet.items.length = 0;
  if (!full) return figures;

  // Where the bytes go: the machine as a plain root actor, and the runtime object alone.
  const actors = await heapPer(() => bareActor(build, clock));
  for (const actor of actors.items) actor.stop();
  actors.items.length = 0;
  const unstarted = await heapPer(() => makeSyncer(build, clock));
  await stopAll(unstarted.items);
  unstarted.items.length = 0;
  figures[`  bare machine actor with its own xstate system (${label})`] = actors.bytes;
  figures[`  StateSyncer object before start() (${label})`] = unstarted.bytes;

  const alone = await roundTrip(build, noopClock(), ROUND_TRIPS);
  figures[`round trip median µs, alone (${label})`] = alone.medianUs;
  // p10 approximates the cost on an idle CPU; the median moves with machine load.
  figures[`round trip p10 µs, alone (${label})`] = alone.p10Us;
  figures[`round trip p99 µs, alone (${label})`] = alone.p99Us;
  return figures;
}

export async function run(): Promise<Record<string, string | number>> {
  const built = await loadBuild();
  const figures: Record<string, string | number> = {};
  if (built) Object.assign(figures, await measure(built, 'tsc build', true));
  Object.assign(figures, await measure({ ...syncerFromSource, ...machineFromSource }, 'tsx', !built));
  removeBuild(BUILD_NAME);

  const label = built ? 'tsc build' : 'tsx';
  const heap = figures[`heap B/idle started syncer, 10k on one clock (${label})`] as number;
  const trip = figures[`round trip median µs, alone (${label})`] as number;
  figures['heap target B / verdict'] = `${HEAP_TARGET_BYTES} / ${heap <= HEAP_TARGET_BYTES ? 'met' : 'MISSED'} (${label})`;
  figures['round trip target µs / verdict'] = `${ROUND_TRIP_TARGET_US} / ${trip <= ROUND_TRIP_TARGET_US ? 'met' : 'MISSED'} (${label})`;
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') figures['note'] = 'no --expose-gc: heap figures are noisy';
  return figures;
}

// Run directly: `node --expose-gc --import tsx bench/stateSyncer.bench.ts`
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await run();
  const width = Math.max(...Object.keys(figures).map((k) => k.length));
  for (const [name, value] of Object.entries(figures)) console.log(`${name.padEnd(width)}  ${value}`);
}
