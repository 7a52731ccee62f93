// The simulator engine's core against the actor host, same process, same work: N agents,
// each a state syncer and a rebalance loop (the machine definitions and the runtime's
// rules), for one simulated hour, a local change per agent every 10 min (Poisson), every
// sync and rebalance answered at once (no network model, no server roster: this
// measures the hosts, not the simulator). Prints CPU per agent-hour for both hosts,
// their ratio, and the engine's live heap per agent.
//   default (npm run bench):  2K agents
//   engine-10k:               10K agents
import { loadavg } from 'node:os';
import { resolveOptions } from '../src/servers/options.js';
import { RebalanceLoop } from '../src/servers/loop.js';
import { createRandom } from '../src/shared/random.js';
import { EventQueue, type PoppedEvent } from '../src/sim/engine/eventQueue.js';
import { DELAYED_EVENT, RebalancerEngine } from '../src/sim/engine/rebalancerEngine.js';
import { SYNCER_DELAYED_EVENT, SyncerEngine } from '../src/sim/engine/syncerEngine.js';
import { clockView } from '../src/sim/agent.js';
import { HeapClock } from '../src/sim/heapClock.js';
import { StateSyncer } from '../src/syncer/stateSyncer.js';
import { scriptedPinger } from '../src/testing.js';

type Figures = Record<string, string | number>;

const HOUR = 3_600_000;
const CHANGE_MS = 600_000;
const SYNCER = { interval: 60_000, serverUpInterval: 3_000, retryFailInterval: 15_000 };

/** Each agent's local changes in the hour, from its own stream. */
function changes(agents: number): [number, number][] {
  const out: [number, number][] = [];
  for (let a = 0; a < agents; a++) {
    const r = createRandom(9000 + a);
    for (let t = -Math.log(1 - r()) * CHANGE_MS; t < HOUR; t += -Math.log(1 - r()) * CHANGE_MS) out.push([Math.floor(t), a]);
  }
  return out.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
}

async function actors(agents: number, work: [number, number][]): Promise<number> {
  const clock = new HeapClock();
  let done = 0;
  const syncers: StateSyncer[] = [];
  const loops: RebalanceLoop[] = [];
  for (let a = 0; a < agents; a++) {
    const view = clockView(clock);
    const random = createRandom(1000 + a);
    const sync = () => (done++, Promise.resolve());
    syncers.push(new StateSyncer({ ...SYNCER, state: { syncFull: sync, syncChanges: sync }, clusterSize: () => agents, clock: view, random }));
    const settings = resolveOptions({ pinger: scriptedPinger(() => true), clock: view });
    loops.push(
      new RebalanceLoop(settings, {
        now: () => clock.now(),
        random,
        servers: () => 5,
        numNodes: () => agents,
        rebalance: () => (done++, Promise.resolve()),
        picture: () => ({ front: null, servers: [] }),
        fatal: (err) => {
          throw err;
        },
      }, false),
    );
  }
  for (const [at, a] of work) clock.setTimeout(() => syncers[a]!.syncChanges.trigger(), at);
  for (let a = 0; a < agents; a++) {
    loops[a]!.start();
    syncers[a]!.start();
  }
  await clock.runUntil(HOUR);
  return done;
}

function engine(agents: number, work: [number, number][], onEnd?: () => void): number {
  const queue = new EventQueue(agents * 4);
  let now = 0;
  let done = 0;
  const randoms = Array.from({ length: agents }, (_, a) => createRandom(1000 + a));
  const random = (a: number) => randoms[a]!();
  const REPLY_SYNC = 20;
  const REPLY_RUN = 21;
  const CHANGE = 22;
  const loops = new RebalancerEngine(resolveOptions({ pinger: scriptedPinger(() => true) }), queue, {
    now: () => now,
    random,
    servers: () => 5,
    numNodes: () => agents,
    onRun: (a, id) => (done++, void queue.push(now, a, REPLY_RUN, id)),
  }, agents);
  const syncers = new SyncerEngine(SYNCER, queue, {
    now: () => now,
    random,
    clusterSize: () => agents,
    onSync: (a, id) => (done++, void queue.push(now, a, REPLY_SYNC, id)),
  }, agents);
  for (const [at, a] of work) queue.push(at, a, CHANGE);
  for (let a = 0; a < agents; a++) {
    loops.start(a);
    syncers.start(a);
  }
  const e: PoppedEvent = { time: 0, agent: 0, kind: 0, arg: 0 };
  while (queue.peekTime() <= HOUR && queue.pop(e)) {
    now = e.time;
    switch (e.kind) {
      case DELAYED_EVENT:
        loops.fire(e.agent, e.arg);
        break;
      case SYNCER_DELAYED_EVENT:
        syncers.fire(e.agent, e.arg);
        break;
      case REPLY_RUN:
        loops.done(e.agent, e.arg);
        break;
      case REPLY_SYNC:
        syncers.answer(e.agent, e.arg, true);
        break;
      default:
        syncers.trigger(e.agent, 'syncChanges');
    }
  }
  onEnd?.();
  return done;
}

function cpuMs(fn: () => unknown): number {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

async function cpuMsAsync(fn: () => Promise<unknown>): Promise<number> {
  const c0 = process.cpuUsage();
  await fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

function heapNow(): number {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}

async function point(agents: number): Promise<Figures> {
  const work = changes(agents);
  const load0 = loadavg()[0]!.toFixed(2);
  let actorWork = 0;
  let engineWork = 0;
  const actorMs = await cpuMsAsync(async () => (actorWork = await actors(agents, work)));
  heapNow();
  const base = heapNow();
  let live = 0;
  const engineMs = cpuMs(() => (engineWork = engine(agents, work, () => (live = heapNow() - base))));
  const k = `${agents / 1000}K agents × 1 h`;
  return {
    [`${k}: syncs + rebalances (actors / engine)`]: `${actorWork} / ${engineWork}`,
    [`${k}: CPU per agent-hour, actor host`]: `${(actorMs / agents).toFixed(3)} ms`,
    [`${k}: CPU per agent-hour, engine`]: `${(engineMs / agents).toFixed(3)} ms`,
    [`${k}: engine CPU ratio (actors / engine)`]: `${(actorMs / engineMs).toFixed(1)} ×`,
    [`${k}: engine live heap per agent (queue, snapshots, loop states)`]: globalThis.gc ? `${Math.round(live / agents)} B` : 'run with --expose-gc',
    'load average (1 min) before / after': `${load0} / ${loadavg()[0]!.toFixed(2)}`,
  };
}

export function run(): Promise<Figures> {
  return point(2_000);
}

export const points = {
  'engine-10k': () => point(10_000),
};
