// Fleet simulator cost: 10K, 30K and 100K agents × 5 servers × 1 simulated hour of
// the steady scenario's workload (real StateSyncer + ServerManager per agent):
// wall seconds, timer events per second and heap bytes per agent. Targets: 100K in
// ≤ 60 s and ≤ 2 GB heap; cost ~linear in agents. Run under `node --expose-gc
// --import tsx` (bench/run.ts does), or alone: `node --expose-gc --import tsx bench/sim.bench.ts`.
// SIM_BENCH_AGENTS=10000,30000 and SIM_BENCH_MINUTES=60 choose the points.
import { pathToFileURL } from 'node:url';
import { simulate as simulateFromSource } from '../src/sim/simulator.js';
import { removeBuild, tscBuild } from './tscBuild.js';

// The tsc build (what `npm run simulate` runs): under tsx every closure carries extra
// bytes (bench/tscBuild.ts), which at 100,000 agents is hundreds of MB.
let simulate = simulateFromSource;

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect) {
    collect();
    collect();
  }
}

export interface SimBenchPoint {
  agents: number;
  wallSec: number;
  /** User + system CPU seconds of this process (all threads, GC included): robust on a shared machine. */
  cpuSec: number;
  events: number;
  eventsPerSec: number;
  heapBytesPerAgent: number;
  peakHeapMB: number;
}

/** One point: builds and runs the fleet, measuring heap growth and peak. */
export async function measure(agents: number, minutes: number): Promise<SimBenchPoint> {
  gc();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const run = await simulate(
    {
      seed: 42,
      agents,
      servers: 5,
      durationMs: minutes * 60_000,
      warmupMs: 0,
      startSpreadMs: Math.max(180_000, (1000 * agents) / 320),
      tuning: { syncIntervalMs: 60_000 },
      changeIntervalMs: 600_000,
    },
    {
      onProgress: () => {
        const used = process.memoryUsage().heapUsed;
        if (used > peak) peak = used;
      },
    },
  );
  const wallSec = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  gc();
  // The fleet is still referenced by `run`: this is the live cost of N running agents.
  const live = process.memoryUsage().heapUsed - before;
  const point: SimBenchPoint = {
    agents,
    wallSec: Math.round(wallSec * 10) / 10,
    cpuSec: Math.round((cpu.user + cpu.system) / 1e5) / 10,
    events: run.summary.events,
    eventsPerSec: Math.round(run.summary.events / wallSec),
    heapBytesPerAgent: Math.round(live / agents),
    peakHeapMB: Math.round(Math.max(peak, process.memoryUsage().heapUsed) / 1024 / 1024),
  };
  return point;
}

export async function run(): Promise<Record<string, string | number>> {
  const load = tscBuild('sim-bench');
  if (load) simulate = ((await load('src/sim/simulator.js')) as { simulate: typeof simulateFromSource }).simulate;
  const sizes = (process.env.SIM_BENCH_AGENTS ?? '10000,30000,100000').split(',').map(Number).filter((n) => n > 0);
  const minutes = Number(process.env.SIM_BENCH_MINUTES ?? 60);
  const out: Record<string, string | number> = {};
  const points: SimBenchPoint[] = [];
  for (const agents of sizes) {
    const p = await measure(agents, minutes);
    points.push(p);
    const k = `sim ${agents / 1000}K agents × 5 servers × ${minutes} min`;
    out[`${k}: wall s`] = p.wallSec;
    out[`${k}: CPU s`] = p.cpuSec;
    out[`${k}: events/s`] = p.eventsPerSec;
    out[`${k}: heap bytes/agent`] = p.heapBytesPerAgent;
    out[`${k}: peak heap MB`] = p.peakHeapMB;
  }
  removeBuild('sim-bench');
  out['code measured'] = load ? 'tsc build' : 'tsx (tsc build failed)';
  const first = points[0];
  const last = points.at(-1);
  if (first && last && last !== first) {
    // 1.0 = perfectly linear: CPU time per agent stays the same as the fleet grows.
    out['sim CPU-time growth vs linear (largest / smallest, per agent)'] =
      Math.round(((last.cpuSec / last.agents) / (first.cpuSec / first.agents)) * 100) / 100;
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await run();
  for (const [k, v] of Object.entries(figures)) console.log(`${k}: ${v}`);
}
