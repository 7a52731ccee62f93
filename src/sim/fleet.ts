// The simulated fleet: N agents, each a real StateSyncer and a real ServerManager
// wired by createSyncAgent's own wiring (src/wiring.ts), whose RPCs and pings go through the
// simulated network. Per-agent bookkeeping lives in typed arrays (not closures)
// so that 100 000 agents fit in a small heap. A fleet may be one shard of a run:
// its agents are numbered locally from 0, and `first` is the run-wide index of agent 0.
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { ServerManager } from '../servers/serverManager.js';
import type { MembershipEvent, Server } from '../servers/types.js';
import { StateSyncer } from '../syncer/stateSyncer.js';
import { FULL, SimAgent, clockView, constant, type AgentTuning } from './agent.js';
import { shuffleInPlace } from '../shared/random.js';
import { resolveWiringOptions, wireAgent, type WiringSettings } from '../wiring.js';
import type { HeapClock } from './heapClock.js';
import { toUs, type Recorder } from './metrics.js';
import type { Network } from './network.js';
import { DurationStats, type FleetData } from './stats.js';

export { SimAgent, clockView, type AgentTuning } from './agent.js';

export interface FleetOptions {
  agents: number;
  clock: HeapClock;
  network: Network;
  recorder: Recorder;
  logger: Logger;
  tuning: AgentTuning;
  /** Run-wide index of local agent 0 (a shard's first agent). Defaults to 0. */
  first?: number;
  /** The random stream of run-wide agent `agent` (used by its syncer and manager). */
  agentRandom: (agent: number) => () => number;
  /** Cluster size every manager sees (gossip member count). */
  clusterSize: () => number;
  /** Measurements (lifetimes, gaps) count only from this simulated time on. */
  warmupMs: number;
  /**
   * Agents that share one view of the heap clock, and so its xstate systems (at most
   * 128 actors each, src/shared/actorHost.ts). Defaults to all of them; results do not
   * depend on it (test/sim/fleet.test.ts), only memory does (systems are per view).
   */
  agentsPerClock?: number;
}

export class Fleet {
  readonly agents: SimAgent[] = [];
  readonly network: Network;
  private readonly clock: HeapClock;
  private readonly recorder: Recorder;
  private readonly warmupMs: number;
  /** Front server index per agent (-1: none). */
  readonly front: Int16Array;
  /** When the agent's current connection started (ms). */
  private readonly since: Float64Array;
  /** Earliest local change not yet covered by a started sync (NaN: none). */
  private readonly pendingChangeAt: Float64Array;
  private readonly lastFullStart: Float64Array;
  private readonly lastRebalance: Float64Array;
  /** Agents that rebalanced since `markRebalances()`. */
  private readonly rebalancedSinceMark: Uint8Array;
  private rebalancedCount = 0;
  private readonly wiring: WiringSettings;
  private markAt = NaN;
  /** Time at which every marked agent had rebalanced (NaN until then). */
  allRebalancedAt = NaN;
  private markFrom = 0;
  private markTo = 0;
  private markTarget = 0;
  private readonly fullSinceMark: Uint8Array;
  private fullMarkAt = NaN;
  /** Per agent: wait from `markFullSyncs()` to its first full sync start after it. */
  readonly firstFullAfterMark = new DurationStats();
  /** Agents per server, live. */
  readonly agentsOn: Int32Array;
  /** 1 once the agent's manager and syncer run; before that it makes no local changes. */
  private readonly started: Uint8Array;

  /** Gaps between consecutive full-sync starts of one agent. */
  readonly fullSyncGaps = new DurationStats();
  /** Gaps between consecutive rebalances of one agent (a connection recycled). */
  readonly rebalanceGaps = new DurationStats();
  /** Lifetimes of connections (time an agent's front server stayed the same). */
  readonly connLifetimes = new DurationStats();
  /** Change → covering sync succeeded. */
  readonly syncLag = new DurationStats();
  fullSyncs = 0;
  partialSyncs = 0;
  rebalances = 0;
  newConnections = 0;

  constructor(private readonly options: FleetOptions) {
    const n = options.agents;
    this.clock = options.clock;
    this.network = options.network;
    this.recorder = options.recorder;
    this.warmupMs = options.warmupMs;
    this.front = new Int16Array(n).fill(-1);
    this.since = new Float64Array(n);
    this.pendingChangeAt = new Float64Array(n).fill(NaN);
    this.lastFullStart = new Float64Array(n).fill(NaN);
    this.lastRebalance = new Float64Array(n).fill(NaN);
    this.rebalancedSinceMark = new Uint8Array(n);
    this.fullSinceMark = new Uint8Array(n);
    this.started = new Uint8Array(n);
    this.agentsOn = new Int32Array(this.network.servers.length);
    const t = options.tuning;
    this.wiring = resolveWiringOptions(t);
    const syncerClusterSize = t.syncerClusterSize !== undefined ? constant(t.syncerClusterSize) : undefined;
    const first = options.first ?? 0;
    const perClock = Math.max(1, options.agentsPerClock ?? n);
    let clock: Clock = clockView(this.clock);
    for (let i = 0; i < n; i++) {
      if (i % perClock === 0 && i > 0) clock = clockView(this.clock);
      const agent = new SimAgent(this, i);
      const random = options.agentRandom(first + i);
      // The tuning is forwarded whole, as createSyncAgent forwards its options: each
      // part's resolver reads the keys it knows.
      const manager = new ServerManager({ ...t, pinger: agent, logger: options.logger, clusterSize: options.clusterSize, clock, random });
      agent.manager = manager;
      agent.syncer = new StateSyncer({
        ...t,
        state: agent,
        clusterSize: syncerClusterSize ?? (() => manager.numNodes()),
        logger: options.logger,
        clock,
        random,
      });
      this.agents.push(agent);
    }
  }

  /** Gives `agent` its initial servers (in an order shuffled by `shuffle`, if given), then wires its events. */
  join(agentId: number, serverIndices: readonly number[], shuffle?: () => number): void {
    const agent = this.agents[agentId] as SimAgent;
    const list = serverIndices.slice();
    if (shuffle) shuffleInPlace(list, shuffle);
    for (const s of list) agent.manager.addServer(this.network.servers[s] as Server);
    wireAgent(agent.manager, agent.syncer, this.wiring);
    agent.manager.on('serverUp', agent.onServerUp);
    agent.manager.on('online', agent.onServerUp);
    agent.manager.on('rebalanced', agent.onRebalanced);
    // The list an agent starts with is not a connection yet: record the front
    // server without counting a new connection (it would swamp the first bucket).
    const front = agent.manager.findServer();
    const s = front === undefined ? -1 : this.network.serverIndex(front);
    this.front[agentId] = s;
    this.since[agentId] = this.clock.now();
    if (s >= 0) this.agentsOn[s]!++;
  }

  /** Starts the manager, then the syncer (Consul's server manager commit notes: the manager must be ready first). */
  start(agentId: number): void {
    const agent = this.agents[agentId] as SimAgent;
    this.started[agentId] = 1;
    agent.manager.start();
    agent.syncer.start();
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.agents.map((a) => Promise.all([a.syncer.stop(), a.manager.stop()])));
  }

  // --- what the network and the workload do to agents ---------------------------

  /** A server joins every agent's view (serf member-join). */
  addServer(agentId: number, server: number): void {
    const agent = this.agents[agentId] as SimAgent;
    agent.manager.addServer(this.network.servers[server] as Server);
    this.observeFront(agent);
  }

  /** A server leaves every agent's view (serf member-leave / reap). */
  removeServer(agentId: number, server: number): void {
    const agent = this.agents[agentId] as SimAgent;
    agent.manager.removeServer(this.network.servers[server] as Server);
    this.observeFront(agent);
  }

  /**
   * A gossip membership event reaches `agentId` (serf member-failed, member-join, …). The
   * manager applies it in a microtask; the front server is looked at once it has.
   */
  membership(agentId: number, type: MembershipEvent['type'], server: number): void {
    const agent = this.agents[agentId] as SimAgent;
    agent.manager.applyMembershipEvent({ type, server: this.network.servers[server] as Server });
    queueMicrotask(() => this.observeFront(agent));
  }

  /** A local change on `agentId`: remember when, ask for a partial sync. Ignored before the agent started. */
  change(agentId: number): void {
    if (this.started[agentId] !== 1) return;
    if (Number.isNaN(this.pendingChangeAt[agentId])) this.pendingChangeAt[agentId] = this.clock.now();
    (this.agents[agentId] as SimAgent).syncer.syncChanges.trigger();
  }

  /** From now on, record when every agent of [from, to) (local indices; default all) has rebalanced at least once. */
  markRebalances(from = 0, to = this.agents.length): void {
    this.rebalancedSinceMark.fill(0);
    this.rebalancedCount = 0;
    this.markAt = this.clock.now();
    this.allRebalancedAt = NaN;
    this.markFrom = Math.max(0, from);
    this.markTo = Math.min(this.agents.length, to);
    this.markTarget = Math.max(0, this.markTo - this.markFrom);
  }

  /** From now on, record each agent's wait until its next full sync starts. */
  markFullSyncs(): void {
    this.fullSinceMark.fill(0);
    this.fullMarkAt = this.clock.now();
  }

  /** This fleet's statistics, for merging with other shards'. */
  data(): FleetData {
    return {
      durations: {
        fullSyncGaps: this.fullSyncGaps.data(),
        rebalanceGaps: this.rebalanceGaps.data(),
        connLifetimes: this.connLifetimes.data(),
        syncLag: this.syncLag.data(),
        firstFullAfterMark: this.firstFullAfterMark.data(),
      },
      counters: { fullSyncs: this.fullSyncs, partialSyncs: this.partialSyncs, rebalances: this.rebalances, newConnections: this.newConnections },
      markTarget: this.markTarget,
      rebalancedCount: this.rebalancedCount,
      allRebalancedAt: this.allRebalancedAt,
    };
  }

  // --- called by agents -------------------------------------------------------------

  /** One sync RPC through the agent's server manager (the RPC path: failures rotate the front server). */
  sync(agent: SimAgent, kind: number, signal: AbortSignal): Promise<void> {
    const i = agent.id;
    const now = this.clock.now();
    const cover = this.pendingChangeAt[i] as number;
    this.pendingChangeAt[i] = NaN;
    if (kind === FULL) {
      const last = this.lastFullStart[i] as number;
      // Gaps are counted when they end after the warm-up: counting by start time would
      // favour short gaps (long ones are less likely to end before the run does).
      if (!Number.isNaN(last) && now >= this.warmupMs) this.fullSyncGaps.add(now - last);
      this.lastFullStart[i] = now;
      if (this.fullSinceMark[i] === 0 && !Number.isNaN(this.fullMarkAt)) {
        this.fullSinceMark[i] = 1;
        this.firstFullAfterMark.add(now - this.fullMarkAt);
      }
    }
    let target = -1;
    return agent.manager
      .call((server: Server) => {
        target = this.network.serverIndex(server);
        this.observeFront(agent);
        return this.network.rpc(i, target, signal);
      })
      .then(
        () => {
          const t = this.clock.now();
          if (kind === FULL) {
            this.fullSyncs++;
            this.recorder.count('fullSyncsPerSec', target, t);
          } else {
            this.partialSyncs++;
            this.recorder.count('partialSyncsPerSec', target, t);
          }
          if (!Number.isNaN(cover)) {
            const lag = t - cover;
            if (cover >= this.warmupMs) this.syncLag.add(lag);
            this.recorder.lag(target, t, lag);
          }
        },
        (err: unknown) => {
          // Not covered after all: the change stays pending from its original time.
          if (!Number.isNaN(cover)) {
            const pending = this.pendingChangeAt[i] as number;
            this.pendingChangeAt[i] = Number.isNaN(pending) || cover < pending ? cover : pending;
          }
          this.observeFront(agent);
          throw err;
        },
      );
  }

  onRebalanced(agent: SimAgent): void {
    const i = agent.id;
    const now = this.clock.now();
    this.rebalances++;
    const last = this.lastRebalance[i] as number;
    if (!Number.isNaN(last) && now >= this.warmupMs) this.rebalanceGaps.add(now - last);
    this.lastRebalance[i] = now;
    if (!Number.isNaN(this.markAt) && this.rebalancedSinceMark[i] === 0 && i >= this.markFrom && i < this.markTo) {
      this.rebalancedSinceMark[i] = 1;
      if (++this.rebalancedCount === this.markTarget) this.allRebalancedAt = now;
    }
    this.observeFront(agent);
    const front = this.front[i] as number;
    this.recorder.count('rebalancesPerSec', front, now);
  }

  /** Compares the agent's front server with the last one seen; a change is a new connection. */
  observeFront(agent: SimAgent): void {
    const i = agent.id;
    const server = agent.manager.findServer();
    const s = server === undefined ? -1 : this.network.serverIndex(server);
    const prev = this.front[i] as number;
    if (s === prev) return;
    const now = this.clock.now();
    if (prev >= 0) {
      this.agentsOn[prev]!--;
      // Connections made at join time (t = 0, before the agent ran) are not counted.
      const started = this.since[i] as number;
      if (started > 0 && now >= this.warmupMs) this.connLifetimes.add(now - started);
    }
    this.front[i] = s;
    if (s >= 0) {
      this.agentsOn[s]!++;
      this.since[i] = now;
      this.newConnections++;
      this.recorder.count('newConnsPerSec', s, now);
    }
  }

  /** Sum of the ages of live connections, per server, in whole µs (exact when shards are added up). */
  connectionAgeSumsUs(): Float64Array {
    const sums = new Float64Array(this.agentsOn.length);
    const now = this.clock.now();
    const front = this.front;
    const since = this.since;
    for (let i = 0; i < front.length; i++) {
      const s = front[i] as number;
      if (s >= 0) sums[s]! += toUs(now - (since[i] as number));
    }
    return sums;
  }
}
