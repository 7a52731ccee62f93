// Server manager figures: cost of the RPC-path calls (findServer, notifyFailedServer)
// and heap per idle, started manager at 10,000 managers with 5 servers each.
// Run under `node --expose-gc --import tsx` (npm run bench) for honest heap figures.
// Heap is measured on the code as tsx loads it and on a tsc build (what users get):
// see bench/tscBuild.ts for why they differ.
import { ServerManager } from '../src/servers/serverManager.js';
import { removeBuild, tscBuild } from './tscBuild.js';
import type { Pinger, Server } from '../src/servers/types.js';
import { systemClock } from '../src/shared/clock.js';

const pinger: Pinger = { ping: () => Promise.resolve(true) };
const MANAGERS = 10_000;
const SERVERS = 5;

function fiveServers(tag: string): Server[] {
  return Array.from({ length: SERVERS }, (_, i) => ({ name: `${tag}-s${i}`, address: `10.0.${i}.1:8300` }));
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
  const shared = fiveServers('shared');
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

export async function run(): Promise<Record<string, string | number>> {
  const manager = new ServerManager({ pinger, clock: systemClock });
  for (const s of fiveServers('hot')) manager.addServer(s);

  let sink = 0;
  const findNs = nsPerCall(10_000_000, () => {
    sink += (manager.findServer() as Server).name.length;
  });
  const notifyRotateNs = nsPerCall(2_000_000, () => {
    manager.notifyFailedServer(manager.findServer() as Server);
  });
  const notNow = fiveServers('other')[0] as Server;
  const notifyNoopNs = nsPerCall(10_000_000, () => {
    manager.notifyFailedServer(notNow);
  });
  await manager.stop();

  const ownBytes = await heapPerManager(true);
  const sharedBytes = await heapPerManager(false);
  const load = tscBuild('serverManager-bench');
  const Built = load
    ? ((await load('src/servers/serverManager.js')) as { ServerManager: typeof ServerManager }).ServerManager
    : undefined;
  await heapPerManager(true, Built); // warm-up fleet: the first one carries one-time costs
  const builtOwnBytes = Built ? await heapPerManager(true, Built) : Number.NaN;
  const builtSharedBytes = Built ? await heapPerManager(false, Built) : Number.NaN;
  removeBuild('serverManager-bench');
  const hasGc = typeof (globalThis as { gc?: unknown }).gc === 'function';
  return {
    'findServer() ns/call': findNs.toFixed(1),
    'notifyFailedServer() ns/call (front: rotates)': notifyRotateNs.toFixed(1),
    'notifyFailedServer() ns/call (not front: no-op)': notifyNoopNs.toFixed(1),
    'heap B/idle started manager, 10,000 × 5 own servers (tsc build; target ≤ 4096)': Math.round(builtOwnBytes),
    'heap B/idle started manager, 10,000 sharing 5 servers (tsc build)': Math.round(builtSharedBytes),
    'heap B/idle started manager, 10,000 × 5 own servers (tsx)': Math.round(ownBytes),
    'heap B/idle started manager, 10,000 sharing 5 servers (tsx)': Math.round(sharedBytes),
    'gc exposed': hasGc ? 'yes' : 'no (heap figures unreliable)',
    sink: sink > 0 ? 'ok' : 'none',
  };
}
