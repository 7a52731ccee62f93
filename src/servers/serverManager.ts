// The list of servers an agent sends its RPCs to (Consul's agent/router Manager,
// Nomad's rpc_proxy): O(1) choice of the front server, failed servers rotated to
// the back, and a periodic shuffle — driven by machines/rebalancer.machine.ts —
// that spreads a fleet's connections over every server at a bounded rate.
import type { Actor } from 'xstate';
import { createHostedActor } from '../shared/actorHost.js';
import { deadline } from '../shared/deadline.js';
import { rebalancerMachine } from '../../machines/rebalancer.machine.js';
import { ClusterSizeReader } from '../shared/clusterSize.js';
import { clockNow, MAX_TIMER_MS, systemClock, type Clock } from '../shared/clock.js';
import { TypedEmitter } from '../shared/emitter.js';
import { NoServersError, StoppedError, TimeoutError } from '../shared/errors.js';
import { componentLogger, RateLimit, type Logger } from '../shared/logger.js';
import { MembershipQueue } from './membershipQueue.js';
import { describeValue, fn, optionalPositiveNumber, checkClock } from '../shared/options.js';
import { ServerList } from './serverList.js';
import type { MembershipEvent, Server, Pinger } from './types.js';
import { randomStagger, rateScaledInterval } from '../shared/stagger.js';

/**
 * Shortest time an agent keeps sending to the same server before a rebalance
 * may move it elsewhere, ms. Long enough to reuse a connection across many RPCs,
 * short enough that a server added to a cluster gets its share within minutes.
 * Defaults to 120 s (Consul's `clientRPCMinReuseDuration`).
 */
export const MIN_REUSE_DURATION_MS = 120_000;

/**
 * The reuse period is stretched by a random `[0, minReuseDuration / fraction)`
 * so a fleet started together does not rebalance together: with 2, each agent
 * keeps its server 120–180 s (150 s on average). 10,000 agents over 5 servers
 * then open 10,000 / 150 s / 5 ≈ 13 new connections per server per second.
 */
export const JITTER_FRACTION = 2;

/**
 * Cap on the new connections per second that rebalancing may send to each
 * server, fleet-wide: every agent waits at least `nodes / (servers × 64)` s
 * between rebalances. A lower cap means less load in equilibrium but a slower
 * recovery after a partition. It takes over from the reuse period above
 * ~48,000 agents on 5 servers (48,000 / 320 = 150 s). At 100,000 agents and
 * 5 servers a full rebalance takes 100,000 / 320 ≈ 313 s (~5 min); if 99,995
 * of them see only one server it takes 100,000 / 64 ≈ 1,563 s (~26 min) —
 * ~2.6 min for 10,000 agents.
 */
export const CONNS_PER_SEC_PER_SERVER = 64;

/** Longest a rebalance waits for one ping, ms. Defaults to 10 s. */
export const PING_TIMEOUT_MS = 10_000;

/** How often a server filtered for its API version is reported, ms: Nomad's 3 hours. */
export const API_MISMATCH_LOG_INTERVAL_MS = 3 * 60 * 60 * 1000;

/** How often an empty list is reported from the RPC path, ms. */
export const NO_SERVERS_LOG_INTERVAL_MS = 60_000;

export { MAX_TIMER_MS };

export interface ServerManagerOptions {
  /** Health check used by rebalances. Required. */
  pinger: Pinger;
  /** Live cluster size (e.g. gossip member count). When absent, heartbeats/`setNumNodes` supply it. */
  clusterSize?: () => number;
  /** pino logger; the manager logs through `logger.child({ component: 'serverManager' })`. */
  logger?: Logger;
  /** Timers and time. Defaults to the system clock. */
  clock?: Clock;
  /** Source of `[0, 1)` numbers for shuffles and jitter. Defaults to `Math.random`. */
  random?: () => number;
  /** ms before the first rebalance and the floor between rebalances. Defaults to 120 000 (120 s). */
  minReuseDuration?: number;
  /** The reuse period is stretched by random `[0, minReuseDuration / jitterFraction)`. Defaults to 2. */
  jitterFraction?: number;
  /** Fleet-wide cap of rebalance connections per second per server. Defaults to 64. */
  connsPerSecPerServer?: number;
  /** ms one ping may take before it counts as failed. Defaults to 10 000 (10 s). */
  pingTimeout?: number;
  /** Heartbeat servers whose `version` is above this are ignored. Defaults to none (no filter). */
  apiVersion?: number;
}

/** Payload of `'rebalanced'`: the server now at the front. `frozen` when the chosen one left during the pings. */
export interface RebalancedEvent {
  server: Server;
  frozen: boolean;
}

export type ServerManagerEvents = {
  /** A server name entered the list. */
  serverUp: Server;
  /** A server name left the list. */
  serverRemoved: Server;
  /** A rebalance found no healthy server. */
  offline: undefined;
  /** The manager was offline and now has a server to use. */
  online: undefined;
  rebalanced: RebalancedEvent;
};

/** Nomad's heartbeat response: the servers the cluster wants this agent to use. */
export interface Heartbeat {
  servers: readonly Server[];
  /** Cluster size as the servers count it. */
  numNodes: number;
  leaderAddress?: string;
}


/** Checks one server; throws TypeError naming `what` and the value. */
function checkServer(what: string, server: unknown): asserts server is Server {
  if (typeof server !== 'object' || server === null)
    throw new TypeError(`${what} must be a server object, received ${describeValue(server)}`);
  const s = server as Partial<Server>;
  if (typeof s.name !== 'string' || s.name.length === 0)
    throw new TypeError(`${what}.name must be a non-empty string, received ${describeValue(s.name)}`);
  if (typeof s.address !== 'string')
    throw new TypeError(`${what}.address must be a string, received ${describeValue(s.address)}`);
  if (s.version !== undefined && (typeof s.version !== 'number' || !Number.isFinite(s.version)))
    throw new TypeError(`${what}.version must be a finite number, received ${describeValue(s.version)}`);
}

/** Checks an array of servers with unique names; returns it as a list. */
function checkServers(what: string, servers: unknown): ServerList {
  if (!Array.isArray(servers)) throw new TypeError(`${what} must be an array of servers, received ${describeValue(servers)}`);
  const seen = new Set<string>();
  servers.forEach((s, i) => {
    checkServer(`${what}[${i}]`, s);
    if (seen.has(s.name)) throw new TypeError(`${what} holds the server name ${JSON.stringify(s.name)} twice`);
    seen.add(s.name);
  });
  return ServerList.of(servers as Server[]);
}

function noop(): void {}

export class ServerManager extends TypedEmitter<ServerManagerEvents> {
  private readonly pinger: Pinger;
  private readonly clusterSize: ClusterSizeReader | undefined;
  private readonly baseLogger: Logger | undefined;
  private childLogger: Logger | undefined;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly minReuseMs: number;
  private readonly jitterFraction: number;
  private readonly connsPerSecPerServer: number;
  private readonly pingTimeoutMs: number;
  private readonly apiVersion: number | undefined;

  /** The live list: primaries and backups, front first. Replaced, never mutated. */
  private list: ServerList = ServerList.EMPTY;
  private backups: ServerList = ServerList.EMPTY;
  private offline = true;
  private reportedNodes = 0;
  private leader: string | undefined;
  private inflight: Promise<void> | undefined;
  private rebalancer: Actor<typeof rebalancerMachine> | undefined;
  /** Aborted by stop(): in-flight pings and calls see it. Created on first need. */
  private lifetime: AbortController | undefined;
  private stopping: Promise<void> | undefined;
  private requestedBeforeStart = false;
  private queue: MembershipQueue<MembershipEvent> | undefined;
  private noServersLog: RateLimit | undefined;
  private versionLog: Map<string, number> | undefined;

  constructor(options: ServerManagerOptions) {
    super();
    if (typeof options !== 'object' || options === null)
      throw new TypeError(`options must be an object, received ${describeValue(options)}`);
    const pinger = options.pinger as Partial<Pinger> | undefined;
    if (typeof pinger !== 'object' || pinger === null || typeof pinger.ping !== 'function')
      throw new TypeError(`pinger must be an object with a ping(server, signal) method, received ${describeValue(pinger)}`);
    this.pinger = pinger as Pinger;
    this.clusterSize =
      options.clusterSize === undefined
        ? undefined
        : new ClusterSizeReader(fn<() => number>('clusterSize', options.clusterSize), (details) =>
            this.log.warn(details, 'clusterSize() gave no usable size; counting 1 node (logged once)'),
          );
    this.clock = options.clock === undefined ? systemClock : checkClock('clock', options.clock);
    this.random = fn<() => number>('random', options.random, Math.random);
    this.minReuseMs = optionalPositiveNumber('minReuseDuration', options.minReuseDuration, MIN_REUSE_DURATION_MS);
    if (this.minReuseMs > MAX_TIMER_MS)
      throw new RangeError(`minReuseDuration must be at most ${MAX_TIMER_MS} ms, received ${this.minReuseMs}`);
    this.jitterFraction = optionalPositiveNumber('jitterFraction', options.jitterFraction, JITTER_FRACTION);
    this.connsPerSecPerServer = optionalPositiveNumber('connsPerSecPerServer', options.connsPerSecPerServer, CONNS_PER_SEC_PER_SERVER);
    this.pingTimeoutMs = optionalPositiveNumber('pingTimeout', options.pingTimeout, PING_TIMEOUT_MS);
    if (this.pingTimeoutMs > MAX_TIMER_MS)
      throw new RangeError(`pingTimeout must be at most ${MAX_TIMER_MS} ms, received ${this.pingTimeoutMs}`);
    if (options.apiVersion !== undefined && (typeof options.apiVersion !== 'number' || !Number.isFinite(options.apiVersion)))
      throw new RangeError(`apiVersion must be a finite number, received ${describeValue(options.apiVersion)}`);
    this.apiVersion = options.apiVersion;
    this.baseLogger = options.logger;
  }
  /**
   * The component logger, built on first use: a fleet of managers that never log
   * must not each hold a pino child (~1 KB); without a logger they share a silent one.
   */
  private get log(): Logger {
    if (this.childLogger) return this.childLogger;
    this.childLogger = componentLogger(this.baseLogger, 'serverManager');
    return this.childLogger;
  }

  protected override listenerFailed(event: keyof ServerManagerEvents, err: unknown): void {
    this.log.error({ err, event }, 'server manager listener threw');
  }


  // --- the RPC path ----------------------------------------------------------

  /** The server to send the next RPC to: the front of the list. O(1), allocates nothing. */
  findServer(): Server | undefined {
    const server = this.list.front();
    if (server === undefined) {
      // Rare path: rate-limited so a tight retry loop cannot flood the log.
      if ((this.noServersLog ??= new RateLimit(NO_SERVERS_LOG_INTERVAL_MS)).allow(clockNow(this.clock)))
        this.log.warn('no servers available');
    }
    return server;
  }

  /**
   * Reports that an RPC to `server` failed. When it is the front server and
   * another exists, it moves to the back; otherwise nothing changes (another
   * caller already rotated it away, or there is nowhere else to go).
   */
  notifyFailedServer(server: Server): void {
    checkServer('server', server);
    const list = this.list;
    if (list.size < 2 || (list.front() as Server).name !== server.name) return;
    this.list = list.rotate();
    this.log.debug({ server: server.name }, 'rotated failed server to the back');
  }

  /**
   * Runs `fn` against {@link findServer}'s choice. On failure the server is
   * reported with {@link notifyFailedServer} and the error is rethrown. With
   * no servers, rejects with `NoServersError`. `fn`'s signal aborts on `stop()`.
   */
  call<T>(fn: (server: Server, signal: AbortSignal) => Promise<T> | T): Promise<T> {
    if (typeof fn !== 'function')
      return Promise.reject(new TypeError(`call needs a function (server, signal) => Promise, received ${describeValue(fn)}`));
    const server = this.findServer();
    if (server === undefined) return Promise.reject(new NoServersError());
    const signal = this.lifetimeSignal();
    // An async wrapper turns a synchronous throw into a rejection; fn still runs now.
    const result = (async () => fn(server, signal))();
    return result.then(undefined, (err: unknown) => {
      this.notifyFailedServer(server);
      throw err;
    });
  }

  // --- the list ----------------------------------------------------------------

  /** Known name: details replaced in place. Unknown: appended, `'serverUp'`. Clears offline. */
  addServer(server: Server): void {
    checkServer('server', server);
    const known = this.list.has(server.name);
    this.list = this.list.upsert(server);
    const cameOnline = this.setOffline(false);
    if (!known) this.emit('serverUp', server);
    if (cameOnline) this.emit('online', undefined);
  }

  /** Removes the server with `server.name`; `'serverRemoved'`. Unknown names are a no-op. */
  removeServer(server: Server): void {
    checkServer('server', server);
    const removed = this.list.get(server.name);
    if (removed === undefined) return;
    this.list = this.list.remove(server.name);
    this.emit('serverRemoved', removed);
  }

  numServers(): number {
    return this.list.size;
  }

  /** A copy of the list, front first. */
  servers(): Server[] {
    return this.list.toArray();
  }

  /** True at construction and after a rebalance found no healthy server. */
  isOffline(): boolean {
    return this.offline;
  }

  /** The leader address from the last heartbeat, if any. */
  leaderAddress(): string | undefined {
    return this.leader;
  }

  /**
   * Cluster size for rate scaling: `clusterSize()` if given, else the last
   * heartbeat/`setNumNodes` value, else 1. Values that throw, are not finite or
   * are below 1 count as 1 (logged once).
   */
  numNodes(): number {
    if (this.clusterSize === undefined) return this.reportedNodes >= 1 ? this.reportedNodes : 1;
    return this.clusterSize.size();
  }

  /** Sets the cluster size used when no `clusterSize` option was given. Finite, ≥ 0 (below 1 counts as 1). */
  setNumNodes(n: number): void {
    this.reportedNodes = checkNodes('numNodes', n);
  }

  // --- rebalancing -------------------------------------------------------------

  /**
   * The wait before the next rebalance, ms: the reuse period with jitter, or
   * longer when the fleet would otherwise exceed `connsPerSecPerServer`. Never
   * below `minReuseDuration`, never above {@link MAX_TIMER_MS}.
   */
  rebalanceDelay(): number {
    const floorMs = this.minReuseMs + randomStagger(this.minReuseMs / this.jitterFraction, this.random);
    const ms = rateScaledInterval(this.numServers() * this.connsPerSecPerServer, floorMs, this.numNodes());
    return ms < MAX_TIMER_MS ? ms : MAX_TIMER_MS;
  }

  /**
   * Shuffles the list and pings from the front, rotating failures to the back,
   * until one answers (each server at most once). None → offline, list unchanged.
   * Otherwise the result is reconciled with the live list (see ServerList.reconcile).
   * Concurrent calls share one run. After `stop()`, resolves without pinging.
   */
  rebalanceServers(): Promise<void> {
    if (this.inflight) return this.inflight;
    const run = this.rebalanceOnce().then(noop, (err: unknown) => {
      this.log.error({ err }, 'rebalance failed');
    });
    this.inflight = run;
    void run.finally(() => {
      if (this.inflight === run) this.inflight = undefined;
    });
    return run;
  }

  private async rebalanceOnce(): Promise<void> {
    const signal = this.lifetimeSignal();
    if (signal.aborted) return;
    let candidate = this.rebalanceOrder();
    let healthy = false;
    for (let i = candidate.size; i > 0; i--) {
      const server = candidate.front() as Server;
      const ok = await this.ping(server, signal);
      if (signal.aborted) return; // stopped mid-rebalance: change nothing
      if (ok) {
        healthy = true;
        break;
      }
      candidate = candidate.rotate();
    }
    if (!healthy) {
      this.log.debug({ servers: candidate.size }, 'no healthy server during rebalance');
      if (this.setOffline(true)) this.emit('offline', undefined);
      return;
    }
    const merged = candidate.reconcile(this.list);
    // Freeze in place when the chosen server left during the pings: keep using
    // the live list as it is until the next rebalance rather than guess.
    if (merged !== undefined) this.list = merged;
    const front = this.list.front();
    if (front === undefined) {
      // Every server left during the pings: there is nothing to be online with.
      if (this.setOffline(true)) this.emit('offline', undefined);
      return;
    }
    const cameOnline = this.setOffline(false);
    this.log.debug({ server: front.name, servers: this.list.size, frozen: merged === undefined }, 'rebalanced servers');
    if (cameOnline) this.emit('online', undefined);
    this.emit('rebalanced', { server: front, frozen: merged === undefined });
  }

  /** Primaries shuffled, then backups shuffled: a backup leads only once every primary failed. */
  private rebalanceOrder(): ServerList {
    const live = this.list;
    const backups = this.backups;
    if (backups.size === 0) return live.shuffled(this.random);
    const primaries = live.filter((s) => !backups.has(s.name)).shuffled(this.random);
    const standby = live.filter((s) => backups.has(s.name)).shuffled(this.random);
    return primaries.concat(standby);
  }

  /** One ping, bounded by `pingTimeout` on the clock and by stop(); never rejects. */
  private async ping(server: Server, stop: AbortSignal): Promise<boolean> {
    const timeoutMs = this.pingTimeoutMs;
    const limit = deadline(this.clock, timeoutMs, () => new TimeoutError(`ping of ${server.name} timed out after ${timeoutMs} ms`), stop);
    try {
      const answer = (async () => this.pinger.ping(server, limit.signal))();
      // A pinger that ignores its signal cannot hold the rebalance past the timeout.
      const ok = await Promise.race([answer, limit.abandoned]);
      if (ok !== true) this.log.debug({ server: server.name, reason: limit.signal.reason }, 'ping failed');
      return ok === true;
    } catch (err) {
      this.log.debug({ server: server.name, err }, 'ping failed');
      return false;
    } finally {
      limit.dispose();
    }
  }

  /** Starts the rebalance loop: first rebalance after `minReuseDuration`, then every `rebalanceDelay()`. */
  start(): this {
    if (this.stopping) throw new StoppedError('this server manager was stopped; create a new one');
    if (this.rebalancer) return this;
    this.rebalancer = createHostedActor(rebalancerMachine, {
      clock: this.clock,
      input: {
        firstDelayMs: this.minReuseMs,
        nextDelayMs: () => this.rebalanceDelay(),
        run: () => this.rebalanceServers(),
        requested: this.requestedBeforeStart,
      },
    });
    this.rebalancer.start();
    return this;
  }

  /** The rebalance loop's actor (for inspection); undefined before `start()`. */
  get actor(): Actor<typeof rebalancerMachine> | undefined {
    return this.rebalancer;
  }

  /** Asks for a rebalance soon: at once when idle, right after the current one when busy. Coalesced. */
  requestRebalance(): void {
    if (this.stopping) return;
    if (this.rebalancer) this.rebalancer.send({ type: 'REBALANCE_REQUESTED' });
    else this.requestedBeforeStart = true;
  }

  /**
   * Stops the loop and aborts an in-flight ping. Resolves once the in-flight
   * rebalance has settled. Safe before `start()` and when repeated.
   */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    (this.lifetime ??= new AbortController()).abort(new StoppedError('server manager stopped'));
    this.rebalancer?.send({ type: 'STOP' });
    this.stopping = this.inflight ? this.inflight.then(noop, noop) : Promise.resolve();
    return this.stopping;
  }

  // --- Nomad-style inputs --------------------------------------------------------

  /**
   * Replaces the primary servers. When the set of names is unchanged, keeps the
   * order (a failed server rotated to the back is not shuffled forward again —
   * Nomad #4997), refreshes details in place and returns false. Otherwise the
   * list becomes a shuffled copy (backups stay behind it), `'serverUp'` and
   * `'serverRemoved'` are emitted for names that appeared and disappeared,
   * offline is cleared when the new list is non-empty, and returns true.
   */
  setServers(servers: readonly Server[]): boolean {
    const incoming = checkServers('servers', servers);
    const before = this.list;
    if (this.primaries().sameNames(incoming)) {
      let list = before;
      for (const s of incoming.toArray()) if (list.get(s.name) !== s) list = list.upsert(s);
      this.list = list;
      return false;
    }
    const backups = this.backups;
    const standby = before.filter((s) => backups.has(s.name) && !incoming.has(s.name));
    this.list = incoming.shuffled(this.random).concat(standby);
    const cameOnline = incoming.size > 0 && this.setOffline(false);
    this.emitDiff(before, this.list);
    if (cameOnline) this.emit('online', undefined);
    return true;
  }

  /**
   * Fallback servers (e.g. from a DNS name or a catalog), kept behind the
   * primaries: chosen only when no primary is known or every primary failed.
   * Replaces the previous backups. A name that is both is treated as a backup.
   */
  setBackupServers(servers: readonly Server[]): void {
    const incoming = checkServers('servers', servers);
    const before = this.list;
    const old = this.backups;
    let list = before.filter((s) => !old.has(s.name) || incoming.has(s.name));
    for (const s of incoming.toArray()) {
      if (!list.has(s.name)) list = list.upsert(s);
      else if (old.has(s.name)) list = list.upsert(s);
    }
    this.backups = incoming;
    this.list = list;
    this.emitDiff(before, list);
  }

  /**
   * Merges a heartbeat as Nomad's `UpdateFromNodeUpdateResponse` does: servers
   * newer than `apiVersion` are dropped (warned at most once per server per 3 h);
   * primaries missing from the heartbeat are removed; new ones are appended
   * (they see use after a failure or the next rebalance); known ones get the new
   * details in place. Also records `numNodes` and `leaderAddress`.
   */
  updateFromHeartbeat(heartbeat: Heartbeat): void {
    if (typeof heartbeat !== 'object' || heartbeat === null)
      throw new TypeError(`heartbeat must be an object, received ${describeValue(heartbeat)}`);
    const incoming = checkServers('heartbeat.servers', heartbeat.servers);
    const nodes = checkNodes('heartbeat.numNodes', heartbeat.numNodes);
    if (heartbeat.leaderAddress !== undefined && typeof heartbeat.leaderAddress !== 'string')
      throw new TypeError(`heartbeat.leaderAddress must be a string, received ${describeValue(heartbeat.leaderAddress)}`);

    const accepted = this.apiVersion === undefined ? incoming : incoming.filter((s) => this.acceptsVersion(s));
    const before = this.list;
    let list = before;
    for (const s of this.primaries().toArray()) if (!accepted.has(s.name)) list = list.remove(s.name);
    let added = false;
    for (const s of accepted.toArray()) {
      const current = list.get(s.name);
      if (current === s) continue;
      if (current === undefined) added = true;
      list = list.upsert(s);
    }
    this.list = list;
    this.reportedNodes = nodes;
    this.leader = heartbeat.leaderAddress;
    const cameOnline = added && this.setOffline(false);
    this.emitDiff(before, list);
    if (cameOnline) this.emit('online', undefined);
  }

  /** Queues a join/leave/update; applied asynchronously, in order. Warns once per crossing of 200 waiting. */
  applyMembershipEvent(event: MembershipEvent): void {
    if (typeof event !== 'object' || event === null)
      throw new TypeError(`membership event must be an object, received ${describeValue(event)}`);
    if (event.type !== 'join' && event.type !== 'leave' && event.type !== 'update')
      throw new TypeError(`membership event type must be 'join', 'leave' or 'update', received ${describeValue(event.type)}`);
    checkServer('event.server', event.server);
    (this.queue ??= new MembershipQueue<MembershipEvent>({
      apply: (e) => (e.type === 'leave' ? this.removeServer(e.server) : this.addServer(e.server)),
      onBacklog: (size) => this.log.warn({ backlog: size }, 'membership events are backing up'),
      onError: (err, e) => this.log.error({ err, event: e.type, server: e.server.name }, 'membership event failed'),
    })).push(event);
  }

  /** Membership events waiting to be applied. */
  membershipBacklog(): number {
    return this.queue?.size ?? 0;
  }

  // --- internals -------------------------------------------------------------------

  /** The live list without the backup-only servers. */
  private primaries(): ServerList {
    const backups = this.backups;
    return backups.size === 0 ? this.list : this.list.filter((s) => !backups.has(s.name));
  }

  private acceptsVersion(server: Server): boolean {
    if (server.version === undefined || server.version <= (this.apiVersion as number)) return true;
    const now = clockNow(this.clock);
    const log = (this.versionLog ??= new Map());
    const next = log.get(server.name);
    if (next === undefined || now >= next) {
      log.set(server.name, now + API_MISMATCH_LOG_INTERVAL_MS);
      this.log.warn(
        { server: server.name, serverVersion: server.version, apiVersion: this.apiVersion },
        'ignoring server with a newer API version',
      );
    }
    return false;
  }

  /** Sets offline; true when this changed it. */
  private setOffline(offline: boolean): boolean {
    if (this.offline === offline) return false;
    this.offline = offline;
    return true;
  }

  private emitDiff(before: ServerList, after: ServerList): void {
    if (before === after) return;
    for (const s of after.toArray()) if (!before.has(s.name)) this.emit('serverUp', s);
    for (const s of before.toArray()) if (!after.has(s.name)) this.emit('serverRemoved', s);
  }

  private lifetimeSignal(): AbortSignal {
    return (this.lifetime ??= new AbortController()).signal;
  }
}

function checkNodes(what: string, n: unknown): number {
  if (typeof n !== 'number') throw new TypeError(`${what} must be a number, received ${describeValue(n)}`);
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`${what} must be a finite number ≥ 0, received ${describeValue(n)}`);
  return n;
}
