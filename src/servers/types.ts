// The shapes of a server, a health check and what the server manager reports,
// shared by the manager, the catalog backends and the simulator.

/** A server an agent can send RPCs to. Identified by `name` everywhere. */
export interface Server {
  name: string;
  address: string;
  datacenter?: string;
  /** API major version the server speaks; servers newer than the manager's `apiVersion` are ignored. */
  version?: number;
  useTLS?: boolean;
  meta?: Record<string, string>;
}

/**
 * Health check of one server. Resolving `false` or rejecting both mean "failed".
 * `signal` aborts after `pingTimeout` or on stop(); consecutive pings may get the same
 * signal (a new one follows an abort), and the 'abort' listeners a ping added are
 * removed once it settled.
 */
export interface Pinger {
  ping(server: Server, signal: AbortSignal): Promise<boolean>;
}

/**
 * A change in the set of servers (gossip, a member list), fed to
 * `ServerManager.applyMembershipEvent`: `join` adds a server (and re-admits it when it
 * had failed), `update` refreshes its details, `leave` removes it, `failed` says the
 * membership layer saw it fail (serf's member-failed: it stays listed but is not
 * chosen while a healthy one exists), `draining` says it is going away (never chosen
 * again, removed on leave).
 */
export interface MembershipEvent {
  type: 'join' | 'leave' | 'update' | 'failed' | 'draining';
  server: Server;
}

/**
 * A server's health as this agent sees it: `healthy` (chosen first), `suspect` (failed
 * its last call or ping, fewer than `failureThreshold` times in a row), `failed`
 * (`failureThreshold` failures in a row, or the membership layer said so: chosen only
 * when no healthy or suspect server exists), `draining` (going away: never chosen).
 */
export type HealthState = 'healthy' | 'suspect' | 'failed' | 'draining';

/**
 * One server in `ServerManager.health()`: the client-side counterpart of Consul's
 * `/v1/operator/autopilot/health` entry. Times are in ms on the manager's clock.
 */
export interface ServerHealth {
  /** The manager's own (frozen) copy of the server. */
  server: Server;
  state: HealthState;
  /** `state === 'healthy'`. */
  healthy: boolean;
  /** True for a fallback server (`setBackupServers`, `discover`). */
  backup: boolean;
  /** Calls and pings that failed since the last success. */
  consecutiveFailures: number;
  /** When a call or ping to it last succeeded; undefined if never. */
  lastSuccess: number | undefined;
  /** When a call or ping to it last failed (or membership reported it failed); undefined if never. */
  lastFailure: number | undefined;
  /** ms since `lastSuccess` (Consul's LastContact); undefined if never. */
  lastContact: number | undefined;
  /** When `state` last changed (or the server was listed). */
  stableSince: number;
}

/** What fed a health change. */
export type HealthCause = 'call' | 'ping' | 'membership' | 'drain';

/** Payload of `'healthChanged'`. */
export interface HealthChangedEvent {
  server: Server;
  previous: HealthState;
  state: HealthState;
  cause: HealthCause;
}

/**
 * Why a server left the list: `removed` (`removeServer`), `leave` (membership),
 * `heartbeat` (missing from a heartbeat), `replaced` (`setServers` or
 * `setBackupServers` no longer lists it), `dead` (failed for longer than
 * `deadServerTimeout`), `apiVersion` (it now speaks a newer API than `apiVersion`).
 */
export type RemovalReason = 'removed' | 'leave' | 'heartbeat' | 'replaced' | 'dead' | 'apiVersion';

/** Payload of `'serverRemoved'`. */
export interface ServerRemovedEvent {
  server: Server;
  reason: RemovalReason;
}

/** Payload of `'rebalanced'`: the server now chosen. `frozen` when the chosen one left during the pings. */
export interface RebalancedEvent {
  server: Server;
  frozen: boolean;
}

export type ServerManagerEvents = {
  /** A server name entered the list. */
  serverUp: Server;
  /** A server name left the list, with the reason. */
  serverRemoved: ServerRemovedEvent;
  /** A server's health state changed. */
  healthChanged: HealthChangedEvent;
  /** A rebalance found no healthy server. */
  offline: undefined;
  /** The manager was offline and now has a server to use. */
  online: undefined;
  rebalanced: RebalancedEvent;
  /** `random` or `clock.now` threw: the manager logged it and stopped itself. */
  fatal: Error;
};

/** Nomad's heartbeat response: the servers the cluster wants this agent to use. */
export interface Heartbeat {
  servers: readonly Server[];
  /** Cluster size as the servers count it. */
  numNodes: number;
  leaderAddress?: string;
}

/** Options of one `ServerManager.call`. */
export interface CallOptions {
  /**
   * The caller's own signal. `fn` gets a signal that aborts when this one or the
   * manager's `stop()` does, and a call cut short by either is not held against the
   * server (no failure recorded, no rotation).
   */
  signal?: AbortSignal;
}
