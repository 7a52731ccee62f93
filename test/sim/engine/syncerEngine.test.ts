// The engine's state syncers against the actor host's: the same state syncer machine
// definition, hosted once as StateSyncer (as every embedded agent runs it) on the heap
// clock and once advanced by the engine through the machine's transition function. Local
// changes, server-up triggers and a window in which every sync fails; both hosts must
// call the same syncs at the same times, in the same order.
import { describe, expect, it } from 'vitest';
import type { SyncKind } from '../../../machines/index.js';
import { createRandom } from '../../../src/shared/random.js';
import { EventQueue, type PoppedEvent } from '../../../src/sim/engine/eventQueue.js';
import { SYNCER_DELAYED_EVENT, SyncerEngine } from '../../../src/sim/engine/syncerEngine.js';
import { clockView } from '../../../src/sim/agent.js';
import { HeapClock } from '../../../src/sim/heapClock.js';
import { StateSyncer } from '../../../src/syncer/stateSyncer.js';

const MIN = 60_000;

interface Script {
  agents: number;
  nodes: number;
  durationMs: number;
  /** [time, agent, kind] */
  triggers: [number, number, SyncKind][];
  /** Syncs fail in [from, to). */
  failing: [number, number];
}

function script(seed: number, agents: number): Script {
  const r = createRandom(seed);
  const triggers: [number, number, SyncKind][] = [];
  for (let i = 0; i < agents * 10; i++) triggers.push([Math.floor(r() * 40 * MIN), Math.floor(r() * agents), r() < 0.2 ? 'syncFull' : 'syncChanges']);
  return { agents, nodes: 10_000, durationMs: 45 * MIN, triggers, failing: [15 * MIN, 18 * MIN] };
}

type Call = [agent: number, kind: SyncKind, atMs: number];
const SETTINGS = { interval: 60_000, serverUpInterval: 3_000, retryFailInterval: 15_000 };

async function actorHost(s: Script): Promise<Call[]> {
  const clock = new HeapClock();
  const calls: Call[] = [];
  const fails = (t: number) => t >= s.failing[0] && t < s.failing[1];
  const syncers = Array.from({ length: s.agents }, (_, a) => {
    const run = (kind: SyncKind) => () => {
      const t = clock.now();
      calls.push([a, kind, t]);
      return fails(t) ? Promise.reject(new Error('down')) : Promise.resolve();
    };
    return new StateSyncer({
      ...SETTINGS,
      state: { syncFull: run('syncFull'), syncChanges: run('syncChanges') },
      clusterSize: () => s.nodes,
      clock: clockView(clock),
      random: createRandom(2000 + a),
    });
  });
  for (const [at, agent, kind] of s.triggers) clock.setTimeout(() => syncers[agent]![kind].trigger(), at);
  for (const syncer of syncers) syncer.start();
  await clock.runUntil(s.durationMs);
  await Promise.all(syncers.map((x) => x.stop()));
  return calls;
}

const TRIGGER_FULL = 1;
const TRIGGER_CHANGES = 2;
const REPLY = 3;

function engineHost(s: Script, settings = SETTINGS): Call[] {
  const queue = new EventQueue();
  const calls: Call[] = [];
  let now = 0;
  const fails = (t: number) => t >= s.failing[0] && t < s.failing[1];
  const randoms = Array.from({ length: s.agents }, (_, a) => createRandom(2000 + a));
  const engine = new SyncerEngine(settings, queue, {
    now: () => now,
    random: (a) => randoms[a]!(),
    clusterSize: () => s.nodes,
    onSync: (a, id, kind) => {
      calls.push([a, kind, now]);
      // The answer's id carries the outcome in its sign: the queue's argument is one number.
      queue.push(now, a, REPLY, fails(now) ? -id - 1 : id);
    },
  }, s.agents);
  for (const [at, agent, kind] of s.triggers) queue.push(at, agent, kind === 'syncFull' ? TRIGGER_FULL : TRIGGER_CHANGES);
  for (let a = 0; a < s.agents; a++) engine.start(a);
  const e: PoppedEvent = { time: 0, agent: 0, kind: 0, arg: 0 };
  while (queue.peekTime() <= s.durationMs && queue.pop(e)) {
    now = e.time;
    if (e.kind === SYNCER_DELAYED_EVENT) engine.fire(e.agent, e.arg);
    else if (e.kind === REPLY) engine.answer(e.agent, e.arg < 0 ? -e.arg - 1 : e.arg, e.arg >= 0);
    else engine.trigger(e.agent, e.kind === TRIGGER_FULL ? 'syncFull' : 'syncChanges');
  }
  return calls;
}

describe('SyncerEngine', () => {
  it.each([3, 4])('calls the same syncs at the same times as StateSyncer (seed %i)', async (seed) => {
    const s = script(seed, 40);
    const expected = await actorHost(s);
    const got = engineHost(s);
    // Enough happened for the comparison to mean something: both kinds, failures and retries.
    expect(expected.filter(([, k]) => k === 'syncFull').length).toBeGreaterThan(300);
    expect(expected.filter(([, k]) => k === 'syncChanges').length).toBeGreaterThan(200);
    expect(expected.filter(([, , t]) => t >= s.failing[0] && t < s.failing[1]).length).toBeGreaterThan(40);
    expect(got).toEqual(expected);
  });

  it('differs from StateSyncer when one setting differs (the comparison can fail)', async () => {
    const s = script(3, 40);
    const expected = await actorHost(s);
    expect(engineHost(s, { ...SETTINGS, retryFailInterval: 14_000 })).not.toEqual(expected);
  });
});
