// Fleet simulator cost on the tsc build (what `npm run simulate` runs), the steady
// workload (5 servers, a local change per agent every 10 min) for 1 simulated hour:
//   default (npm run bench):  10K agents, --workers 2
//   sim-100k:    100K agents, --workers 2   target ≤ 60 s wall, ≤ 2 GB heap over all workers
//   sim-speedup: 20K agents, --workers 1 then 2   target ≥ 1.7×
//   sim-1m:      1M agents, --workers 2 (SIM_BENCH_WORKER_HEAP MB each, default 9000)   target: runs to the end
// Each point prints wall, CPU (all threads), timer events, worker heap peaks, peak RSS
// and the load average around it (the machine may be shared).
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { SimConfig } from '../src/sim/config.js';
import { simulate as simulateFromSource } from '../src/sim/simulator.js';
import { removeBuild, tscBuild } from './tscBuild.js';

type Figures = Record<string, string | number>;
type Simulate = typeof simulateFromSource;

const MB = 1024 * 1024;

function steadyConfig(agents: number, minutes: number): SimConfig {
  return {
    seed: 42,
    agents,
    servers: 5,
    durationMs: minutes * 60_000,
    warmupMs: 0,
    startSpreadMs: Math.max(180_000, (1000 * agents) / 320),
    tuning: { interval: 60_000 },
    changeIntervalMs: 600_000,
  };
}

function load(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

export interface SimPoint {
  agents: number;
  workers: number;
  wallSec: number;
  cpuSec: number;
  events: number;
  heapMB: number[];
  rssMB: number;
}

/** Runs the built simulator once and measures it. */
export async function measure(simulate: Simulate, agents: number, minutes: number, workers: number, workerHeapMb?: number): Promise<SimPoint> {
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  let lastNote = started;
  const run = await simulate(steadyConfig(agents, minutes), {
    workers,
    ...(workerHeapMb !== undefined ? { workerHeapMb } : {}),
    // A long point shows that it is alive (stderr: the figures stay on stdout).
    onProgress: (simMs, totalMs, events) => {
      const now = performance.now();
      if (now - lastNote < 30_000) return;
      lastNote = now;
      process.stderr.write(`  ${agents} agents, --workers ${workers}: ${(simMs / 60_000).toFixed(1)}/${totalMs / 60_000} min simulated, ${events} events, ${((now - started) / 1000).toFixed(0)} s wall\n`);
    },
  });
  const wallSec = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    agents,
    workers,
    wallSec: Math.round(wallSec * 10) / 10,
    cpuSec: Math.round((cpu.user + cpu.system) / 1e5) / 10,
    events: run.summary.events,
    heapMB: run.workers.map((w) => Math.round(w.peakHeap / MB)),
    // maxRSS is the process's peak since it started (KB): run one point per process for a clean figure.
    rssMB: Math.round((process.resourceUsage().maxRSS * 1024) / MB),
  };
}

function figures(p: SimPoint, minutes: number): Figures {
  const k = `sim ${p.agents >= 1e6 ? `${p.agents / 1e6}M` : `${p.agents / 1000}K`} agents × 5 servers × ${minutes} min, --workers ${p.workers}`;
  const heap = p.heapMB.reduce((a, b) => a + b, 0);
  return {
    [`${k}: wall s`]: p.wallSec,
    [`${k}: CPU s (all threads)`]: p.cpuSec,
    [`${k}: timer events`]: p.events,
    [`${k}: events/s wall`]: Math.round(p.events / p.wallSec),
    [`${k}: worker heap peaks MB`]: `${p.heapMB.join(' + ')} = ${heap}`,
    [`${k}: heap bytes/agent (peak)`]: Math.round((heap * MB) / p.agents),
    [`${k}: peak RSS MB (process)`]: p.rssMB,
  };
}

async function built(): Promise<Simulate> {
  const importer = tscBuild('sim-bench');
  if (!importer) throw new Error('tsc build failed: the simulator bench measures the build only');
  return ((await importer('src/sim/simulator.js')) as { simulate: Simulate }).simulate;
}

async function withBuild(fn: (simulate: Simulate) => Promise<Figures>): Promise<Figures> {
  const simulate = await built();
  const before = load();
  try {
    const out = await fn(simulate);
    return { ...out, 'load average before (1/5/15 min)': before, 'load average after': load() };
  } finally {
    removeBuild('sim-bench');
  }
}

const MINUTES = Number(process.env.SIM_BENCH_MINUTES ?? 60);

export const points: Record<string, () => Promise<Figures>> = {
  'sim-100k': () =>
    withBuild(async (simulate) => {
      const p = await measure(simulate, 100_000, MINUTES, 2);
      const heap = p.heapMB.reduce((a, b) => a + b, 0);
      return { ...figures(p, MINUTES), 'target ≤ 60 s wall, ≤ 2048 MB heap in all': p.wallSec <= 60 && heap <= 2048 ? 'met' : 'missed' };
    }),
  'sim-speedup': () =>
    withBuild(async (simulate) => {
      const one = await measure(simulate, 20_000, MINUTES, 1);
      const two = await measure(simulate, 20_000, MINUTES, 2);
      const speedup = Math.round((one.wallSec / two.wallSec) * 100) / 100;
      return { ...figures(one, MINUTES), ...figures(two, MINUTES), 'speedup --workers 2 vs 1 (wall)': speedup, 'target ≥ 1.7×': speedup >= 1.7 ? 'met' : 'missed' };
    }),
  'sim-1m': () =>
    withBuild(async (simulate) => {
      const heapMb = Number(process.env.SIM_BENCH_WORKER_HEAP ?? 9000);
      const p = await measure(simulate, 1_000_000, MINUTES, 2, heapMb);
      return { ...figures(p, MINUTES), 'worker heap limit MB': heapMb, 'target: runs to the end': 'met' };
    }),
};

/** The default point (kept small: `npm run bench` stays within 5 minutes). */
export function run(): Promise<Figures> {
  return withBuild(async (simulate) => figures(await measure(simulate, 10_000, MINUTES, 2), MINUTES));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const name = process.argv[2];
  const out = name !== undefined && points[name] ? await points[name]() : await run();
  for (const [k, v] of Object.entries(out)) console.log(`${k}: ${v}`);
}
