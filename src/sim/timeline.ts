// A scenario's server timeline as data: what happens to servers, links and agents'
// views at which simulated time. Every worker applies the same timeline to its own
// agents, so a run does not depend on how agents are split over workers.
import type { MembershipEvent } from '../servers/types.js';

/** Run-wide agent indices [from, to). */
export interface AgentRange {
  from: number;
  to: number;
}

interface At {
  /** Simulated ms. Events at ≤ 0 are applied before time starts, after agents are scheduled. */
  atMs: number;
}

/** What a timeline event does. Agent ranges default to every agent. */
export type TimelineEvent = At &
  (
    | { op: 'down' | 'up'; server: number }
    /** Cuts every link between agents of `group` and `servers`. */
    | { op: 'partition'; group: number; servers: readonly number[] }
    /** Restores the links of `group` to `servers`; without `group`, every link. */
    | { op: 'heal'; group?: number; servers?: readonly number[] }
    /** Puts `agents` in partition group `group` (0 is everyone's default). */
    | { op: 'group'; group: number; agents: AgentRange }
    /**
     * `server` joins or leaves the agents' views (`addServer` / `removeServer`). With
     * `spreadMs`, each agent learns it at its own time in [atMs, atMs + spreadMs), drawn
     * from its own stream (gossip reaching agents one by one).
     */
    | { op: 'join' | 'leave'; server: number; agents?: AgentRange; spreadMs?: number }
    /** A gossip membership event for each of `servers` (serf member-failed, member-join, …), spread like `join`. */
    | { op: 'membership'; type: MembershipEvent['type']; servers: readonly number[]; agents?: AgentRange; spreadMs?: number }
    /** Measurement start: record when every agent of `agents` has rebalanced at least once after this. */
    | { op: 'markRebalances'; agents?: AgentRange }
    /** Measurement start: record each agent's wait until its next full sync starts. */
    | { op: 'markFullSyncs' }
    /** Runs with entries: the servers drop the sessions of `agents` (and their entries), and each agent hears of it. */
    | { op: 'loseSessions'; agents?: AgentRange }
    /** Runs with entries: `server` refuses every catalog read from now on, or serves them again. */
    | { op: 'refuseReads' | 'serveReads'; server: number }
  );

/** The part of `range` (run-wide) that falls in a shard [first, first + count), as local indices. */
export function localRange(range: AgentRange | undefined, first: number, count: number): { from: number; to: number } {
  if (range === undefined) return { from: 0, to: count };
  const from = Math.max(0, Math.min(count, range.from - first));
  const to = Math.max(from, Math.min(count, range.to - first));
  return { from, to };
}

/** Checks a timeline against the run's size; throws a RangeError naming the bad event. */
export function checkTimeline(timeline: readonly TimelineEvent[], agents: number, servers: number): void {
  const bad = (e: TimelineEvent, why: string) => new RangeError(`timeline event ${JSON.stringify(e)}: ${why}`);
  const server = (e: TimelineEvent, s: number) => {
    if (!Number.isInteger(s) || s < 0 || s >= servers) throw bad(e, `server ${s} is not in [0, ${servers})`);
  };
  const range = (e: TimelineEvent, r: AgentRange | undefined) => {
    if (r !== undefined && !(Number.isInteger(r.from) && Number.isInteger(r.to) && r.from >= 0 && r.to <= agents && r.from <= r.to))
      throw bad(e, `agents must be integers with 0 ≤ from ≤ to ≤ ${agents}`);
  };
  for (const e of timeline) {
    if (!Number.isFinite(e.atMs)) throw bad(e, 'atMs must be a finite number');
    switch (e.op) {
      case 'down':
      case 'up':
        server(e, e.server);
        break;
      case 'partition':
        if (!Number.isInteger(e.group) || e.group < 0 || e.group > 255) throw bad(e, 'group must be an integer in [0, 255]');
        e.servers.forEach((s) => server(e, s));
        break;
      case 'heal':
        e.servers?.forEach((s) => server(e, s));
        break;
      case 'group':
        if (!Number.isInteger(e.group) || e.group < 0 || e.group > 255) throw bad(e, 'group must be an integer in [0, 255]');
        range(e, e.agents);
        break;
      case 'join':
      case 'leave':
        server(e, e.server);
        range(e, e.agents);
        break;
      case 'membership':
        e.servers.forEach((s) => server(e, s));
        range(e, e.agents);
        break;
      case 'markRebalances':
        range(e, e.agents);
        break;
      case 'markFullSyncs':
        break;
      case 'loseSessions':
        range(e, e.agents);
        break;
      case 'refuseReads':
      case 'serveReads':
        server(e, e.server);
        break;
      default:
        throw bad(e, 'unknown op');
    }
  }
}
