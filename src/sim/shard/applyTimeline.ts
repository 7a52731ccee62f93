// Schedules a run's server timeline on one shard: each event acts on the shard's part
// of the agents it names. Events at ≤ 0 act at once (before time starts); spread
// events give each agent a time of its own from the agent's own stream.
import type { SimConfig } from '../config.js';
import type { FleetDriver } from '../driver.js';
import type { Network } from '../network.js';
import { Stream, StreamTable } from '../streams.js';
import { checkTimeline, localRange, type TimelineEvent } from '../timeline.js';

export interface TimelineTarget {
  first: number;
  count: number;
  fleet: FleetDriver;
  network: Network;
  /** A shared timer (every shard sets it alike). */
  at(atMs: number, fn: () => void): void;
  /** Runs `fn(i)` for local agent `i` after `delayMs` (counted as the agent's event). */
  agent(delayMs: number, i: number, fn: (i: number) => void): void;
}

/** What `event` does to local agent `i` (for per-agent events), or undefined for events on servers and links. */
function perAgent(event: TimelineEvent, fleet: FleetDriver): ((i: number) => void) | undefined {
  switch (event.op) {
    case 'join':
      return (i) => fleet.addServer(i, event.server);
    case 'leave':
      return (i) => fleet.removeServer(i, event.server);
    case 'membership':
      return (i) => {
        for (const s of event.servers) fleet.membership(i, event.type, s);
      };
    case 'loseSessions':
      return (i) => fleet.loseSession(i);
    default:
      return undefined;
  }
}

function applyNow(event: TimelineEvent, t: TimelineTarget): void {
  const { fleet, network } = t;
  switch (event.op) {
    case 'down':
    case 'up':
      network.setUp(event.server, event.op === 'up');
      return;
    case 'partition':
      for (const s of event.servers) network.block(event.group, s, true);
      return;
    case 'heal':
      if (event.group === undefined && event.servers === undefined) network.healAll();
      else {
        const groups = event.group === undefined ? Array.from({ length: 256 }, (_, g) => g) : [event.group];
        const servers = event.servers ?? Array.from({ length: network.servers.length }, (_, s) => s);
        for (const g of groups) for (const s of servers) network.block(g, s, false);
      }
      return;
    case 'group': {
      const { from, to } = localRange(event.agents, t.first, t.count);
      for (let i = from; i < to; i++) network.setGroup(i, event.group);
      return;
    }
    case 'markRebalances': {
      const { from, to } = localRange(event.agents, t.first, t.count);
      fleet.markRebalances(from, to);
      return;
    }
    case 'markFullSyncs':
      fleet.markFullSyncs();
      return;
    case 'refuseReads':
    case 'serveReads':
      fleet.refuseReads(event.server, event.op === 'refuseReads');
      return;
    default: {
      const act = perAgent(event, fleet);
      const { from, to } = localRange(event.agents, t.first, t.count);
      if (act) for (let i = from; i < to; i++) act(i);
    }
  }
}

export function applyTimeline(config: SimConfig, t: TimelineTarget): void {
  const timeline = config.timeline ?? [];
  checkTimeline(timeline, config.agents, config.servers + (config.extraServers ?? 0));
  const catalogOp = timeline.find((e) => e.op === 'loseSessions' || e.op === 'refuseReads' || e.op === 'serveReads');
  if (catalogOp !== undefined && !((config.entries ?? 0) > 0)) throw new RangeError(`timeline event ${JSON.stringify(catalogOp)}: needs a run with entries (a simulated catalog)`);
  let draws: StreamTable | undefined;
  for (const event of timeline) {
    const spread = 'spreadMs' in event ? (event.spreadMs ?? 0) : 0;
    const act = perAgent(event, t.fleet);
    if (act !== undefined && spread > 0) {
      // Each agent's own time: a timer per agent (counted as the agent's event).
      draws ??= new StreamTable(config.seed, Stream.agentScenario, t.first, t.count);
      const { from, to } = localRange('agents' in event ? event.agents : undefined, t.first, t.count);
      for (let i = from; i < to; i++) t.agent(Math.max(0, event.atMs) + Math.floor(draws.next(i) * spread), i, act);
    } else if (event.atMs <= 0) applyNow(event, t);
    else t.at(event.atMs, () => applyNow(event, t));
  }
}
