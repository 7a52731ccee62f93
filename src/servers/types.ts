// The shapes of a server and of a health check, shared by the server manager,
// the catalog backends and the simulator.

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

/** Health check of one server. Resolving `false` or rejecting both mean "failed". */
export interface Pinger {
  ping(server: Server, signal: AbortSignal): Promise<boolean>;
}

/**
 * A change in the set of servers (gossip, a member list), fed to
 * `ServerManager.applyMembershipEvent`: `join` and `update` add or refresh a server,
 * `leave` removes it, `failed` says the membership layer saw it fail (serf's
 * member-failed: it stays listed but is not chosen while a healthy one exists),
 * `draining` says it is going away (never chosen again, removed on leave).
 */
export interface MembershipEvent {
  type: 'join' | 'leave' | 'update' | 'failed' | 'draining';
  server: Server;
}
