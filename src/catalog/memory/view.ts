// One connection to a MemoryCluster (for one named agent, or for anyone): the
// CatalogBackend an agent is given. `cluster.partition(agent)` cuts off only the
// views of that agent; the cluster and its store are shared.
import type { CatalogBackend, CatalogClient, MembershipEvent, NodeSession } from '../backend.js';
import type { Pinger, Server } from '../../servers/types.js';
import type { MemoryCluster } from './cluster.js';
import { durationMs } from '../../shared/options.js';

export class MemoryBackendView implements CatalogBackend {
  private readonly clients = new Map<string, CatalogClient>();
  readonly pinger: Pinger;
  /** A batch of any size is one operation. */
  readonly maxBatchOps = Infinity;

  constructor(
    private readonly cluster: MemoryCluster,
    private readonly agent: string | undefined,
  ) {
    this.pinger = { ping: (server, signal) => cluster.exec(server.name, agent, 'ping', signal, () => true) };
  }

  initialServers(): Server[] {
    return this.cluster.serversNow();
  }

  client(server: Server): CatalogClient {
    let client = this.clients.get(server.name);
    if (client) return client;
    const { cluster, agent } = this;
    const name = server.name;
    client = {
      listServices: (node, signal) => cluster.exec(name, agent, 'list', signal, () => cluster.readEntries(node), node),
      putService: (node, service, sessionId, signal) => cluster.exec(name, agent, 'put', signal, () => cluster.putNow(node, service, sessionId), node, service.id),
      deleteService: (node, id, signal) => cluster.exec(name, agent, 'delete', signal, () => void cluster.deleteEntry(node, id), node, id),
      listChecks: (node, signal) => cluster.exec(name, agent, 'listChecks', signal, () => cluster.readChecks(node), node),
      putCheck: (node, check, sessionId, signal) => cluster.exec(name, agent, 'putCheck', signal, () => cluster.putCheckNow(node, check, sessionId), node, check.id),
      deleteCheck: (node, id, signal) => cluster.exec(name, agent, 'deleteCheck', signal, () => void cluster.deleteCheckEntry(node, id), node, id),
      getNodeInfo: (node, signal) => cluster.exec(name, agent, 'getNode', signal, () => cluster.readNodeInfo(node), node),
      putNodeInfo: (node, info, sessionId, signal) => cluster.exec(name, agent, 'putNode', signal, () => cluster.putNodeInfoNow(node, info, sessionId), node),
      writeBatch: (node, ops, sessionId, signal) => cluster.exec(name, agent, 'batch', signal, () => cluster.batchNow(name, agent, node, ops, sessionId), node),
      countNodes: (signal) => cluster.exec(name, agent, 'count', signal, () => cluster.countNow()),
    };
    this.clients.set(name, client);
    return client;
  }

  watchMembers(listener: (event: MembershipEvent) => void): () => void {
    return this.cluster.watchMembers(listener);
  }

  openSession(server: Server, node: string, ttlMs: number, signal: AbortSignal): Promise<NodeSession> {
    try {
      durationMs('ttlMs', ttlMs);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const { cluster, agent } = this;
    return cluster.exec(server.name, agent, 'openSession', signal, () => cluster.grantNow(node, ttlMs, agent, server.name), node);
  }

  /** The cluster is shared: a view has nothing of its own to release. */
  async close(): Promise<void> {}
}
