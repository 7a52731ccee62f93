// Server manager figures: cost of the RPC-path calls (findServer, notifyFailedServer,
// call), setServers at 20,000 and 40,000 servers (linear, not quadratic), and heap per
// idle started manager at 10,000 managers on one clock with 5 servers each — next to
// the floor xstate sets: the same rebalancer machine with its worker, hosted the same
// way, with nothing of the manager around it.
// Run under `node --expose-gc --import tsx` (npm run bench) for honest heap figures.
// Heap is measured on a tsc build (what users get; see bench/tscBuild.ts) and under tsx.
import type { RebalancerEnv, rebalancerMachine } from '../machines/rebalancer.machine.js';
import { ServerManager } from '../src/servers/serverManager.js';
import type { createHostedActor } from '../src/shared/actorHost.js';
import { removeBuild, tscBuild } from './tscBuild.js';
import type { Pinger, Server } from '../src/servers/types.js';
import { systemClock } from '../src/shared/clock.js';

const pinger: Pinger = { ping: () => Promise.resolve(true) };
const MANAGERS = 10_000;
const SERVERS = 5;

function fiveServers(tag: string): Server[] {
  return Array.from({ length: SERVERS }, (_, i) => ({ name: `${tag}-s${i}`, address: `10.0.${i}.1:8300` }));
}

function manyServers(n: number, tag: string): Server[] {
  return Array.from({ length: n }, (_, i) => ({ name: `${tag}${i}`, address: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}:8300` }));
}

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect) {
    collect();
    collect();
  }
}

function nsPerCall(calls: number, body: (i: number) => void): number {
  for (let i = 0; i < Math.min(calls, 100_000); i++) body(i); // warm up the JIT
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) body(i);
  return Number(process.hrtime.bigint() - start) / calls;
}

/** heapUsed growth per manager while `count` started managers sit idle. */
async function heapPerManager(ownServers: boolean, Manager: typeof ServerManager = ServerManager): Promise<number> {
  const shared = fiveServers('shared').map((s) => Object.freeze(s));
  gc();
  const before = process.memoryUsage().heapUsed;
  const managers: ServerManager[] = [];
  for (let i = 0; i < MANAGERS; i++) {
    const m = new Manager({ pinger, clock: systemClock });
    for (const s of ownServers ? fiveServers(`m${i}`) : shared) m.addServer(s);
    m.start();
    managers.push(m);
  }
  gc();
  const perManager = (process.memoryUsage().heapUsed - before) / MANAGERS;
  await Promise.all(managers.map((m) => m.stop()));
  return perManager;
}

/** The floor: heapUsed growth per started rebalancer actor (machine + worker), hosted one system per clock, no manager. */
function heapPerBareRebalancer(machine: typeof rebalancerMachine, host: typeof createHostedActor): number {
  const env: RebalancerEnv = { firstDelayMs: () => 150_000, nextDelayMs: () => 150_000, run: () => Promise.resolve() };
  gc();
  const before = process.memoryUsage().heapUsed;
  const actors = [];
  for (let i = 0; i < MANAGERS; i++) actors.push(host(machine, { clock: systemClock, input: { env }, inspect: undefined }).start());
  gc();
  const per = (process.memoryUsage().heapUsed - before) / MANAGERS;
  for (const a of actors) a.send({ type: 'STOP' });
  return per;
}

/** ms for one setServers of `n` fresh servers into a list of `n` others (half shared). */
function setServersMs(Manager: typeof ServerManager, n: number): number {
  const m = new Manager({ pinger, clock: systemClock });
  m.setServers(manyServers(n, 'a'));
  const next = [...manyServers(n / 2, 'a'), ...manyServers(n / 2, 'b')];
  gc();
  const start = process.hrtime.bigint();
  m.setServers(next);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export async function run(): Promise<Record<string, string | number>> {
  const manager = new ServerManager({ pinger, clock: systemClock });
  for (const s of fiveServers('hot')) manager.addServer(s);

  let sink = 0;
  const findNs = nsPerCall(10_000_000, () => {
    sink += (manager.findServer() as Server).name.length;
  });
  const notifyRotateNs = nsPerCall(1_000_000, () => {
    manager.notifyFailedServer(manager.findServer() as Server);
    manager.addServer(manager.findServer() as Server); // keeps every server healthy
  });
  const notNow = fiveServers('other')[0] as Server;
  const notifyNoopNs = nsPerCall(10_000_000, () => {
    manager.notifyFailedServer(notNow);
  });
  const calls = 200_000;
  const callStart = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await manager.call(() => i);
  const callNs = Number(process.hrtime.bigint() - callStart) / calls;
  await manager.stop();

  const ownBytes = await heapPerManager(true);
  const sharedBytes = await heapPerManager(false);
  const load = tscBuild('serverManager-bench');
  const Built = load ? ((await load('src/servers/serverManager.js')) as { ServerManager: typeof ServerManager }).ServerManager : undefined;
  const builtMachine = load ? ((await load('machines/rebalancer.machine.js')) as { rebalancerMachine: typeof rebalancerMachine }).rebalancerMachine : undefined;
  const builtHost = load ? ((await load('src/shared/actorHost.js')) as { createHostedActor: typeof createHostedActor }).createHostedActor : undefined;
  await heapPerManager(true, Built); // warm-up fleet: the first one carries one-time costs
  const builtOwnBytes = Built ? await heapPerManager(true, Built) : Number.NaN;
  const builtSharedBytes = Built ? await heapPerManager(false, Built) : Number.NaN;
  const floorBytes = builtMachine && builtHost ? heapPerBareRebalancer(builtMachine, builtHost) : Number.NaN;
  const M = Built ?? ServerManager;
  const best = (n: number) => Math.min(setServersMs(M, n), setServersMs(M, n), setServersMs(M, n));
  best(20_000); // warm up
  const small = best(20_000);
  const large = best(40_000);
  removeBuild('serverManager-bench');
  const hasGc = typeof (globalThis as { gc?: unknown }).gc === 'function';
  return {
    'findServer() ns/call': findNs.toFixed(1),
    'notifyFailedServer() + addServer() ns/pair (front: rotates and re-admits)': notifyRotateNs.toFixed(1),
    'notifyFailedServer() ns/call (unknown server: no-op)': notifyNoopNs.toFixed(1),
    'call() ns/call (sync fn, awaited)': callNs.toFixed(0),
    'heap B/idle started manager, 10,000 × 5 own servers (tsc build; target ≤ 4096): ours': Math.round(builtOwnBytes),
    'heap B/idle started rebalancer actor + worker alone (tsc build): xstate floor': Math.round(floorBytes),
    'heap ours / floor': (builtOwnBytes / floorBytes).toFixed(2),
    'heap B/idle started manager, 10,000 sharing 5 frozen servers (tsc build)': Math.round(builtSharedBytes),
    'heap B/idle started manager, 10,000 × 5 own servers (tsx)': Math.round(ownBytes),
    'heap B/idle started manager, 10,000 sharing 5 frozen servers (tsx)': Math.round(sharedBytes),
    'setServers() ms, 20,000 servers replaced by 20,000 (half new; tsc build)': small.toFixed(1),
    'setServers() ms, 40,000 servers replaced by 40,000 (half new; tsc build)': large.toFixed(1),
    'setServers() 40,000 / 20,000 (linear ≈ 2, quadratic ≈ 4)': (large / small).toFixed(2),
    'gc exposed': hasGc ? 'yes' : 'no (heap figures unreliable)',
    sink: sink > 0 ? 'ok' : 'none',
  };
}
