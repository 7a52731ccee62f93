// The list of servers an agent sends its RPCs to (Consul's agent/router Manager,
// Nomad's rpc_proxy), as the public face over the parts in this folder: O(1) choice of
// a healthy server, per-server health, a periodic shuffle driven by
// machines/rebalancer.machine.ts that spreads a fleet over every healthy server at a
// bounded rate, autopilot-style cleanup of dead servers, and optional discovery.
import type { rebalancerMachine } from '../../machines/rebalancer.machine.js';
import { actorView, type ActorView } from '../shared/actorHost.js';
import { TypedEmitter } from '../shared/emitter.js';
import { StoppedError } from '../shared/errors.js';
import { describeValue } from '../shared/options.js';
import { callServer, reportFailure } from './callPath.js';
import { ManagerCore } from './core.js';
import { checkMembershipEvent, ServerInputs } from './inputs.js';
import { MembershipQueue } from './membershipQueue.js';
import { resolveOptions, type ServerManagerOptions } from './options.js';
import type { CallOptions, Heartbeat, MembershipEvent, Server, ServerHealth, ServerManagerEvents } from './types.js';
import { checkNodes, checkServer } from './validate.js';
import { managerTelemetry, type ManagerTelemetry } from '../telemetry/serverManager.js';

export {
  API_MISMATCH_LOG_INTERVAL_MS,
  CONNS_PER_SEC_PER_SERVER,
  DEAD_SERVER_TIMEOUT_MS,
  DISCOVER_INTERVAL_MS,
  DISCOVER_TIMEOUT_MS,
  FAILURE_THRESHOLD,
  JITTER_FRACTION,
  MAX_TIMER_MS,
  MIN_REUSE_DURATION_MS,
  NO_SERVERS_LOG_INTERVAL_MS,
  PING_TIMEOUT_MS,
  type ServerManagerOptions,
} from './options.js';
export type {
  CallOptions,
  HealthChangedEvent,
  HealthState,
  Heartbeat,
  RebalancedEvent,
  RemovalReason,
  ServerHealth,
  ServerManagerEvents,
  ServerRemovedEvent,
} from './types.js';

export class ServerManager extends TypedEmitter<ServerManagerEvents> {
  readonly #core: ManagerCore;
  readonly #inputs: ServerInputs;
  // The loop's actor is made once, at start(): one view serves from then on.
  #view: ActorView<typeof rebalancerMachine> | undefined;
  // Metrics and spans (docs/observability.md).
  readonly #telemetry: ManagerTelemetry;
  #queue: MembershipQueue<MembershipEvent> | undefined;

  constructor(options: ServerManagerOptions) {
    super();
    const settings = resolveOptions(options);
    const telemetry = (this.#telemetry = managerTelemetry(options));
    this.#core = new ManagerCore(
      settings,
      (event, payload) => {
        telemetry.event(event, payload);
        this.emit(event, payload);
      },
      options.logger,
    );
    this.#core.telemetry = telemetry;
    this.#inputs = new ServerInputs(this.#core);
  }

  protected override listenerFailed(event: keyof ServerManagerEvents, err: unknown): void {
    this.#core.log.error({ err, event }, 'server manager listener threw');
  }

  // --- the RPC path ----------------------------------------------------------

  /**
   * The server to send the next RPC to: the first healthy server (primaries before
   * backups, in list order), else the first suspect, else the first failed one; never a
   * draining one. O(1), allocates nothing. An empty list is warned about once a minute.
   */
  findServer(): Server | undefined {
    const entry = this.#core.roster.chosen;
    if (entry === undefined) this.#core.noServers();
    return entry?.server;
  }

  /**
   * Reports that an RPC to `server` failed: one more consecutive failure for it (see
   * `failureThreshold`), and when it is the server {@link findServer} chooses and
   * another exists, it moves to the back of its group. Unknown names are ignored.
   */
  notifyFailedServer(server: Server): void {
    checkServer('server', server);
    const entry = this.#core.roster.find(server.name);
    if (entry !== undefined) reportFailure(this.#core.roster, entry);
  }

  /**
   * Runs `fn` against {@link findServer}'s choice. A success counts for the server; a
   * failure is reported with {@link notifyFailedServer} and rethrown — unless the call
   * was cut short by `stop()` or by `options.signal`, which say nothing about the
   * server. `fn`'s signal aborts on either, and the call then rejects at once even if
   * `fn` ignores it. Rejects with `NoServersError` when no server is known, with
   * `StoppedError` after `stop()` (without calling `fn`).
   */
  call<T>(fn: (server: Server, signal: AbortSignal) => Promise<T> | T, options?: CallOptions): Promise<T> {
    if (typeof fn !== 'function')
      return Promise.reject(new TypeError(`call needs a function (server, signal) => Promise, received ${describeValue(fn)}`));
    if (options !== undefined && (typeof options !== 'object' || options === null))
      return Promise.reject(new TypeError(`call options must be an object, received ${describeValue(options)}`));
    const signal: unknown = options?.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal))
      return Promise.reject(new TypeError(`call options.signal must be an AbortSignal, received ${describeValue(signal)}`));
    const core = this.#core;
    if (core.stopped) return Promise.reject(new StoppedError('server manager stopped: call() refused'));
    const verdict = { cancelled: () => core.stopped || options?.signal?.aborted === true };
    return this.#telemetry.call(fn, verdict, (traced) => callServer(core, traced, options));
  }

  // --- the list ----------------------------------------------------------------

  /**
   * Adds a primary server. Known name: details replaced in place. A backup of that name
   * becomes a primary. Unknown: appended to the primaries, `'serverUp'`. A version above
   * `apiVersion` is ignored (and a listed server of that name removed). Clears offline.
   */
  addServer(server: Server): void {
    this.#inputs.addServer(server);
  }

  /** Removes the server with `server.name`; `'serverRemoved'` (reason `removed`). Unknown names are a no-op. */
  removeServer(server: Server): void {
    checkServer('server', server);
    this.#core.roster.remove(server.name, 'removed');
  }

  /**
   * Drains the server with `server.name`: never chosen again, moved to the back of its
   * group at once (so the next call goes elsewhere), removed when it leaves. A later
   * `join` re-admits it. Returns false for an unknown name.
   */
  drain(server: Server): boolean {
    checkServer('server', server);
    return this.#core.roster.drain(server.name, 'drain');
  }

  numServers(): number {
    return this.#core.roster.size;
  }

  /**
   * Servers the fleet-wide rate caps divide by: with health on, the reachable ones
   * (healthy or suspect); with it off, every listed server not draining. May be 0.
   */
  reachableServers(): number {
    return this.#core.servers();
  }

  /** A copy of the list: primaries then backups, each in order. */
  servers(): Server[] {
    return this.#core.roster.servers();
  }

  /** Each listed server's health, in list order (Consul's autopilot health, client side). */
  health(): ServerHealth[] {
    return this.#core.roster.snapshot();
  }

  /** True at construction and after a rebalance found no healthy server; false once a server is added or answers. */
  isOffline(): boolean {
    return this.#core.roster.offline;
  }

  /** The leader address from the last heartbeat, if any. */
  leaderAddress(): string | undefined {
    return this.#core.leader;
  }

  /**
   * Cluster size for rate scaling: `clusterSize()` if given, else the last
   * heartbeat/`setNumNodes` value, else 1. Values that throw, are not finite or
   * are below 1 count as 1 (logged once).
   */
  numNodes(): number {
    return this.#core.numNodes();
  }

  /** Sets the cluster size used when no `clusterSize` option was given. Finite, ≥ 0 (below 1 counts as 1). */
  setNumNodes(n: number): void {
    this.#core.reportedNodes = checkNodes('numNodes', n);
  }

  // --- rebalancing -------------------------------------------------------------

  /**
   * The wait before the next rebalance, ms: the reuse period with jitter, or longer
   * when the fleet would otherwise send more than `connsPerSecPerServer` new
   * connections per second to each reachable (healthy or suspect) server (at least 1). Never below
   * `minReuseDuration`, never above 2^31 − 1.
   */
  rebalanceDelay(): number {
    return this.#core.rebalanceDelay();
  }

  /**
   * One rebalance (docs/server-manager.md, "Rebalancing"): pings in health order until
   * a server answers, re-pings failed servers, reconciles with the live list, removes
   * dead servers. None answers → offline. Concurrent calls share one run. After
   * `stop()`, resolves without pinging.
   */
  rebalanceServers(): Promise<void> {
    return this.#core.rebalance();
  }

  /** Starts the rebalance loop (and discovery, if configured). Throws StoppedError after stop(). */
  start(): this {
    const core = this.#core;
    core.start();
    this.#telemetry.started(core);
    return this;
  }

  /** The rebalance loop's machine, read-only (snapshot, subscribe, emitted events); undefined before `start()`. */
  get actor(): ActorView<typeof rebalancerMachine> | undefined {
    const actor = this.#core.actor;
    if (!actor) return undefined;
    return (this.#view ??= actorView(actor));
  }

  /**
   * Asks for a rebalance: at once, but never sooner than `minReuseDuration /
   * jitterFraction` after the previous one started (then at that moment); during a
   * rebalance, right after it within the same rule. Any number of requests coalesce.
   * Before `start()`, the loop rebalances as soon as it starts; after `stop()`, ignored.
   */
  requestRebalance(): void {
    this.#core.requestRebalance();
  }

  /**
   * Stops the loop and discovery, aborts in-flight pings and calls. Resolves once the
   * in-flight rebalance and discovery poll have settled. Safe before `start()` and when
   * repeated.
   */
  stop(): Promise<void> {
    this.#telemetry.stopped();
    return this.#core.stop();
  }

  // --- Nomad-style inputs --------------------------------------------------------

  /**
   * Replaces the primary servers. When the set of names is unchanged, keeps the
   * order (a failed server rotated to the back is not shuffled forward again —
   * Nomad #4997), refreshes details in place and returns false. Otherwise the
   * primaries become a shuffled copy (keeping each known server's health; backups
   * stay behind them), `'serverUp'` and `'serverRemoved'` are emitted for names that
   * appeared and disappeared, offline is cleared when the list is non-empty, and
   * returns true. O(n).
   */
  setServers(servers: readonly Server[]): boolean {
    return this.#inputs.setServers(servers);
  }

  /**
   * Fallback servers (e.g. from a DNS name or a catalog), kept behind the primaries:
   * chosen only when no primary is healthy. Replaces the previous backups. A name
   * that is also a primary stays a primary.
   */
  setBackupServers(servers: readonly Server[]): void {
    this.#inputs.setBackupServers(servers);
  }

  /**
   * Merges a heartbeat as Nomad's `UpdateFromNodeUpdateResponse` does: servers
   * newer than `apiVersion` are dropped (warned at most once per server per 3 h);
   * primaries missing from the heartbeat are removed; new ones are appended to the
   * primaries; known ones get the new details in place. A malformed entry is skipped
   * (warned at most once a minute) and the rest applied. Records `numNodes` and
   * `leaderAddress`.
   */
  updateFromHeartbeat(heartbeat: Heartbeat): void {
    this.#inputs.updateFromHeartbeat(heartbeat);
  }

  /**
   * Queues a join/update/leave/failed/draining event; applied asynchronously, in order.
   * Warns once per crossing of 200 waiting.
   */
  applyMembershipEvent(event: MembershipEvent): void {
    const checked = checkMembershipEvent(event);
    const core = this.#core;
    (this.#queue ??= new MembershipQueue<MembershipEvent>({
      apply: (e) => this.#inputs.applyMembershipEvent(e),
      onBacklog: (size) => core.log.warn({ backlog: size }, 'membership events are backing up'),
      onError: (err, e) => core.log.error({ err, event: e.type, server: e.server.name }, 'membership event failed'),
    })).push(checked);
  }

  /** Membership events waiting to be applied. */
  membershipBacklog(): number {
    return this.#queue?.size ?? 0;
  }
}
