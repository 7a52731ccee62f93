// Runs a SimConfig over worker threads: splits the agents into contiguous ranges (one
// per worker, in agent order), starts a worker per range, adds up their progress, and
// returns their results in agent order. A worker that throws, runs out of heap, exits
// early or goes silent for `stallMs` fails the whole run with an error naming it.
import { Worker } from 'node:worker_threads';
import type { SimConfig } from '../config.js';
import type { WorkerMessage } from './messages.js';
import type { ShardRange, ShardResult, SimEngine } from './shard.js';

/**
 * Each worker's young generation, MB (a process started with `--max-semi-space-size`
 * keeps its own). The event engine's garbage is short-lived snapshots: a larger young
 * generation only adds resident memory. 30K agents × 20 min on 2 workers: 391 MB peak
 * RSS at 16 MB, 457 MB at V8's default, 665 MB with 64 MB semi-spaces; CPU within noise.
 */
const WORKER_YOUNG_GENERATION_MB = 16;

export interface PoolOptions {
  workers: number;
  /** How each worker runs its agents. Defaults to the event engine. */
  engine?: SimEngine;
  /** resourceLimits.maxOldGenerationSizeMb of each worker. Defaults to Node's own limit. */
  workerHeapMb?: number;
  /** Progress over all workers: the least simulated time any has reached, and timers fired in all. */
  onProgress?: (simMs: number, events: number) => void;
  /** A worker silent (no progress) this long fails the run. Defaults to 10 min. */
  stallMs?: number;
  /** Timers between two progress messages of a worker. Defaults to 20 000. */
  progressEvery?: number;
}

export interface WorkerStats {
  range: ShardRange;
  /** Largest V8 used-heap size the worker reported, bytes. */
  peakHeap: number;
}

/** Agents [0, agents) split into `workers` contiguous ranges, the first ones one agent larger. */
export function splitAgents(agents: number, workers: number): ShardRange[] {
  const base = Math.floor(agents / workers);
  const extra = agents % workers;
  const ranges: ShardRange[] = [];
  let first = 0;
  for (let k = 0; k < workers; k++) {
    const count = base + (k < extra ? 1 : 0);
    ranges.push({ first, count });
    first += count;
  }
  return ranges;
}

/**
 * The worker to start: the compiled worker.js next to this file, or, when running
 * from TypeScript sources (tsx, vitest), worker.ts loaded through tsx's register hook.
 */
function workerScript(): { script: string | URL; eval: boolean } {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return { script: new URL('./worker.js', self), eval: false };
  const tsx = import.meta.resolve('tsx/esm/api');
  const worker = new URL('./worker.ts', self).href;
  return {
    script: `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(worker)}); });`,
    eval: true,
  };
}

export async function runWorkers(config: SimConfig, options: PoolOptions): Promise<{ results: ShardResult[]; stats: WorkerStats[] }> {
  const n = Math.min(options.workers, Math.max(1, config.agents));
  const ranges = splitAgents(config.agents, n);
  const { script, eval: isEval } = workerScript();
  const stallMs = options.stallMs ?? 600_000;
  const simMs = new Float64Array(n);
  const events = new Float64Array(n);
  const workers: Worker[] = [];
  const report = () => {
    if (!options.onProgress) return;
    let least = Infinity;
    let total = 0;
    for (let k = 0; k < n; k++) {
      least = Math.min(least, simMs[k] as number);
      total += events[k] as number;
    }
    options.onProgress(least, total);
  };
  const runs = ranges.map(
    (range, k) =>
      new Promise<{ result: ShardResult; peakHeap: number }>((resolve, reject) => {
        const name = `simulator worker ${k + 1} of ${n} (agents ${range.first}–${range.first + range.count - 1})`;
        const worker = new Worker(script, {
          eval: isEval,
          workerData: { config, range, progressEvery: options.progressEvery ?? 20_000, engine: options.engine ?? 'events' },
          resourceLimits: {
            maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB,
            ...(options.workerHeapMb !== undefined ? { maxOldGenerationSizeMb: options.workerHeapMb } : {}),
          },
        });
        workers.push(worker);
        let done = false;
        let stall: NodeJS.Timeout | undefined;
        const fail = (why: string) => {
          if (done) return;
          done = true;
          clearTimeout(stall);
          reject(new Error(`${name} ${why}`));
        };
        const arm = () => {
          clearTimeout(stall);
          stall = setTimeout(() => fail(`sent nothing for ${Math.round(stallMs / 1000)} s`), stallMs);
        };
        arm();
        worker.on('message', (m: WorkerMessage) => {
          if (m.type === 'progress') {
            simMs[k] = m.simMs;
            events[k] = m.events;
            arm();
            report();
          } else if (!done) {
            done = true;
            clearTimeout(stall);
            resolve({ result: m.result, peakHeap: m.peakHeap });
          }
        });
        worker.on('error', (err) => fail(`failed: ${err.message}${'code' in err ? ` (${String(err.code)})` : ''}`));
        worker.on('exit', (code) => fail(`exited with code ${code} before sending its result`));
      }),
  );
  try {
    const settled = await Promise.all(runs);
    return {
      results: settled.map((s) => s.result),
      stats: settled.map((s, k) => ({ range: ranges[k] as ShardRange, peakHeap: s.peakHeap })),
    };
  } finally {
    // Done or failed: no worker outlives the run.
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
