// Fleet simulator cost on the tsc build (what `npm run simulate` runs), the steady
// workload (5 servers, a local change per agent every 10 min) for 1 simulated hour:
//   default (npm run bench):  10K agents in this thread, the event engine then the actor
//                engine: CPU per agent-hour of each and their ratio (target ≤ 1.0 ms, ≥ 4×)
//   sim-heap:    100K agents in this thread (needs --expose-gc): live heap per agent (target ≤ 3 KB)
//   sim-100k:    100K agents, --workers 2   target ≤ 30 s wall, ≤ 1 GB peak RSS
//   sim-speedup: 20K agents, --workers 1 then 2   target ≥ 1.7×
//   sim-1m:      1M agents, --workers 2   target ≤ 5 min wall, ≤ 4 GB peak RSS
//   sim-profile: 10K agents on the event engine in this thread under V8's CPU profiler: where
//                an agent-hour's CPU goes (xstate, garbage collection, the engine, the
//                library's rules), against the 0.6 ms per agent-hour the 30 s target needs
//   (SIM_BENCH_WORKER_HEAP=MB gives the points with workers that old-generation limit per worker)
//   sim-actors:  10K agents on the actor engine (the classes users embed) in this thread,
//                this tree against git revision SIM_BENCH_BASE (default HEAD), alternated
//                SIM_BENCH_ROUNDS times (default 2): CPU per agent-hour of each, their
//                ratio, and whether both gave the same results
// Each point prints wall, CPU (all threads), events, worker heap peaks, peak RSS and the
// load average around it (the machine may be shared).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg, tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { setup } from 'xstate';
import type { SimConfig } from '../src/sim/config.js';
import type { SimEngine } from '../src/sim/simulator.js';
import type { simulate as simulateFromSource } from '../src/sim/simulator.js';
import { buildDir, removeBuild, tscBuild, tscBuildAt } from './tscBuild.js';

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
  /** SHA-256 of the run's summary (its every aggregate), first 16 hex digits: equal summaries, equal results. */
  summary: string;
}

/**
 * Runs the built simulator once, in a child process of its own — so its peak RSS is the
 * run's alone, and it gets the simulate command's V8 flags (no allocation-site
 * pretenuring, V8's default young generation), not the bench runner's — and measures it.
 */
export function measure(build: string, agents: number, minutes: number, workers: number, engine: SimEngine = 'events', nodeArgs: string[] = []): Promise<SimPoint> {
  const config = JSON.stringify(steadyConfig(agents, minutes));
  const script = `
    const { simulate } = await import(${JSON.stringify(pathToFileURL(`${build}/src/sim/simulator.js`).href)});
    const { createHash } = await import('node:crypto');
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    let lastNote = started;
    const run = await simulate(${config}, {
      workers: ${workers},${WORKER_HEAP_MB !== undefined && workers > 0 ? `
      workerHeapMb: ${WORKER_HEAP_MB},` : ''}
      engine: ${JSON.stringify(engine)},
      onProgress: (simMs, totalMs, events) => {
        const now = performance.now();
        if (now - lastNote < 30000) return;
        lastNote = now;
        process.stderr.write('  ${agents} agents, ${engine}, --workers ${workers}: ' + (simMs / 60000).toFixed(1) + '/' + totalMs / 60000 + ' min simulated, ' + events + ' events, ' + ((now - started) / 1000).toFixed(0) + ' s wall\\n');
      },
    });
    const wallSec = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    process.stdout.write(JSON.stringify({
      agents: ${agents}, workers: ${workers},
      wallSec: Math.round(wallSec * 10) / 10,
      cpuSec: Math.round((cpu.user + cpu.system) / 1e5) / 10,
      events: run.summary.events,
      heapMB: run.workers.map((w) => Math.round(w.peakHeap / ${MB})),
      rssMB: Math.round((process.resourceUsage().maxRSS * 1024) / ${MB}),
      summary: createHash('sha256').update(JSON.stringify(run.summary)).digest('hex').slice(0, 16),
    }));`;
  // A file, not `-e`: worker threads inherit the process's flags, and `--input-type` (which
  // `-e` with an import needs) makes every worker fail to load its own script.
  const dir = mkdtempSync(join(tmpdir(), 'sim-point-'));
  const file = join(dir, 'point.mjs');
  writeFileSync(file, script);
  return new Promise<SimPoint>((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-allocation-site-pretenuring', ...nodeArgs, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as SimPoint) : reject(new Error(`simulator point exited with ${code}`))));
  }).finally(() => rmSync(dir, { recursive: true, force: true }));
}

/** CPU ms per simulated agent-hour of a point (the whole process: start-up and agents' construction included). */
function msPerAgentHour(p: SimPoint, minutes: number): number {
  return (p.cpuSec * 1000 * 60) / (p.agents * minutes);
}

function figures(p: SimPoint, minutes: number): Figures {
  const heapLimit = WORKER_HEAP_MB !== undefined && p.workers > 0 ? ` --worker-heap ${WORKER_HEAP_MB}` : '';
  const k = `sim ${p.agents >= 1e6 ? `${p.agents / 1e6}M` : `${p.agents / 1000}K`} agents × 5 servers × ${minutes} min, --workers ${p.workers}${heapLimit}`;
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

async function withBuild(fn: (build: string, simulate: Simulate) => Promise<Figures>): Promise<Figures> {
  const importer = tscBuild('sim-bench');
  if (!importer) throw new Error('tsc build failed: the simulator bench measures the build only');
  const simulate = ((await importer('src/sim/simulator.js')) as { simulate: Simulate }).simulate;
  const before = load();
  try {
    const out = await fn(buildDir('sim-bench'), simulate);
    return { ...out, 'load average before (1/5/15 min)': before, 'load average after': load() };
  } finally {
    removeBuild('sim-bench');
  }
}

const MINUTES = Number(process.env.SIM_BENCH_MINUTES ?? 60);
/** SIM_BENCH_WORKER_HEAP: each worker's old-generation limit, MB (`--worker-heap`); unset, Node's. */
const WORKER_HEAP_MB = process.env.SIM_BENCH_WORKER_HEAP === undefined ? undefined : Number(process.env.SIM_BENCH_WORKER_HEAP);

/** Live heap per agent of the event engine, in this thread: the largest gc'd heap seen during the run, less the heap before it. */
async function liveHeapPerAgent(simulate: Simulate, agents: number, minutes: number): Promise<Figures> {
  const gc = globalThis.gc;
  if (gc === undefined) return { 'live heap per agent': 'run with node --expose-gc (npm run bench does)' };
  gc();
  const base = process.memoryUsage().heapUsed;
  let peak = 0;
  let next = 0;
  await simulate(steadyConfig(agents, minutes), {
    engine: 'events',
    onProgress: (simMs) => {
      if (simMs < next) return;
      next = simMs + 10 * 60_000;
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed - base);
    },
  });
  const bytes = Math.round(peak / agents);
  return { [`sim ${agents / 1000}K agents, event engine: live heap per agent (B)`]: bytes, 'target ≤ 3 KB': bytes <= 3072 ? 'met' : 'missed' };
}

export const points: Record<string, () => Promise<Figures>> = {
  'sim-heap': () => withBuild((_build, simulate) => liveHeapPerAgent(simulate, 100_000, MINUTES)),

  'sim-100k': () =>
    withBuild(async (build) => {
      const p = await measure(build, 100_000, MINUTES, 2);
      return { ...figures(p, MINUTES), 'target ≤ 30 s wall, ≤ 1024 MB peak RSS': p.wallSec <= 30 && p.rssMB <= 1024 ? 'met' : 'missed' };
    }),
  'sim-speedup': () =>
    withBuild(async (build) => {
      const one = await measure(build, 20_000, MINUTES, 1);
      const two = await measure(build, 20_000, MINUTES, 2);
      const speedup = Math.round((one.wallSec / two.wallSec) * 100) / 100;
      return { ...figures(one, MINUTES), ...figures(two, MINUTES), 'speedup --workers 2 vs 1 (wall)': speedup, 'target ≥ 1.7×': speedup >= 1.7 ? 'met' : 'missed' };
    }),
  'sim-profile': () => withBuild((build) => profiled(build, 10_000, MINUTES)),
  'sim-actors': () => actorsAgainst(process.env.SIM_BENCH_BASE ?? 'HEAD', 10_000, Number(process.env.SIM_BENCH_ROUNDS ?? 2)),
  'sim-1m': () =>
    withBuild(async (build) => {
      const p = await measure(build, 1_000_000, MINUTES, 2);
      return { ...figures(p, MINUTES), 'target ≤ 300 s wall, ≤ 4096 MB peak RSS': p.wallSec <= 300 && p.rssMB <= 4096 ? 'met' : 'missed' };
    }),
};

/** One V8 CPU profile's node, as `--cpu-prof` writes it. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

const XSTATE = "xstate (the machines' transition function)";
const GC = 'garbage collection';
const IDLE = 'idle';
const OTHER = 'Node and V8 (other)';

/** Where a sampled frame's self time belongs. */
function partOf(frame: ProfileNode['callFrame']): string {
  if (frame.functionName === '(garbage collector)') return GC;
  if (frame.functionName === '(idle)') return IDLE;
  const url = frame.url;
  if (url.includes('/node_modules/xstate/')) return XSTATE;
  if (url.includes('/src/sim/')) return 'the simulator (engine, queue, network, recorder)';
  if (url.includes('/src/') || url.includes('/machines/')) return "the library's rules (server manager, syncer, machine actions and guards)";
  return OTHER;
}

/**
 * The default workload on the event engine in one thread under `--cpu-prof`: each part's
 * share of the samples, as ms per agent-hour. The 30 s target for 100K agent-hours on
 * two cores leaves 2 × 30 s / 100,000 = 0.6 ms per agent-hour for everything.
 */
async function profiled(build: string, agents: number, minutes: number): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'sim-profile-'));
  try {
    const p = await measure(build, agents, minutes, 0, 'events', ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    const perAgentHourMs = msPerAgentHour(p, minutes);
    const byPart = new Map<string, number>();
    let total = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
      const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
      const part = new Map(profile.nodes.map((n) => [n.id, partOf(n.callFrame)]));
      profile.samples.forEach((id, i) => {
        const us = profile.timeDeltas[i] ?? 0;
        const name = part.get(id) ?? OTHER;
        if (name === IDLE) return;
        byPart.set(name, (byPart.get(name) ?? 0) + us);
        total += us;
      });
    }
    const k = `sim ${agents / 1000}K agents × 5 servers × ${minutes} min, event engine, in this thread, profiled`;
    const out: Figures = { [`${k}: CPU per agent-hour (ms)`]: perAgentHourMs.toFixed(3) };
    const ms = (us: number) => ((perAgentHourMs * us) / total).toFixed(3);
    for (const [name, us] of [...byPart].sort((a, b) => b[1] - a[1]))
      out[`  ${name}`] = `${((100 * us) / total).toFixed(1)} % = ${ms(us)} ms per agent-hour`;
    const xstate = byPart.get(XSTATE) ?? 0;
    out['xstate alone (ms per agent-hour)'] = ms(xstate);
    out['xstate + garbage collection (ms per agent-hour)'] = ms(xstate + (byPart.get(GC) ?? 0));
    out['budget for 100K agent-hours in 30 s on 2 cores (ms per agent-hour)'] = '0.600';
    return { ...out, ...(await transitionCosts(build)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** µs per call of `step` (after a warm-up of a tenth as many). */
function perCallUs(calls: number, step: () => void): number {
  for (let i = 0; i < calls / 10; i++) step();
  const started = performance.now();
  for (let i = 0; i < calls; i++) step();
  return ((performance.now() - started) * 1000) / calls;
}

/**
 * xstate's transition function on its own, through the engine's driver on the build:
 * a bare two-state toggle (the least any machine costs per transition), and each
 * machine's busiest cycle as the engine runs it.
 */
async function transitionCosts(build: string): Promise<Figures> {
  type Driver = { initial(input: unknown): unknown; transition(snapshot: unknown, event: unknown): unknown };
  const { MachineDriver } = (await import(pathToFileURL(`${build}/src/sim/engine/machineDriver.js`).href)) as { MachineDriver: new (machine: unknown) => Driver };
  const machines = (await import(pathToFileURL(`${build}/machines/index.js`).href)) as { rebalancerMachine: unknown; stateSyncerMachine: unknown };
  const calls = 200_000;
  const toggle = new MachineDriver(setup({}).createMachine({ initial: 'a', states: { a: { on: { T: 'b' } }, b: { on: { T: 'a' } } } }));
  let t = toggle.initial(undefined);
  const toggleUs = perCallUs(calls, () => (t = toggle.transition(t, { type: 'T' })));
  // The rebalancer: its wait ends, it rebalances, the worker answers.
  const rebalancer = new MachineDriver(machines.rebalancerMachine);
  let r = rebalancer.initial({ env: { firstDelayMs: () => 1000, nextDelayMs: () => 1000 } });
  r = rebalancer.transition(r, { type: 'xstate.after.firstRebalance.rebalancer.initialWait' });
  let step = 0;
  const rebalancerUs = perCallUs(calls, () => {
    const runId = (r as { context: { runId: number } }).context.runId;
    r = rebalancer.transition(r, step++ % 2 === 0 ? { type: 'REBALANCE_DONE', id: runId } : { type: 'xstate.after.nextRebalance.rebalancer.waiting' });
  });
  // The syncer: a full sync's answer, then the full-sync deadline in partialSync.
  const syncer = new MachineDriver(machines.stateSyncerMachine);
  const env = { interval: 60_000, serverUpInterval: 3_000, retryFailInterval: 15_000, syncFull: () => undefined, syncChanges: () => undefined, stagger: () => 0, now: () => 0, clampDelay: (ms: number) => ms };
  let y = syncer.initial({ env });
  step = 0;
  const syncerUs = perCallUs(calls, () => {
    const request = (y as { context: { request: number } }).context.request;
    y = syncer.transition(y, step++ % 2 === 0 ? { type: 'SYNC_DONE', id: request } : { type: 'xstate.after.fullSyncDeadline.stateSyncer.partialSync' });
  });
  return {
    'xstate, one transition of a bare two-state toggle (µs)': toggleUs.toFixed(2),
    "xstate, one transition of the rebalancer's cycle (µs)": rebalancerUs.toFixed(2),
    "xstate, one transition of the syncer's full-sync cycle (µs)": syncerUs.toFixed(2),
  };
}

/**
 * The actor engine — a StateSyncer and a ServerManager per agent, as users embed them —
 * on this tree against a build of git revision `base`, alternated `rounds` times so that
 * load on a shared machine falls on both alike. Each run is a child process of its own.
 */
async function actorsAgainst(base: string, agents: number, rounds: number): Promise<Figures> {
  const baseBuild = tscBuildAt('sim-base', base);
  if (!baseBuild) throw new Error(`could not build ${base}`);
  try {
    return await withBuild(async (build) => {
      const per = (p: SimPoint) => msPerAgentHour(p, MINUTES);
      const k = `sim ${agents / 1000}K agents × 5 servers × ${MINUTES} min, actor engine, in this thread`;
      const out: Figures = {};
      const ratios: number[] = [];
      const summaries = new Set<string>();
      for (let round = 1; round <= rounds; round++) {
        const before = await measure(baseBuild, agents, MINUTES, 0, 'actors');
        const after = await measure(build, agents, MINUTES, 0, 'actors');
        summaries.add(before.summary).add(after.summary);
        ratios.push(per(before) / per(after));
        out[`round ${round}: CPU per agent-hour, ${base} / this tree (ms)`] = `${per(before).toFixed(3)} / ${per(after).toFixed(3)}`;
        out[`round ${round}: ratio (${base} / this tree)`] = `${(per(before) / per(after)).toFixed(2)} ×`;
        out[`round ${round}: peak RSS MB, ${base} / this tree`] = `${before.rssMB} / ${after.rssMB}`;
      }
      out[`${k}: CPU ratio, ${base} / this tree, per round`] = ratios.map((r) => `${r.toFixed(2)} ×`).join(', ');
      out['same results (summary hash) on both, every round'] = summaries.size === 1 ? `yes (${[...summaries][0]})` : `NO: ${[...summaries].join(', ')}`;
      return out;
    });
  } finally {
    removeBuild('sim-base');
  }
}

/** The default point: both engines on the same 10K agents in this thread, the event engine first. */
export function run(): Promise<Figures> {
  return withBuild(async (build) => {
    const events = await measure(build, 10_000, MINUTES, 0, 'events');
    const actors = await measure(build, 10_000, MINUTES, 0, 'actors');
    const per = (p: SimPoint) => msPerAgentHour(p, MINUTES);
    const ratio = per(actors) / per(events);
    const k = `sim 10K agents × 5 servers × ${MINUTES} min, in this thread: CPU per agent-hour`;
    return {
      [`${k}, event engine (ms)`]: per(events).toFixed(3),
      [`${k}, actor engine (ms)`]: per(actors).toFixed(3),
      'CPU ratio (actors / events)': `${ratio.toFixed(2)} ×`,
      'events (both engines)': `${events.events} / ${actors.events}`,
      'target ≤ 1.0 ms and ≥ 4×': per(events) <= 1 && ratio >= 4 ? 'met' : 'missed',
    };
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const name = process.argv[2];
  const out = name !== undefined && points[name] ? await points[name]() : await run();
  for (const [k, v] of Object.entries(out)) console.log(`${k}: ${v}`);
}
