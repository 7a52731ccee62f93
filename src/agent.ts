// What an agent embeds: a StateSyncer keeping local state in the catalog and a
// ServerManager choosing the server it talks to, wired as Consul wires them —
// the manager supplies the cluster size, and new or returning servers ask for a full sync.
import { ServerManager, type ServerManagerOptions } from './servers/serverManager.js';
import { StateSyncer, type StateSyncerOptions } from './syncer/stateSyncer.js';
import { describeValue } from './shared/options.js';
import { noop } from './shared/waiters.js';

/**
 * Options of both parts. `logger`, `clock` and `random` are shared; the syncer's
 * cluster size is always `servers.numNodes()` (give the manager `clusterSize`
 * or feed it heartbeats to change it).
 */
export interface SyncAgentOptions
  extends Omit<StateSyncerOptions, 'clusterSize'>,
    Omit<ServerManagerOptions, 'logger' | 'clock' | 'random'> {}

export interface SyncAgent {
  readonly syncer: StateSyncer;
  readonly servers: ServerManager;
  /** Starts the manager, then the syncer (the syncer asks the manager for the cluster size at once). */
  start(): SyncAgent;
  /** Stops both; resolves when both have stopped. Safe before start() and when repeated; never rejects. */
  stop(): Promise<void>;
}

export function createSyncAgent(options: SyncAgentOptions): SyncAgent {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`createSyncAgent options must be an object, received ${describeValue(options)}`);
  const { logger, clock, random } = options;
  const servers = new ServerManager({
    pinger: options.pinger,
    clusterSize: options.clusterSize,
    logger,
    clock,
    random,
    minReuseDuration: options.minReuseDuration,
    jitterFraction: options.jitterFraction,
    connsPerSecPerServer: options.connsPerSecPerServer,
    pingTimeout: options.pingTimeout,
    apiVersion: options.apiVersion,
    health: options.health,
    failureThreshold: options.failureThreshold,
    cleanupDeadServers: options.cleanupDeadServers,
    deadServerTimeout: options.deadServerTimeout,
    rearmOnChange: options.rearmOnChange,
    jitterFirstRebalance: options.jitterFirstRebalance,
    jitterCappedWait: options.jitterCappedWait,
    discover: options.discover,
    discoverInterval: options.discoverInterval,
    discoverTimeout: options.discoverTimeout,
    meterProvider: options.meterProvider,
    tracerProvider: options.tracerProvider,
    inspect: options.inspect,
  });
  const syncer = new StateSyncer({
    state: options.state,
    interval: options.interval,
    clusterSize: () => servers.numNodes(),
    serverUpInterval: options.serverUpInterval,
    retryFailInterval: options.retryFailInterval,
    syncTimeout: options.syncTimeout,
    stopTimeout: options.stopTimeout,
    logger,
    clock,
    random,
    inspect: options.inspect,
    meterProvider: options.meterProvider,
    tracerProvider: options.tracerProvider,
  });

  // A new server may hold none of this agent's state, and an agent that was cut
  // off may have missed changes: both call for a full sync. A failed server that
  // is re-admitted counts as a server up, as serf's member-join after a failure
  // does for Consul's agents (it may have restarted empty); a suspect one that
  // recovers does not (one lost call must not cost the fleet a full sync each).
  // The syncer's triggers coalesce, so a server-up and the online change from
  // the same addServer() cause one staggered full sync.
  const requestFullSync = (): void => syncer.syncFull.trigger();
  const unsubscribe = [
    servers.on('serverUp', requestFullSync),
    servers.on('online', requestFullSync),
    servers.on('healthChanged', (e) => {
      if (e.previous === 'failed' && e.state === 'healthy') requestFullSync();
    }),
  ];

  let stopping: Promise<void> | undefined;
  const agent: SyncAgent = {
    syncer,
    servers,
    start() {
      // Order matters (Consul's server manager commit notes): the syncer's first full sync reads
      // numNodes() right away, so the manager must be up first.
      servers.start();
      syncer.start();
      return agent;
    },
    stop() {
      if (stopping) return stopping;
      for (const off of unsubscribe) off();
      stopping = Promise.all([servers.stop(), syncer.stop()]).then(noop, noop);
      return stopping;
    },
  };
  return agent;
}
