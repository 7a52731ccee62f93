// The server manager's internals in one object: settings, the live roster, time and
// randomness checked at the boundary, the logger, the lifetime (start, stop, and the
// loud failure when `random` or `clock.now` throws), and the hooks the parts call
// (roster, rebalance loop, discovery, call path). `ServerManager` is the public face
// over it; nothing here is exported from the package.
import type { Actor } from 'xstate';
import type { rebalancerMachine } from '../../machines/rebalancer.machine.js';
import { ClusterSizeReader } from '../shared/clusterSize.js';
import type { RacingAbortController } from '../shared/abort.js';
import { clockNow } from '../shared/clock.js';
import { DeadlineSeries } from '../shared/deadline.js';
import { checkRandomValue } from '../shared/random.js';
import { StoppedError } from '../shared/errors.js';
import { componentLogger, type Logger } from '../shared/logger.js';
import { describeValue } from '../shared/options.js';
import { noop } from '../shared/waiters.js';
import { KeyedRateLimit } from '../shared/rateLimit.js';
import { lifetimeController, type CallContext } from './callPath.js';
import { Discovery, type DiscoveryHost } from './discovery.js';
import { RebalanceLoop, type LoopHandle, type LoopHost } from './loop.js';
import { serverPicture, type ServerPicture } from './inspection.js';
import { API_MISMATCH_LOG_INTERVAL_MS, NO_SERVERS_LOG_INTERVAL_MS, type ManagerSettings } from './options.js';
import { replaceBackups } from './merge.js';
import { rebalanceDelay, rebalanceOnce } from './rebalance.js';
import { Roster, type Emit, type RosterHost } from './roster.js';
import type { Server } from './types.js';
import type { ManagerTelemetry, ObservedManager } from '../telemetry/serverManager.js';
import { acceptServers } from './validate.js';

/** How often skipped malformed entries (heartbeats, discovery) are reported, ms. */
const MALFORMED_LOG_INTERVAL_MS = 60_000;
/**
 * How many servers refused for a newer API version are remembered (for their 3 h
 * warning interval). Bounded, so a sender that invents a new name per heartbeat cannot
 * grow it; past it the oldest is forgotten and may be warned about once more.
 */
const MAX_VERSION_WARNINGS = 256;

export class ManagerCore implements RosterHost, LoopHost, DiscoveryHost, CallContext, ObservedManager {
  readonly roster: Roster;
  readonly #clusterSize: ClusterSizeReader | undefined;
  #log: Logger | undefined;
  #lifetime: RacingAbortController | undefined;
  #pings: DeadlineSeries | undefined;
  loop: LoopHandle | undefined;
  #discovery: Discovery | undefined;
  #inflight: Promise<void> | undefined;
  stopping: Promise<void> | undefined;
  requestedBeforeStart = false;
  reportedNodes = 0;
  leader: string | undefined;
  #rateLogs: KeyedRateLimit | undefined;
  /** Per server name: its newer-API-version warning's rate limit (bounded). */
  #versionWarnings: KeyedRateLimit | undefined;
  /** Told when each rebalance ends (set by ServerManager). */
  telemetry: ManagerTelemetry | undefined;

  constructor(
    readonly settings: ManagerSettings,
    readonly emit: Emit,
    private readonly baseLogger: Logger | undefined,
  ) {
    this.roster = new Roster(settings.health, settings.failureThreshold, this);
    const read = settings.clusterSize;
    this.#clusterSize =
      read === undefined
        ? undefined
        : new ClusterSizeReader(read, (details) => this.log.warn(details, 'clusterSize() gave no usable size; counting 1 node (logged once)'));
    if (settings.discover !== undefined) this.#discovery = new Discovery(settings, settings.discover, this);
  }

  /**
   * The component logger, built on first use: a fleet of managers that never log must
   * not each hold a pino child (~1 KB); without a logger they share a silent one.
   */
  get log(): Logger {
    return (this.#log ??= componentLogger(this.baseLogger, 'serverManager'));
  }

  /** Aborts on stop(); created on first need. */
  get lifetime(): AbortSignal {
    return this.lifetimeController.signal;
  }

  /** The lifetime's controller: stop() aborts it and cuts off the calls it races (the call path's). */
  get lifetimeController(): RacingAbortController {
    return (this.#lifetime ??= lifetimeController());
  }

  get stopped(): boolean {
    return this.stopping !== undefined;
  }

  get actor(): Actor<typeof rebalancerMachine> | undefined {
    return this.loop?.actor;
  }

  // --- time and randomness, checked -------------------------------------------------

  /** The clock's time. A `clock.now` that throws stops the manager and throws a StoppedError. */
  now(): number {
    try {
      return clockNow(this.settings.clock);
    } catch (err) {
      throw this.fatal(err);
    }
  }

  /**
   * A `[0, 1)` number from the `random` option. A `random` that throws or gives a value
   * outside `[0, 1)` (src/shared/random.ts says why that is a broken source) stops the
   * manager and throws a StoppedError.
   */
  random(): number {
    try {
      return checkRandomValue(this.settings.random());
    } catch (err) {
      throw this.fatal(err);
    }
  }

  /**
   * `random` or `clock.now` threw: nothing the manager schedules can be trusted, so it
   * logs the error, emits `'fatal'` and stops itself. Returns the StoppedError that
   * the failed operation throws.
   */
  fatal(err: unknown): StoppedError {
    const stoppedError = new StoppedError(`server manager stopped: ${err instanceof Error ? err.message : describeValue(err)}`);
    if (!this.stopped) {
      this.log.error({ err }, 'server manager stopped: random() or clock.now() is broken');
      void this.stop();
      this.emit('fatal', err instanceof Error ? err : new Error(describeValue(err)));
    }
    return stoppedError;
  }

  // --- hooks of the parts -------------------------------------------------------------

  numNodes(): number {
    if (this.#clusterSize === undefined) return this.reportedNodes >= 1 ? this.reportedNodes : 1;
    return this.#clusterSize.size();
  }

  rebalanceDelay(): number {
    return rebalanceDelay(this.settings, this.roster.capServers, this.numNodes(), () => this.random());
  }

  servers(): number {
    return this.roster.capServers;
  }

  /** After every change of the list or a health state: re-arm the loop, start or stop discovery. */
  changed(): void {
    const loop = this.loop;
    if (loop === undefined) return; // nothing runs before start()
    loop.serversChanged();
    loop.listChanged();
    this.#discovery?.check();
  }

  picture(): ServerPicture {
    return serverPicture(this.roster);
  }

  needed(): boolean {
    return this.roster.offline || this.roster.healthy === 0;
  }

  found(result: unknown): void {
    if (!Array.isArray(result)) {
      this.log.warn({ result: describeValue(result) }, 'discover() must resolve with an array of servers; ignoring it');
      return;
    }
    const servers = this.acceptVersions(acceptServers('discovered', result, (i, reason) => this.skipped('discover()', i, reason)));
    if (servers.length === 0) {
      this.log.warn('discover() found no usable server; keeping the backup list');
      return;
    }
    this.log.info({ servers: servers.length }, 'discovered servers');
    replaceBackups(this.roster, servers, this.now());
  }

  noServers(): void {
    // Rare path, rate-limited so a tight retry loop cannot flood the log.
    if (this.#rateLimited('no servers', NO_SERVERS_LOG_INTERVAL_MS)) this.log.warn('no servers available');
  }

  /** A malformed entry of a remote input was left out: warned at most once a minute. */
  skipped(source: string, index: number, reason: string): void {
    if (this.#rateLimited('malformed', MALFORMED_LOG_INTERVAL_MS)) this.log.warn({ source, index, reason }, 'skipping a malformed server entry (logged at most once a minute)');
  }

  /** True when `server` passes the `apiVersion` filter; a refused one is warned about at most once per server per 3 h (Nomad). */
  acceptsVersion(server: Server): boolean {
    const apiVersion = this.settings.apiVersion;
    if (apiVersion === undefined || server.version === undefined || server.version <= apiVersion) return true;
    if ((this.#versionWarnings ??= new KeyedRateLimit(MAX_VERSION_WARNINGS)).allow(server.name, API_MISMATCH_LOG_INTERVAL_MS, this.now()))
      this.log.warn({ server: server.name, serverVersion: server.version, apiVersion }, 'ignoring server with a newer API version');
    return false;
  }

  acceptVersions(servers: Server[]): Server[] {
    return this.settings.apiVersion === undefined ? servers : servers.filter((s) => this.acceptsVersion(s));
  }

  #rateLimited(key: string, intervalMs: number): boolean {
    return (this.#rateLogs ??= new KeyedRateLimit()).allow(key, intervalMs, this.now());
  }

  // --- what the telemetry reads (src/telemetry/serverManager.ts) -----------------------

  /** Each listed server's health state, primaries then backups. */
  *serverStates(): Iterable<string> {
    for (const list of [this.roster.primaries, this.roster.backups]) for (const entry of list.entries) yield entry.state;
  }

  /** The rebalance delay the loop armed last, ms; NaN before start(). */
  delayMs(): number {
    return this.loop?.delayInForceMs ?? Number.NaN;
  }

  // --- rebalancing and the lifetime -----------------------------------------------------

  /** One rebalance; concurrent callers share it. Never rejects. */
  rebalance(loopSignal?: AbortSignal): Promise<void> {
    if (this.#inflight) return this.#inflight;
    const run = rebalanceOnce({
      roster: this.roster,
      settings: this.settings,
      random: () => this.random(),
      log: this.log,
      emit: this.emit,
      lifetime: this.lifetime,
      loop: loopSignal,
      pings: (this.#pings ??= new DeadlineSeries(this.settings.clock)),
    }).then(
      () => this.telemetry?.rebalanceEnded(this.stopped, this.roster.offline, false),
      (err: unknown) => {
        if (!this.stopped) this.log.error({ err }, 'rebalance failed');
        this.telemetry?.rebalanceEnded(this.stopped, false, true);
      },
    );
    this.#inflight = run;
    void run.finally(() => {
      if (this.#inflight === run) this.#inflight = undefined;
    });
    return run;
  }

  /**
   * Starts the rebalance loop. `makeLoop` builds it (given whether a rebalance was requested
   * before start): the embedded manager's RebalanceLoop, an actor, unless a host that
   * drives the rebalancer machine itself (the simulator's event engine) gives its own.
   */
  start(makeLoop: (requested: boolean) => LoopHandle = (requested) => new RebalanceLoop(this.settings, this, requested)): void {
    if (this.stopped) throw new StoppedError('this server manager was stopped; create a new one');
    if (this.loop) return;
    this.loop = makeLoop(this.requestedBeforeStart);
    this.loop.start();
    // A fatal error while the loop was built or started (its first delay drew from a
    // broken random) stopped the manager before the loop could take the STOP: stop it now.
    if (this.stopping) this.loop.stop();
    this.#discovery?.check();
  }

  requestRebalance(): void {
    if (this.stopped) return;
    if (this.loop) this.loop.request();
    else this.requestedBeforeStart = true;
  }

  /** Stops everything once; resolves when the in-flight rebalance and discovery poll have settled. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    (this.#lifetime ??= lifetimeController()).abort(new StoppedError('server manager stopped'));
    this.stopping = Promise.all([this.#inflight, this.#discovery?.stop()]).then(noop, noop);
    this.loop?.stop();
    return this.stopping;
  }
}
