// The event engine's fleet: every agent's two machines advanced by their transition
// functions on one event queue (SyncerEngine, RebalancerEngine), and the server
// manager's own rules around them — a ManagerCore per agent (its roster, health and
// inputs), the call path's accounting, one rebalance as rebalanceSteps' steps, the
// loop's timing rules, the agent wiring's trigger rules. Only the I/O is the engine's:
// a ping or an RPC is the network model's draw now and an event at its round trip.
// Ordering follows the actor fleet on its heap clock: events due at one instant run in
// push order, then what their promises would continue with runs, in order.
import { setMaxListeners } from 'node:events';
import { resolveOptions, type ManagerSettings } from '../../servers/options.js';
import { ManagerCore } from '../../servers/core.js';
import { ServerInputs } from '../../servers/inputs.js';
import type { LoopHandle } from '../../servers/loop.js';
import { callSucceeded, reportFailure } from '../../servers/callPath.js';
import type { ServerEntry } from '../../servers/health.js';
import {
  arrangeRebalance,
  nextPing,
  pingAnswered,
  planRebalance,
  retryAnswered,
  retryList,
  type RebalancePlan,
} from '../../servers/rebalanceSteps.js';
import type { MembershipEvent, Server, ServerManagerEvents } from '../../servers/types.js';
import { resolveSyncerOptions } from '../../syncer/options.js';
import type { StateSyncerEmitted, SyncKind } from '../../../machines/index.js';
import type { Logger } from '../../shared/logger.js';
import { asksForFullSync, resolveWiringOptions, type WiringSettings } from '../../wiring.js';
import { trustAfter } from '../../syncer/trust.js';
import { shuffleInPlace } from '../../shared/random.js';
import type { AgentTuning } from '../agent.js';
import type { FleetDriver } from '../driver.js';
import { FleetLedger, FULL, PARTIAL } from '../ledger.js';
import type { Recorder } from '../metrics.js';
import { OK, type Network } from '../network.js';
import { Stream, StreamTable } from '../streams.js';
import { EventQueue, type PoppedEvent } from './eventQueue.js';
import { DELAYED_EVENT, RebalancerEngine } from './rebalancerEngine.js';
import { EngineTimers } from './engineTimers.js';
import { observedCaller, SimRegistries } from '../catalog/registries.js';
import { callServer } from '../../servers/callPath.js';
import { managerTelemetry } from '../../telemetry/serverManager.js';
import { drainAfterMicrotasks, drainMicrotasks } from '../heapClock.js';
import { InstantGuard } from '../instantGuard.js';
import { SYNCER_DELAYED_EVENT, SyncerEngine } from './syncerEngine.js';

// Queue event kinds (the machines' delayed events use 1 and 11).
const RPC_REPLY = 20;
const PING_REPLY = 21;
const PING_TIMEOUT = 22;
/** A ping's reply after its timeout already answered it: fires (as the actor fleet's timer does) and changes nothing. */
const PING_LATE = 23;
/** Runs with entries: a timer the hosted registries set, and a catalog request's reply (EngineTimers). */
const REGISTRY_TIMER = 24;
const CATALOG_REPLY = 25;
/** Kinds from here on are the host's (workload, timeline, shared events): see {@link EngineFleet.onEvent}. */
export const HOST_EVENT_BASE = 40;

// Continuation kinds (what a settled promise would run next).
const C_RPC_DONE = 1;
const C_PING_DONE = 2;
const C_RETRY_DONE = 3;
const C_REBALANCE_DONE = 4;
const C_MEMBERSHIP_DRAIN = 5;
const C_OBSERVE = 6;

/** This engine never stops a manager nor aborts a call from outside. */
const NOT_CANCELLED = { cancelled: () => false };

/** The signal of a sync the engine never cuts short. */
const NEVER = new AbortController().signal;
// Every call in flight listens to it until it settles: many at once is expected, not a leak.
setMaxListeners(0, NEVER);

/** An RPC outcome for a call that found no server (not sent). */
const NO_SERVER = -1;

export interface EngineFleetOptions {
  agents: number;
  /** Run-wide index of local agent 0. */
  first: number;
  seed: number;
  network: Network;
  recorder: Recorder;
  logger: Logger;
  tuning: AgentTuning;
  clusterSize: number;
  warmupMs: number;
  /** Services per agent in the simulated catalog (SimConfig.entries); 0: none, a sync is one RPC. */
  entries?: number;
  /** Told of each host event (kind ≥ {@link HOST_EVENT_BASE}) the queue pops. */
  onEvent: (e: PoppedEvent) => void;
}

export class EngineFleet extends FleetLedger implements FleetDriver {
  readonly queue = new EventQueue(4096);
  readonly network: Network;
  #now = 0;
  #cursor = 0;
  readonly #agentRandom: StreamTable;
  readonly #settings: ManagerSettings;
  readonly #cores: ManagerCore[] = [];
  readonly #inputs: ServerInputs[] = [];
  readonly #syncers: SyncerEngine;
  readonly #rebalancers: RebalancerEngine;
  readonly #syncerClusterSize: number | undefined;
  readonly #onEvent: (e: PoppedEvent) => void;
  // Syncer side, per agent: started, triggers before start, the sync in flight.
  readonly #syncerStarted: Uint8Array;
  /** Per agent: a full sync it can trust (the syncer's hasTrustedFullSync, followed through trustAfter). */
  readonly #trusted: Uint8Array;
  readonly #wiring: WiringSettings;
  readonly #fullBeforeStart: Uint8Array;
  readonly #syncId: Int32Array;
  readonly #syncKind: Uint8Array;
  readonly #syncCover: Float64Array;
  readonly #syncEntry: (ServerEntry | undefined)[] = [];
  // Rebalance in flight, per agent.
  readonly #rebalanceId: Int32Array;
  readonly #plans: (RebalancePlan | undefined)[] = [];
  readonly #pinging: (ServerEntry | undefined)[] = [];
  readonly #retry: (ServerEntry[] | undefined)[] = [];
  readonly #retryResults: (boolean[] | undefined)[] = [];
  #retryLeft: Int32Array;
  /** Membership events waiting for their agent's drain (the manager's queue), by agent. */
  readonly #membership = new Map<number, MembershipEvent[]>();
  // Continuations, first in first out.
  #cAgent: number[] = [];
  #cKind: number[] = [];
  #cArg: number[] = [];
  #cHead = 0;
  readonly #popped: PoppedEvent = { time: 0, agent: 0, kind: 0, arg: 0 };
  /** Events popped (every kind), and host events among them. */
  events = 0;
  /** Runs with entries: each agent's real ServiceRegistry, and the queue's timers and replies they use. */
  readonly #registries: SimRegistries | undefined;
  readonly #timers: EngineTimers;

  constructor(options: EngineFleetOptions) {
    const n = options.agents;
    const clock = { now: () => this.#now };
    super(n, options.network.servers.length, clock, options.recorder, options.warmupMs);
    const t = options.tuning;
    if (t.syncTimeout !== undefined) throw new RangeError(`the event engine does not model syncTimeout (received ${t.syncTimeout}); run this configuration on the actor engine`);
    this.network = options.network;
    this.#onEvent = options.onEvent;
    this.#agentRandom = new StreamTable(options.seed, Stream.agent, options.first, n);
    const random = (): number => this.#agentRandom.next(this.#cursor);
    const engineClock = {
      now: () => this.#now,
      setTimeout: (): never => {
        throw new Error('the event engine sets no timers through the clock');
      },
      clearTimeout: (): void => undefined,
    };
    const size = options.clusterSize;
    // The tuning is forwarded whole, as createSyncAgent forwards its options.
    this.#settings = resolveOptions({ ...t, pinger: { ping: () => Promise.resolve(false) }, clusterSize: () => size, clock: engineClock, random });
    const syncer = resolveSyncerOptions({ ...t, state: { syncFull: () => undefined, syncChanges: () => undefined }, clusterSize: () => size, clock: engineClock, random });
    this.#syncerClusterSize = t.syncerClusterSize;
    this.#syncerStarted = new Uint8Array(n);
    this.#trusted = new Uint8Array(n);
    this.#wiring = resolveWiringOptions(t);
    this.#timers = new EngineTimers(this.queue, () => this.#now, REGISTRY_TIMER, CATALOG_REPLY);
    const entries = options.entries ?? 0;
    const timers = this.#timers;
    this.#registries =
      entries > 0
        ? new SimRegistries({
            seed: options.seed,
            first: options.first,
            count: n,
            totalAgents: size,
            entries,
            network: options.network,
            recorder: options.recorder,
            now: () => this.#now,
            transport: { after: (agent, delayMs) => timers.after(agent, delayMs) },
            tuning: t,
          })
        : undefined;
    this.catalog = this.#registries?.catalog;
    this.#fullBeforeStart = new Uint8Array(n);
    this.#syncId = new Int32Array(n);
    this.#syncKind = new Uint8Array(n);
    this.#syncCover = new Float64Array(n).fill(NaN);
    this.#rebalanceId = new Int32Array(n);
    this.#retryLeft = new Int32Array(n);
    this.#syncers = new SyncerEngine(
      { interval: syncer.interval, serverUpInterval: syncer.serverUpInterval, retryFailInterval: syncer.retryFailInterval },
      this.queue,
      {
        now: () => this.#now,
        random: (a) => this.#agentRandom.next(a),
        clusterSize: (a) => this.#syncerClusterSize ?? (this.#registries ? this.#registries.registry(a).clusterSize() : (this.#cores[a] as ManagerCore).numNodes()),
        onSync: (a, id, kind) => this.#sync(a, id, kind),
        onEmit: (a, type) => {
          this.#trusted[a] = trustAfter(this.#trusted[a] === 1, type as StateSyncerEmitted['type']) ? 1 : 0;
        },
      },
      n,
    );
    this.#rebalancers = new RebalancerEngine(
      this.#settings,
      this.queue,
      {
        now: () => this.#now,
        random: (a) => this.#agentRandom.next(a),
        servers: (a) => (this.#cores[a] as ManagerCore).servers(),
        numNodes: (a) => (this.#cores[a] as ManagerCore).numNodes(),
        onRun: (a, id) => this.#rebalance(a, id),
      },
      n,
    );
    const callTelemetry = managerTelemetry({});
    for (let i = 0; i < n; i++) {
      // Each core names its agent itself: with entries, its registry's calls settle in
      // microtasks, where no cursor says whose roster changed.
      const core = new ManagerCore(this.#settings, (event, payload) => this.#emitted(i, event, payload), options.logger);
      this.#cores.push(core);
      this.#inputs.push(new ServerInputs(core));
      // The registry's calls take the manager's own call path, inside the telemetry wrapper
      // ServerManager.call runs it in (no providers here: it counts nothing, but its promise
      // step keeps each call's continuations in the actor engine's order).
      this.#registries?.create(i, {
        servers: observedCaller(
          (fn, o) => callTelemetry.call(fn, NOT_CANCELLED, (traced) => callServer(core, traced, o)),
          () => core.servers(),
          () => this.observe(i, this.#frontOf(i)),
        ),
        clock: timers.clock,
      });
    }
  }

  now(): number {
    return this.#now;
  }

  /** The syncer machine's state of agent `i` (for tests). */
  syncerState(i: number): unknown {
    return this.#syncers.state(i);
  }

  // --- what the run does to agents (FleetDriver) -------------------------------------

  join(i: number, servers: readonly number[], shuffle?: () => number): void {
    const list = servers.slice();
    if (shuffle) shuffleInPlace(list, shuffle);
    this.#cursor = i;
    // Before the wiring, as the actor fleet adds them: these serverUps ask for nothing.
    this.#wired = false;
    for (const s of list) (this.#inputs[i] as ServerInputs).addServer(this.network.servers[s]);
    this.#wired = true;
    this.joined(i, this.#frontOf(i));
  }

  #wired = true;

  start(i: number): void {
    this.markStarted(i);
    this.#cursor = i;
    (this.#cores[i] as ManagerCore).start((requested) => new AgentLoop(this.#rebalancers, i, requested));
    this.#syncerStarted[i] = 1;
    this.#registries?.attach(i, {
      syncFull: { trigger: () => this.#syncers.trigger(i, 'syncFull') },
      syncChanges: { trigger: () => this.#syncers.trigger(i, 'syncChanges') },
    });
    this.#syncers.start(i, this.#fullBeforeStart[i] === 1);
  }

  change(i: number): void {
    if (!this.changed(i)) return;
    if (this.#registries) this.#registries.change(i);
    else this.#syncers.trigger(i, 'syncChanges');
  }

  loseSession(i: number): void {
    this.#cursor = i;
    this.#requireCatalog('loseSessions').catalog.loseSession(i);
  }

  refuseReads(server: number, refusing: boolean): void {
    this.#requireCatalog('refuseReads').catalog.refuseReads(server, refusing);
  }

  #requireCatalog(op: string): SimRegistries {
    if (this.#registries === undefined) throw new RangeError(`${op} needs a run with entries (a simulated catalog)`);
    return this.#registries;
  }

  addServer(i: number, server: number): void {
    this.#cursor = i;
    (this.#inputs[i] as ServerInputs).addServer(this.network.servers[server]);
    this.observe(i, this.#frontOf(i));
  }

  removeServer(i: number, server: number): void {
    this.#cursor = i;
    const s = this.network.servers[server] as Server;
    // ServerManager.removeServer: drained first if listed, then removed.
    (this.#cores[i] as ManagerCore).roster.remove(s.name, 'removed');
    this.observe(i, this.#frontOf(i));
  }

  membership(i: number, type: MembershipEvent['type'], server: number): void {
    let queue = this.#membership.get(i);
    if (queue === undefined) {
      queue = [];
      this.#membership.set(i, queue);
      this.#continue(i, C_MEMBERSHIP_DRAIN, 0);
    }
    queue.push({ type, server: this.network.servers[server] as Server });
    this.#continue(i, C_OBSERVE, 0);
  }

  // --- the run ------------------------------------------------------------------------

  /**
   * Runs every event due at or before `untilMs`: each instant's events in push order,
   * then the continuations they left. Calls `onProgress` about every `progressEvery` events.
   */
  async run(untilMs: number, onProgress?: () => void, progressEvery = 50_000, guard = new InstantGuard()): Promise<void> {
    const queue = this.queue;
    const e = this.#popped;
    // The hosted registries are real async code: their promises settle in microtasks, which
    // run (as on the actor engine's heap clock) before time moves on. Without them nothing awaits.
    const hosted = this.#registries !== undefined;
    let nextProgress = this.events + progressEvery;
    if (hosted) await drainMicrotasks();
    this.#drain();
    for (let t = queue.peekTime(); t <= untilMs; t = queue.peekTime()) {
      guard.round(t);
      this.#now = t;
      while (queue.peekTime() === t) {
        queue.pop(e);
        this.events++;
        guard.event();
        this.#dispatch(e);
      }
      this.#drain();
      if (hosted) {
        for (let round = 0; ; round++) {
          await drainAfterMicrotasks();
          if (this.#cHead >= this.#cAgent.length) break;
          if (round > 1_000_000) throw new Error(`the event engine's continuations did not settle at ${t} ms`);
          this.#drain();
        }
      }
      if (onProgress !== undefined && this.events >= nextProgress) {
        nextProgress = this.events + progressEvery;
        onProgress();
      }
    }
    if (untilMs > this.#now) this.#now = untilMs;
  }

  #dispatch(e: PoppedEvent): void {
    const a = e.agent;
    switch (e.kind) {
      case SYNCER_DELAYED_EVENT:
        this.#cursor = a;
        this.#syncers.fire(a, e.arg);
        return;
      case DELAYED_EVENT:
        this.#cursor = a;
        this.#rebalancers.fire(a, e.arg);
        return;
      case RPC_REPLY:
        this.#continue(a, C_RPC_DONE, e.arg);
        return;
      case PING_REPLY:
      case PING_TIMEOUT:
        this.#continue(a, e.arg >= 2 ? C_RETRY_DONE : C_PING_DONE, e.arg);
        return;
      case PING_LATE:
        return;
      case REGISTRY_TIMER:
        this.#timers.fire(e.arg);
        return;
      case CATALOG_REPLY:
        this.#timers.reply(e.arg);
        return;
      default:
        this.#onEvent(e);
    }
  }

  #continue(agent: number, kind: number, arg: number): void {
    this.#cAgent.push(agent);
    this.#cKind.push(kind);
    this.#cArg.push(arg);
  }

  #drain(): void {
    for (; this.#cHead < this.#cAgent.length; this.#cHead++) {
      const h = this.#cHead;
      const a = this.#cAgent[h] as number;
      const arg = this.#cArg[h] as number;
      this.#cursor = a;
      switch (this.#cKind[h]) {
        case C_RPC_DONE:
          this.#rpcDone(a, arg);
          break;
        case C_PING_DONE:
          this.#pingDone(a, arg === 1);
          break;
        case C_RETRY_DONE:
          this.#retryDone(a, arg);
          break;
        case C_REBALANCE_DONE:
          this.#rebalancers.done(a, this.#rebalanceId[a] as number);
          break;
        case C_MEMBERSHIP_DRAIN:
          this.#drainMembership(a);
          break;
        case C_OBSERVE:
          this.observe(a, this.#frontOf(a));
          break;
      }
    }
    this.#cAgent.length = 0;
    this.#cKind.length = 0;
    this.#cArg.length = 0;
    this.#cHead = 0;
  }

  // --- the syncer's calls (the RPC path) ------------------------------------------------

  #sync(a: number, id: number, kind: SyncKind): void {
    this.#cursor = a;
    const k = kind === 'syncFull' ? FULL : PARTIAL;
    this.#syncId[a] = id;
    this.#syncKind[a] = k;
    this.#syncCover[a] = this.syncStarted(a, k);
    if (this.#registries) {
      this.#catalogSync(a, id, k, this.#registries);
      return;
    }
    const core = this.#cores[a] as ManagerCore;
    const entry = core.roster.chosen;
    if (entry === undefined) {
      core.noServers();
      this.#syncEntry[a] = undefined;
      this.#continue(a, C_RPC_DONE, NO_SERVER);
      return;
    }
    this.#syncEntry[a] = entry;
    const target = this.network.serverIndex(entry.server);
    this.observe(a, this.#frontOf(a));
    const delay = this.network.exchange(a, target, this.network.rpcFailRate);
    this.queue.push(this.#now + delay, a, RPC_REPLY, this.network.outcome);
  }

  #rpcDone(a: number, outcome: number): void {
    const roster = (this.#cores[a] as ManagerCore).roster;
    const entry = this.#syncEntry[a];
    this.#syncEntry[a] = undefined;
    const cover = this.#syncCover[a] as number;
    const id = this.#syncId[a] as number;
    if (outcome === OK && entry !== undefined) {
      callSucceeded(roster, entry);
      this.syncSucceeded(this.#syncKind[a] as number, this.network.serverIndex(entry.server), cover);
      this.#syncers.answer(a, id, true);
      return;
    }
    if (entry !== undefined) reportFailure(roster, entry);
    this.syncFailed(a, this.#syncKind[a] as number, cover);
    this.observe(a, this.#frontOf(a));
    this.#syncers.answer(a, id, false);
  }

  /** Runs with entries: the sync is the agent's registry's own pass; its end answers the machine. */
  #catalogSync(a: number, id: number, k: number, registries: SimRegistries): void {
    const cover = this.#syncCover[a] as number;
    const registry = registries.registry(a);
    // The machine's worker hands each sync a signal; this engine never aborts one (no syncTimeout).
    const pass = k === FULL ? registry.syncFull(NEVER) : registry.syncChanges(NEVER);
    pass.then(
      () => {
        this.#cursor = a;
        this.syncSucceeded(k, this.#frontOf(a), cover);
        this.#syncers.answer(a, id, true);
      },
      () => {
        this.#cursor = a;
        this.syncFailed(a, k, cover);
        this.observe(a, this.#frontOf(a));
        this.#syncers.answer(a, id, false);
      },
    );
  }

  // --- one rebalance (rebalanceSteps, with the network model's pings) ------------------

  #rebalance(a: number, id: number): void {
    this.#cursor = a;
    this.#rebalanceId[a] = id;
    const core = this.#cores[a] as ManagerCore;
    const plan = planRebalance(core.roster, this.#settings.health, () => this.#agentRandom.next(a));
    this.#plans[a] = plan;
    if (!this.#pingNext(a, plan)) this.#continue(a, C_REBALANCE_DONE, 0);
  }

  /** Sends the plan's next ping; false when none is left (the rebalance ends offline). */
  #pingNext(a: number, plan: RebalancePlan): boolean {
    const entry = nextPing(plan);
    if (entry === undefined) {
      (this.#cores[a] as ManagerCore).roster.setOffline(true);
      this.#plans[a] = undefined;
      return false;
    }
    this.#pinging[a] = entry;
    this.#ping(a, entry, 0);
    return true;
  }

  /** One ping; its answer comes back with `code + 1` (ok) or `code` (failed). */
  #ping(a: number, entry: ServerEntry, code: number): void {
    const network = this.network;
    const delay = network.exchange(a, network.serverIndex(entry.server), network.pingFailRate);
    const ok = network.outcome === OK ? 1 : 0;
    const timeout = this.#settings.pingTimeoutMs;
    if (delay >= timeout) {
      // The deadline's timer was set first: at a tie the timeout wins, as on the heap clock.
      this.queue.push(this.#now + timeout, a, PING_TIMEOUT, code);
      this.queue.push(this.#now + delay, a, PING_LATE, 0);
    } else this.queue.push(this.#now + delay, a, PING_REPLY, code + ok);
  }

  #pingDone(a: number, ok: boolean): void {
    const plan = this.#plans[a] as RebalancePlan;
    const core = this.#cores[a] as ManagerCore;
    pingAnswered(plan, core.roster, this.#pinging[a] as ServerEntry, ok);
    this.#pinging[a] = undefined;
    if (plan.chosen === undefined) {
      if (!this.#pingNext(a, plan)) this.#rebalancers.done(a, this.#rebalanceId[a] as number);
      return;
    }
    const retry = retryList(plan, core.roster, this.#settings.health);
    if (retry.length === 0) {
      this.#arrange(a, plan);
      return;
    }
    this.#retry[a] = retry;
    this.#retryResults[a] = [];
    this.#retryLeft[a] = retry.length;
    for (let k = 0; k < retry.length; k++) this.#ping(a, retry[k] as ServerEntry, 2 + 2 * k);
  }

  #retryDone(a: number, arg: number): void {
    const k = (arg - 2) >> 1;
    (this.#retryResults[a] as boolean[])[k] = (arg & 1) === 1;
    if (--this.#retryLeft[a]! > 0) return;
    const core = this.#cores[a] as ManagerCore;
    retryAnswered(core.roster, this.#retry[a] as ServerEntry[], this.#retryResults[a] as boolean[]);
    this.#retry[a] = undefined;
    this.#retryResults[a] = undefined;
    this.#arrange(a, this.#plans[a] as RebalancePlan);
  }

  #arrange(a: number, plan: RebalancePlan): void {
    const core = this.#cores[a] as ManagerCore;
    this.#plans[a] = undefined;
    const outcome = arrangeRebalance(plan, core.roster, this.#settings);
    if (outcome.front !== undefined) this.#emitted(a, 'rebalanced', { server: outcome.front, frozen: outcome.frozen });
    this.#rebalancers.done(a, this.#rebalanceId[a] as number);
  }

  // --- the manager's events: the agent's wiring, and what the ledger watches ------------

  #emitted<K extends keyof ServerManagerEvents>(a: number, event: K, payload: ServerManagerEvents[K]): void {
    if (this.#wired && asksForFullSync(event, payload, { trusted: this.#trusted[a] === 1, fullSyncOnServerUp: this.#wiring.fullSyncOnServerUp })) {
      if (this.#syncerStarted[a] === 1) this.#syncers.trigger(a, 'syncFull');
      else this.#fullBeforeStart[a] = 1;
    }
    if (event === 'serverUp' || event === 'online') {
      if (this.#wired) this.observe(a, this.#frontOf(a));
    } else if (event === 'rebalanced') this.rebalanced(a, this.#frontOf(a));
  }

  #drainMembership(a: number): void {
    const queue = this.#membership.get(a);
    this.#membership.delete(a);
    if (queue === undefined) return;
    const inputs = this.#inputs[a] as ServerInputs;
    for (const event of queue) inputs.applyMembershipEvent(event);
  }

  #frontOf(a: number): number {
    const entry = (this.#cores[a] as ManagerCore).roster.chosen;
    return entry === undefined ? -1 : this.network.serverIndex(entry.server);
  }
}

/** Agent `agent`'s handle on its rebalance loop: the rebalancer engine, for that agent. */
class AgentLoop implements LoopHandle {
  readonly actor = undefined;
  readonly delayInForceMs = Number.NaN;
  constructor(
    private readonly rebalancers: RebalancerEngine,
    private readonly agent: number,
    private readonly requested: boolean,
  ) {}
  start(): void {
    this.rebalancers.start(this.agent, this.requested);
  }
  stop(): void {}
  request(): void {
    this.rebalancers.request(this.agent);
  }
  serversChanged(): void {
    this.rebalancers.serversChanged(this.agent);
  }
  listChanged(): void {}
}
