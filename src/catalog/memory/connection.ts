// One connection to a MemoryCluster (for one named agent, or for anyone): the
// CatalogBackend an agent is given. `cluster.partition(agent)` cuts off only the
// connections of that agent; the servers and their store are shared.
import type { CatalogBackend, CatalogClient, MembershipEvent, NodeSession } from '../backend.js';
import type { Pinger, Server } from '../../servers/types.js';
import type { MemoryServers } from './servers.js';
import { durationMs } from '../../shared/options.js';
import { isServerUnavailableError } from '../errors.js';

export class MemoryConnection implements CatalogBackend {
  private readonly clients = new Map<string, CatalogClient>();
  readonly pinger: Pinger;
  /** A batch of any size is one operation. */
  readonly maxBatchOps = Infinity;

  constructor(
    private readonly servers: MemoryServers,
    private readonly agent: string | undefined,
    private readonly watch: (listener: (event: MembershipEvent) => void) => () => void,
  ) {
    this.pinger = { ping: (server, signal) => servers.exec(server.name, agent, 'ping', signal, () => true) };
  }

  initialServers(): Server[] {
    return this.servers.servers();
  }

  client(server: Server): CatalogClient {
    let client = this.clients.get(server.name);
    if (client) return client;
    const { servers, agent } = this;
    const name = server.name;
    client = {
      listServices: (node, signal) => servers.exec(name, agent, 'list', signal, () => servers.store.read(node), node),
      putService: (node, service, sessionId, signal) => servers.exec(name, agent, 'put', signal, () => servers.put(node, service, sessionId), node, service.id),
      deleteService: (node, id, signal) => servers.exec(name, agent, 'delete', signal, () => void servers.store.delete(node, id), node, id),
      listChecks: (node, signal) => servers.exec(name, agent, 'listChecks', signal, () => servers.checks.read(node), node),
      putCheck: (node, check, sessionId, signal) => servers.exec(name, agent, 'putCheck', signal, () => servers.putCheck(node, check, sessionId), node, check.id),
      deleteCheck: (node, id, signal) => servers.exec(name, agent, 'deleteCheck', signal, () => void servers.checks.delete(node, id), node, id),
      getNodeInfo: (node, signal) => servers.exec(name, agent, 'getNode', signal, () => servers.nodeInfo(node), node),
      putNodeInfo: (node, info, sessionId, signal) => servers.exec(name, agent, 'putNode', signal, () => servers.putNodeInfo(node, info, sessionId), node),
      writeBatch: (node, ops, sessionId, signal) => servers.exec(name, agent, 'batch', signal, () => servers.batch(name, agent, node, ops, sessionId), node),
      countNodes: (signal) => servers.exec(name, agent, 'count', signal, () => servers.countNodes()),
    };
    this.clients.set(name, client);
    return client;
  }

  watchMembers(listener: (event: MembershipEvent) => void): () => void {
    return this.watch(listener);
  }

  openSession(server: Server, node: string, ttlMs: number, signal: AbortSignal): Promise<NodeSession> {
    try {
      durationMs('ttlMs', ttlMs);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const { servers, agent } = this;
    return servers.exec(server.name, agent, 'openSession', signal, () => servers.grant(node, ttlMs, agent, server.name), node);
  }

  /** Every ServerUnavailableError is thrown before the operation is applied (servers.ts `exec`). */
  notApplied(error: unknown): boolean {
    return isServerUnavailableError(error);
  }

  /** The servers are shared: a connection has nothing of its own to release. */
  async close(): Promise<void> {}
}
