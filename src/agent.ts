// What an agent embeds: a StateSyncer keeping local state in the catalog and a
// ServerManager choosing the server it talks to, wired as Consul wires them —
// the manager supplies the cluster size, coming online asks for a full sync, and so does
// a server coming up while the agent has no full sync it can trust (src/wiring.ts: the
// one rule the simulator runs too).
import { ServerManager, type ServerManagerOptions } from './servers/serverManager.js';
import { StateSyncer, type StateSyncerOptions } from './syncer/stateSyncer.js';
import { describeValue } from './shared/options.js';
import { resolveWiringOptions, wireAgent, type WiringOptions } from './wiring.js';
import { noop } from './shared/waiters.js';

/**
 * Options of both parts and of their wiring (`fullSyncOnServerUp`). `logger`, `clock` and
 * `random` are shared; the syncer's cluster size is always `servers.numNodes()` (give the
 * manager `clusterSize` or feed it heartbeats to change it).
 */
export interface SyncAgentOptions
  extends Omit<StateSyncerOptions, 'clusterSize'>,
    Omit<ServerManagerOptions, 'logger' | 'clock' | 'random'>,
    WiringOptions {}

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
  // Forwarded whole: each part's resolver reads the keys it knows (and validates them),
  // so an option added to either part reaches it without a list here to forget it in.
  const wiring = resolveWiringOptions(options);
  const servers = new ServerManager(options);
  const syncer = new StateSyncer({ ...options, clusterSize: () => servers.numNodes() });
  // Which server events ask for a full sync: src/wiring.ts, shared with the simulator.
  const unwire = wireAgent(servers, syncer, wiring);

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
      unwire();
      stopping = Promise.all([servers.stop(), syncer.stop()]).then(noop, noop);
      return stopping;
    },
  };
  return agent;
}
