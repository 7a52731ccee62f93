// Checks of the simulate command that need the machine, made before any simulated
// second: the report folder can be written (a long run must not end in ENOTDIR with
// its report lost), and the agents asked for fit in the memory there is. Each failure
// is a PreflightError, which the command reports with exit code 2, as bad arguments.
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import type { CliOptions } from './args.js';
import { SCENARIOS, findScenario } from './scenarios/index.js';
import type { SimEngine } from './shard/shard.js';

const BRAND = Symbol.for('ae-sync.sim.PreflightError');

/** A run refused before it started: the message says which flag and why. */
export class PreflightError extends Error {
  readonly [BRAND] = true;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PreflightError';
  }
}

export function isPreflightError(err: unknown): err is PreflightError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
}

/**
 * Heap one agent needs at the peak of a run, KB, per engine. Actors: ~17 KB live (its
 * syncer and manager with their xstate actors) times 2 for the garbage between
 * collections (peak `heapUsed` runs 2–4× the live set; 2 is the floor, so the check
 * refuses only runs that cannot fit): 100,000 agents → ~3.3 GB. Events: ~2.6 KB live
 * (two snapshots, the manager's roster and a few numbers), times 2: 6 KB.
 */
export const PEAK_KB_PER_AGENT: Readonly<Record<SimEngine, number>> = Object.freeze({ events: 6, actors: 34 });
/**
 * What a simulated catalog adds per agent at the peak, KB: its real ServiceRegistry
 * (~13.4 KB live: its tables, pacer, session keeper, quarantine) and the catalog's copy of
 * its entries (~0.35 KB live per entry), times 2.3 as the engines' own figures: 10 entries
 * → ~39 KB, so 100,000 agents with catalogs need ~4 GB.
 */
export const CATALOG_PEAK_KB = Object.freeze({ perAgent: 31, perEntry: 0.8 });
/** A worker thread's own heap before any agent (its isolate, modules, the simulator's tables), MB. */
export const WORKER_BASE_MB = 12;

export interface MemoryEstimate {
  agents: number;
  /** Heap each worker needs at its peak, MB. */
  perWorkerMb: number;
  /** All workers together, MB. */
  totalMb: number;
  /** Physical memory of the machine, MB. */
  machineMb: number;
  /** The per-agent figure used (the engine's, plus the catalog's in runs with entries). */
  kbPerAgent: number;
}

/** The largest agent count the run will use: `--agents`, else the largest default of the scenarios selected. */
export function agentsOf(options: CliOptions): number {
  if (options.agents !== undefined) return options.agents;
  const selected = options.scenario === 'all' ? SCENARIOS : [findScenario(options.scenario)].filter((s) => s !== undefined);
  return Math.max(1, ...selected.map((s) => s.defaults.agents));
}

/** Peak KB per agent on `engine` with `entries` services per agent (0: no catalog). */
export function kbPerAgentOf(engine: SimEngine, entries: number): number {
  return PEAK_KB_PER_AGENT[engine] + (entries > 0 ? CATALOG_PEAK_KB.perAgent + CATALOG_PEAK_KB.perEntry * entries : 0);
}

/**
 * The run's largest need: of the scenarios selected, the one whose agents (`--agents`, else
 * its default) times its per-agent figure (with `--entries`, else its default catalog) is largest.
 */
export function estimateMemory(options: CliOptions, machineBytes = totalmem()): MemoryEstimate {
  const selected = options.scenario === 'all' ? SCENARIOS : [findScenario(options.scenario)].filter((s) => s !== undefined);
  const needs = selected.map((s) => ({ agents: options.agents ?? s.defaults.agents, kbPerAgent: kbPerAgentOf(options.engine, options.entries ?? s.defaults.entries ?? 0) }));
  const { agents, kbPerAgent } = needs.reduce((a, b) => (b.agents * b.kbPerAgent > a.agents * a.kbPerAgent ? b : a), {
    agents: agentsOf(options),
    kbPerAgent: kbPerAgentOf(options.engine, 0),
  });
  const workers = Math.max(1, Math.min(options.workers, agents));
  const perWorkerMb = Math.ceil(WORKER_BASE_MB + (Math.ceil(agents / workers) * kbPerAgent) / 1024);
  return {
    agents,
    kbPerAgent,
    perWorkerMb,
    totalMb: perWorkerMb * workers,
    machineMb: Math.floor(machineBytes / 1024 / 1024),
  };
}

/**
 * Refuses a run whose estimated peak heap exceeds the machine's memory: it could only
 * end in swapping or the OOM killer, silently. A run that fits the machine but not a
 * worker's heap limit (`--worker-heap`, else Node's) is left to run: the worker that
 * runs out fails the run with exit code 1 and a message naming it.
 */
export function checkMemory(estimate: MemoryEstimate, workers: number): void {
  const { agents, perWorkerMb, totalMb, machineMb, kbPerAgent } = estimate;
  const need = `${agents.toLocaleString('en-US')} agents need about ${totalMb.toLocaleString('en-US')} MB of heap at the peak (${kbPerAgent} KB per agent, ${perWorkerMb.toLocaleString('en-US')} MB per worker over ${workers} workers)`;
  if (totalMb > machineMb) {
    throw new PreflightError(`--agents: ${need}, more than this machine's ${machineMb.toLocaleString('en-US')} MB of memory; run fewer agents or on a larger machine`);
  }
}

/**
 * Refuses `--worker-heap` when this process runs with `--max-old-space-size` (on its
 * command line or in NODE_OPTIONS): V8 applies that flag to every isolate, so each worker
 * would get the process's limit whatever `resourceLimits` asks, and the run would go on
 * without the limit the user set.
 */
export function checkWorkerHeap(workerHeapMb: number | undefined, execArgv: readonly string[], nodeOptions: string | undefined): void {
  if (workerHeapMb === undefined) return;
  const flags = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  const set = flags.find((f) => /^--max[-_]old[-_]space[-_]size(=|$)/.test(f));
  if (set !== undefined) {
    throw new PreflightError(`--worker-heap ${workerHeapMb} would have no effect: node runs with ${set}, which sets every worker's heap limit; start node without it`);
  }
}

/** Creates the report folder and proves it writable (a probe file, removed again). */
export async function checkOutDir(dir: string): Promise<void> {
  const probe = join(dir, `.ae-sync-probe-${randomBytes(6).toString('hex')}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PreflightError(`--out ${JSON.stringify(dir)} cannot hold the report (${code ?? (err as Error).message}): give a writable folder`, { cause: err });
  }
}

/** Every check, in order of cost. */
export async function preflight(options: CliOptions, dir: string): Promise<void> {
  checkMemory(estimateMemory(options), options.workers);
  checkWorkerHeap(options.workerHeapMb, process.execArgv, process.env.NODE_OPTIONS);
  await checkOutDir(dir);
}
