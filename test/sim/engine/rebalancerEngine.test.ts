// The engine's rebalance loops against the actor host's: the same rebalancer machine
// definition and the same loop rules, hosted once as xstate actors on the heap clock
// (RebalanceLoop, as every ServerManager runs it) and once advanced by the engine
// through the machine's transition function on its event queue. A partition and a
// heal change the reachable count, agents ask for rebalances at random moments; both
// hosts must start the same rebalances at the same times, in the same order.
import { describe, expect, it } from 'vitest';
import { RebalanceLoop, type LoopHost } from '../../../src/servers/loop.js';
import { resolveOptions, type ServerManagerOptions } from '../../../src/servers/options.js';
import { createRandom } from '../../../src/shared/random.js';
import { EventQueue, type PoppedEvent } from '../../../src/sim/engine/eventQueue.js';
import { DELAYED_EVENT, RebalancerEngine } from '../../../src/sim/engine/rebalancerEngine.js';
import { clockView } from '../../../src/sim/agent.js';
import { HeapClock } from '../../../src/sim/heapClock.js';
import { scriptedPinger } from '../../../src/testing.js';

const MIN = 60_000;

interface Script {
  agents: number;
  nodes: number;
  durationMs: number;
  /** [time, reachable servers from then on] */
  counts: [number, number][];
  /** [time, agent] */
  requests: [number, number][];
  manager?: Partial<ServerManagerOptions>;
}

function script(seed: number, agents: number, manager?: Partial<ServerManagerOptions>): Script {
  const r = createRandom(seed);
  const requests: [number, number][] = [];
  for (let i = 0; i < agents; i++) requests.push([Math.floor(r() * 60 * MIN), Math.floor(r() * agents)]);
  return {
    agents,
    nodes: 100_000,
    durationMs: 90 * MIN,
    // A partition ten minutes in, one server back, then all five: the cap binds at every count.
    counts: [
      [10 * MIN, 1],
      [25 * MIN, 2],
      [40 * MIN, 5],
    ],
    requests,
    ...(manager ? { manager } : {}),
  };
}

type Start = [agent: number, atMs: number];

async function actorHost(s: Script): Promise<Start[]> {
  const clock = new HeapClock();
  const starts: Start[] = [];
  let servers = 5;
  const loops: RebalanceLoop[] = [];
  for (let a = 0; a < s.agents; a++) {
    const random = createRandom(1000 + a);
    const settings = resolveOptions({ pinger: scriptedPinger(() => true), clock: clockView(clock), ...s.manager });
    const host: LoopHost = {
      now: () => clock.now(),
      random,
      servers: () => servers,
      numNodes: () => s.nodes,
      rebalance: () => (starts.push([a, clock.now()]), Promise.resolve()),
      picture: () => ({ front: null, servers: [] }),
      fatal: (err) => {
        throw err;
      },
    };
    loops.push(new RebalanceLoop(settings, host, false));
  }
  for (const [at, count] of s.counts)
    clock.setTimeout(() => {
      servers = count;
      for (const loop of loops) loop.serversChanged();
    }, at);
  for (const [at, agent] of s.requests) clock.setTimeout(() => loops[agent]!.request(), at);
  for (const loop of loops) loop.start();
  await clock.runUntil(s.durationMs);
  for (const loop of loops) loop.stop();
  return starts;
}

const COUNT = 2;
const REQUEST = 3;
const REPLY = 4;

function engineHost(s: Script): Start[] {
  const queue = new EventQueue();
  const starts: Start[] = [];
  let now = 0;
  let servers = 5;
  const randoms = Array.from({ length: s.agents }, (_, a) => createRandom(1000 + a));
  const settings = resolveOptions({ pinger: scriptedPinger(() => true), ...s.manager });
  const engine = new RebalancerEngine(settings, queue, {
    now: () => now,
    random: (a) => randoms[a]!(),
    servers: () => servers,
    numNodes: () => s.nodes,
    onRun: (a, id) => {
      starts.push([a, now]);
      queue.push(now, a, REPLY, id);
    },
  }, s.agents);
  // Script events go in first, as the actor host sets their timers first.
  for (const [at, count] of s.counts) queue.push(at, -1, COUNT, count);
  for (const [at, agent] of s.requests) queue.push(at, agent, REQUEST);
  for (let a = 0; a < s.agents; a++) engine.start(a);
  const e: PoppedEvent = { time: 0, agent: 0, kind: 0, arg: 0 };
  while (queue.peekTime() <= s.durationMs && queue.pop(e)) {
    now = e.time;
    if (e.kind === DELAYED_EVENT) engine.fire(e.agent, e.arg);
    else if (e.kind === REPLY) engine.done(e.agent, e.arg);
    else if (e.kind === REQUEST) engine.request(e.agent);
    else if (e.kind === COUNT) {
      servers = e.arg;
      for (let a = 0; a < s.agents; a++) engine.serversChanged(a);
    }
  }
  return starts;
}

describe('RebalancerEngine', () => {
  it.each([
    ['ae-sync', 7, undefined],
    ['ae-sync', 8, undefined],
    ['consul', 7, { health: false, rearmOnChange: false, jitterFirstRebalance: false, jitterCappedWait: false }],
  ] as const)('starts the same rebalances at the same times as the actor host (%s manager, seed %i)', async (_label, seed, manager) => {
    const s = script(seed, 60, manager);
    const expected = await actorHost(s);
    const got = engineHost(s);
    // Enough happened for the comparison to mean something: every agent rebalanced, requests and re-arms included.
    expect(new Set(expected.map(([a]) => a)).size).toBe(60);
    expect(expected.length).toBeGreaterThan(120);
    expect(got).toEqual(expected);
  });

  it('differs from the actor host when one setting differs (the comparison can fail)', async () => {
    const s = script(7, 60);
    const expected = await actorHost(s);
    const changed = engineHost({ ...s, manager: { minReuseDuration: 119_000 } });
    expect(changed).not.toEqual(expected);
  });
});
