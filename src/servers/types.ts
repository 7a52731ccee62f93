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

/** A change in the set of servers (gossip, a member list), fed to `ServerManager.applyMembershipEvent`. */
export interface MembershipEvent {
  type: 'join' | 'leave' | 'update';
  server: Server;
}
