// The contract between the service registry (local catalog + anti-entropy) and a
// remote catalog cluster. Two backends implement it: the embedded MemoryCluster
// (src/catalog/memory/) and etcd (src/etcd/). Everything the registry
// sends to a server goes through `ServerManager.call`, which picks the server and
// hands its `CatalogClient` the call's AbortSignal.
import type { MembershipEvent, Server, Pinger } from '../servers/types.js';

export type { MembershipEvent, Pinger, Server };

/** A service registration the agent owns. Validated by the registry. */
export interface Service {
  id: string;
  name: string;
  address: string;
  port: number;
  tags?: string[];
  meta?: Record<string, string>;
}

/** A health check's state, as Consul's agents report it. */
export type CheckStatus = 'passing' | 'warning' | 'critical';

/** A health check the agent owns; bound to one of its services when `serviceId` is set. Validated by the registry. */
export interface Check {
  id: string;
  name: string;
  serviceId?: string;
  status: CheckStatus;
  /** What the check last printed (≤ 4 KiB, Consul's default `check_output_max_size`). */
  output?: string;
  notes?: string;
}

/** What the catalog records about the node itself (Consul's node address and meta). Validated by the registry. */
export interface NodeInfo {
  address: string;
  meta?: Record<string, string>;
}

/** One write of a batch: a put of a service or check, or a delete of one by id, or the node's info. */
export type WriteOp =
  | { op: 'putNode'; info: NodeInfo }
  | { op: 'put'; service: Service }
  | { op: 'delete'; id: string }
  | { op: 'putCheck'; check: Check }
  | { op: 'deleteCheck'; id: string };

/** One server's (one etcd member's) view of the remote catalog. */
export interface CatalogClient {
  /** Every service stored for `node`, sorted by id. */
  listServices(node: string, signal: AbortSignal): Promise<Service[]>;
  /**
   * Writes one service for `node`, attached to `sessionId` (entries vanish when the
   * session expires). A write the server will never take as it is (no permission,
   * over its size limit, invalid) rejects with `RefusedWriteError`; the registry
   * quarantines that entry. Any other rejection counts as transient.
   */
  putService(node: string, service: Service, sessionId: string, signal: AbortSignal): Promise<void>;
  /** Deletes one service of `node`; deleting a missing one succeeds. */
  deleteService(node: string, id: string, signal: AbortSignal): Promise<void>;
  /**
   * Health checks (optional: a backend without them refuses every check write, and the
   * registry quarantines those). Every check stored for `node`, sorted by id.
   */
  listChecks?(node: string, signal: AbortSignal): Promise<Check[]>;
  /** Writes one check for `node`, attached to `sessionId`; refusals as for `putService`. */
  putCheck?(node: string, check: Check, sessionId: string, signal: AbortSignal): Promise<void>;
  /** Deletes one check of `node`; deleting a missing one succeeds. */
  deleteCheck?(node: string, id: string, signal: AbortSignal): Promise<void>;
  /** Node info (optional, like checks): what is stored for `node`, undefined when nothing is. */
  getNodeInfo?(node: string, signal: AbortSignal): Promise<NodeInfo | undefined>;
  /** Writes the node's info, attached to `sessionId`. */
  putNodeInfo?(node: string, info: NodeInfo, sessionId: string, signal: AbortSignal): Promise<void>;
  /**
   * Optional: applies every op of `ops` for `node` in one call, all or none (etcd: one
   * transaction; MemoryCluster: one operation). Puts are attached to `sessionId`. The
   * registry never sends more than the backend's `maxBatchOps`. A batch refused for
   * good rejects with `RefusedWriteError` (naming the entry in `id` when the server
   * did); the registry then splits it so the other entries still land.
   */
  writeBatch?(node: string, ops: readonly WriteOp[], sessionId: string, signal: AbortSignal): Promise<void>;
  /** Number of nodes with a live registration (count-only; the syncer's cluster size). */
  countNodes(signal: AbortSignal): Promise<number>;
}

/** A node's registration session (an etcd lease; Chubby/Consul sessions): renewed until closed or lost. */
export interface NodeSession {
  readonly id: string;
  /**
   * Called once if the session expires or can no longer be renewed. A listener added
   * after the loss is called too (asynchronously). A listener that throws is caught and
   * logged: it neither stops the other listeners nor escapes to the process.
   */
  onLost(listener: (err: unknown) => void): void;
  /** Stops renewing and revokes the session (its entries vanish). Never rejects. */
  close(): Promise<void>;
}


/** A remote catalog cluster: how to reach each server, ping it, watch membership and open sessions. */
export interface CatalogBackend {
  /** The servers known at connect time. */
  initialServers(): Server[];
  /** The catalog client for one server (cached per server name). */
  client(server: Server): CatalogClient;
  /** Health check of one server, bounded by `signal`. */
  readonly pinger: Pinger;
  /** Starts delivering membership changes; returns a function that stops it. */
  watchMembers(listener: (event: MembershipEvent) => void): () => void;
  /**
   * Opens (grants) a session for `node` with the given TTL, through `server`. Rejects with
   * `NodeConflictError` while another live session holds the same node (two agents with one
   * node name). The TTL is a lower bound: the servers never expire a session sooner.
   * Chubby-style, the servers add a grace on top of the TTL (2 × the TTL by default on
   * MemoryCluster) and a renewal, the grant itself and a leader failover each push the
   * server-side expiry to at least now + TTL × grace (docs/catalog.md, "Sessions").
   * The client side gives up sooner — after one TTL without a successful renewal — so
   * an agent re-registers before the servers could have dropped its entries.
   */
  openSession(server: Server, node: string, ttlMs: number, signal: AbortSignal): Promise<NodeSession>;
  /**
   * The shortest session TTL the backend can keep, ms (etcd: 1,000 — leases are whole
   * seconds). The registry refuses a shorter `sessionTtl` at construction. Optional.
   */
  readonly minSessionTtlMs?: number;
  /**
   * Most ops one `writeBatch` call may carry (etcd: the member's `--max-txn-ops`,
   * 128 by default). Optional: unbounded when absent. The registry's `maxBatchOps`
   * option may lower it.
   */
  readonly maxBatchOps?: number;
  /**
   * True only when `error`, thrown by a call through this backend, proves that the call
   * never took effect on the server: the request was never sent (connection refused, no
   * connection established) or the server refused it before acting on it. The registry
   * retries a call that changes state (opening a session) on another server only then;
   * a timeout or a connection lost after sending proves nothing. Optional: without it,
   * no such call is retried. MemoryCluster: its `ServerUnavailableError`s. etcd: gRPC
   * `UNAVAILABLE` with no connection established.
   */
  notApplied?(error: unknown): boolean;
  /** Releases every connection and timer; never rejects. */
  close(): Promise<void>;
}
