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
import { SimAgent, clockView, constant, type AgentTuning } from './agent.js';
import { shuffleInPlace } from '../shared/random.js';
import { resolveWiringOptions, wireAgent, type WiringSettings } from '../wiring.js';
import type { HeapClock } from './heapClock.js';
import type { Recorder } from './metrics.js';
import { FleetLedger } from './ledger.js';
import type { FleetDriver } from './driver.js';
import type { Network } from './network.js';
import { observedCaller, SimRegistries } from './catalog/registries.js';
import { FULL } from './ledger.js';

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
  /** Services per agent in the simulated catalog (SimConfig.entries); 0 or absent: none, a sync is one RPC. */
  entries?: number;
  /** Run-wide agent count (what the catalog counts as nodes). Defaults to `agents`. */
  totalAgents?: number;
  /** The run's seed (the catalog's streams derive from it). Defaults to 0. */
  seed?: number;
}

export class Fleet extends FleetLedger implements FleetDriver {
  readonly agents: SimAgent[] = [];
  readonly network: Network;
  private readonly wiring: WiringSettings;
  /** Runs with entries: each agent's real ServiceRegistry against the simulated catalog. */
  private readonly registries: SimRegistries | undefined;

  constructor(private readonly options: FleetOptions) {
    super(options.agents, options.network.servers.length, options.clock, options.recorder, options.warmupMs);
    const n = options.agents;
    this.network = options.network;
    const t = options.tuning;
    this.wiring = resolveWiringOptions(t);
    const syncerClusterSize = t.syncerClusterSize !== undefined ? constant(t.syncerClusterSize) : undefined;
    const first = options.first ?? 0;
    const perClock = Math.max(1, options.agentsPerClock ?? n);
    let clock: Clock = clockView(options.clock);
    const network = options.network;
    const entries = options.entries ?? 0;
    this.registries =
      entries > 0
        ? new SimRegistries({
            seed: options.seed ?? 0,
            first,
            count: n,
            totalAgents: options.totalAgents ?? n,
            entries,
            network,
            recorder: options.recorder,
            now: () => options.clock.now(),
            transport: { after: (_agent, delayMs) => new Promise<void>((resolve) => void options.clock.setTimeout(resolve, delayMs)) },
            tuning: t,
          })
        : undefined;
    this.catalog = this.registries?.catalog;
    for (let i = 0; i < n; i++) {
      if (i % perClock === 0 && i > 0) clock = clockView(options.clock);
      const agent = new SimAgent(this, i);
      const random = options.agentRandom(first + i);
      // The tuning is forwarded whole, as createSyncAgent forwards its options: each
      // part's resolver reads the keys it knows.
      const manager = new ServerManager({ ...t, pinger: agent, logger: options.logger, clusterSize: options.clusterSize, clock, random });
      agent.manager = manager;
      // As createCatalogAgent: the registry's calls take the manager's call path, and the
      // syncer's cluster size is the catalog's count of nodes.
      const registry = this.registries?.create(i, {
        servers: observedCaller((fn, o) => manager.call(fn, o), () => manager.reachableServers(), () => this.observeFront(agent)),
        clock,
      });
      agent.syncer = new StateSyncer({
        ...t,
        state: agent,
        clusterSize: syncerClusterSize ?? (registry ? () => registry.clusterSize() : () => manager.numNodes()),
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
    this.joined(agentId, this.#frontOf(agent));
  }

  /** Starts the manager, then the syncer (Consul's server manager commit notes: the manager must be ready first). */
  start(agentId: number): void {
    const agent = this.agents[agentId] as SimAgent;
    this.markStarted(agentId);
    agent.manager.start();
    this.registries?.attach(agentId, agent.syncer);
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
    if (!this.changed(agentId)) return;
    if (this.registries) this.registries.change(agentId);
    else (this.agents[agentId] as SimAgent).syncer.syncChanges.trigger();
  }

  /** The servers drop `agentId`'s session (and its entries), and its registry hears of it. */
  loseSession(agentId: number): void {
    this.requireCatalog('loseSessions').catalog.loseSession(agentId);
  }

  /** Server `server` refuses (or serves again) every catalog read. */
  refuseReads(server: number, refusing: boolean): void {
    this.requireCatalog('refuseReads').catalog.refuseReads(server, refusing);
  }

  private requireCatalog(op: string): SimRegistries {
    if (this.registries === undefined) throw new RangeError(`${op} needs a run with entries (a simulated catalog)`);
    return this.registries;
  }

  // --- called by agents -------------------------------------------------------------

  /** One sync RPC through the agent's server manager (the RPC path: failures rotate the front server). */
  sync(agent: SimAgent, kind: number, signal: AbortSignal): Promise<void> {
    const i = agent.id;
    const cover = this.syncStarted(i, kind);
    if (this.registries) {
      // Runs with entries: the sync is the agent's registry's own pass.
      const registry = this.registries.registry(i);
      return (kind === FULL ? registry.syncFull(signal) : registry.syncChanges(signal)).then(
        () => this.syncSucceeded(kind, this.#frontOf(agent), cover),
        (err: unknown) => {
          this.syncFailed(i, kind, cover);
          this.observeFront(agent);
          throw err;
        },
      );
    }
    let target = -1;
    return agent.manager
      .call((server: Server) => {
        target = this.network.serverIndex(server);
        this.observeFront(agent);
        return this.network.rpc(i, target, signal);
      })
      .then(
        () => this.syncSucceeded(kind, target, cover),
        (err: unknown) => {
          this.syncFailed(i, kind, cover);
          this.observeFront(agent);
          throw err;
        },
      );
  }

  onRebalanced(agent: SimAgent): void {
    this.rebalanced(agent.id, this.#frontOf(agent));
  }

  /** Compares the agent's front server with the last one seen; a change is a new connection. */
  observeFront(agent: SimAgent): void {
    this.observe(agent.id, this.#frontOf(agent));
  }

  #frontOf(agent: SimAgent): number {
    const server = agent.manager.findServer();
    return server === undefined ? -1 : this.network.serverIndex(server);
  }
}
