// One simulated agent: the SyncState and Pinger its real StateSyncer and ServerManager
// call (every sync is an RPC through the manager, every ping goes through the simulated
// network), the tuning every agent gets, and the clock view agents share.
import type { Clock } from '../shared/clock.js';
import type { ServerManager } from '../servers/serverManager.js';
import type { SyncAgentOptions } from '../agent.js';
import type { ServiceRegistryOptions } from '../catalog/registryOptions.js';
import type { Pinger, Server } from '../servers/types.js';
import type { StateSyncer, SyncState } from '../syncer/stateSyncer.js';
import type { HeapClock } from './heapClock.js';
import type { Network } from './network.js';
import { FULL, PARTIAL } from './ledger.js';

/** What an agent asks of the fleet it belongs to (the Fleet). */
export interface AgentHost {
  readonly network: Network;
  sync(agent: SimAgent, kind: number, signal: AbortSignal): Promise<void>;
  observeFront(agent: SimAgent): void;
  onRebalanced(agent: SimAgent): void;
}

/**
 * Options handed to every agent's syncer and manager, under their public names (a
 * SyncAgentOptions subset: the fleet forwards them whole, as createSyncAgent does).
 * `{ health: false, rearmOnChange: false, jitterFirstRebalance: false, jitterCappedWait: false }`
 * is Consul's manager (scenarios label that run `consul`).
 */
export type AgentTuning = Pick<SyncAgentOptions, 'interval'> &
  Pick<
    SyncAgentOptions,
    | 'serverUpInterval'
    | 'retryFailInterval'
    | 'syncTimeout'
    | 'minReuseDuration'
    | 'jitterFraction'
    | 'connsPerSecPerServer'
    | 'pingTimeout'
    | 'health'
    | 'rearmOnChange'
    | 'jitterFirstRebalance'
    | 'jitterCappedWait'
    | 'fullSyncOnServerUp'
  > &
  /** The registry's options, for runs with entries (a real ServiceRegistry per agent). */
  Pick<
    ServiceRegistryOptions,
    'sessionTtl' | 'callTimeout' | 'clusterSizeRefresh' | 'maxConsecutiveFailures' | 'writeAttempts' | 'readAttempts' | 'maxBatchOps' | 'writesPerSecPerServer' | 'writeBurst'
  > & {
    /**
     * Cluster size the *syncer* scales its stagger with; defaults to the manager's
     * `numNodes()` (the run's agent count), as createSyncAgent does. 1 gives Consul's
     * behaviour before the log2 scale (stagger within serverUpInterval).
     */
    syncerClusterSize?: number;
  };

/** A Clock that forwards to the heap clock: a distinct object, so the library gives it its own xstate system. */
export function clockView(clock: HeapClock): Clock {
  return {
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
    clearTimeout: (handle) => clock.clearTimeout(handle),
    now: () => clock.now(),
  };
}

export function constant(n: number): () => number {
  return () => n;
}

export { FULL, PARTIAL } from './ledger.js';

/** One agent: the SyncState and Pinger its syncer and manager call. */
export class SimAgent implements SyncState, Pinger {
  syncer!: StateSyncer;
  manager!: ServerManager;
  constructor(
    private readonly fleet: AgentHost,
    readonly id: number,
  ) {}
  syncFull(signal: AbortSignal): Promise<void> {
    return this.fleet.sync(this, FULL, signal);
  }
  syncChanges(signal: AbortSignal): Promise<void> {
    return this.fleet.sync(this, PARTIAL, signal);
  }
  ping(server: Server, signal: AbortSignal): Promise<boolean> {
    return this.fleet.network.ping(this.id, server, signal);
  }
  /** Asks the syncer for a full sync: what src/wiring.ts calls on the events that ask for one. */
  readonly requestFullSync = (): void => this.syncer.syncFull.trigger();
  /** A new server or coming back online may move the front server: look at it. */
  readonly onServerUp = (): void => this.fleet.observeFront(this);
  readonly onRebalanced = (): void => this.fleet.onRebalanced(this);
}
