// A CatalogBackend that reports every remote operation of the registry to its telemetry
// (src/telemetry/registry.ts): the catalog agent hands the registry this instead of the
// user's backend, so neither the registry nor the backends know about telemetry.
import type { CatalogBackend, CatalogClient, NodeSession, Server } from './backend.js';
import type { RegistryTelemetry } from '../telemetry/registry.js';

export function instrumentBackend(backend: CatalogBackend, telemetry: RegistryTelemetry): CatalogBackend {
  // One wrapper per client (the backend caches a client per server).
  const wrapped = new WeakMap<CatalogClient, CatalogClient>();
  const instrumented: CatalogBackend = {
    initialServers: () => backend.initialServers(),
    client(server: Server): CatalogClient {
      const client = backend.client(server);
      let traced = wrapped.get(client);
      if (traced === undefined) wrapped.set(client, (traced = instrumentClient(client, server, telemetry)));
      return traced;
    },
    get pinger() {
      return backend.pinger;
    },
    watchMembers: (listener) => backend.watchMembers(listener),
    openSession: (server, node, ttlMs, signal): Promise<NodeSession> =>
      telemetry.operation('open_session', server, () => backend.openSession(server, node, ttlMs, signal)),
    close: () => backend.close(),
  };
  if (backend.minSessionTtlMs !== undefined) Object.defineProperty(instrumented, 'minSessionTtlMs', { get: () => backend.minSessionTtlMs, enumerable: true });
  if (typeof backend.notApplied === 'function') instrumented.notApplied = (error) => backend.notApplied?.(error) === true;
  if (backend.maxBatchOps !== undefined) Object.defineProperty(instrumented, 'maxBatchOps', { get: () => backend.maxBatchOps, enumerable: true });
  return instrumented;
}

// The optional methods are forwarded only when the backend has them: the registry asks
// whether a backend supports checks, node info and batches by their presence.
function instrumentClient(client: CatalogClient, server: Server, t: RegistryTelemetry): CatalogClient {
  const traced: CatalogClient = {
    listServices: (node, signal) => t.operation('list', server, () => client.listServices(node, signal)),
    putService: (node, service, sessionId, signal) => t.operation('put', server, () => client.putService(node, service, sessionId, signal)),
    deleteService: (node, id, signal) => t.operation('delete', server, () => client.deleteService(node, id, signal)),
    countNodes: (signal) => t.operation('count', server, () => client.countNodes(signal)),
  };
  if (client.listChecks) traced.listChecks = (node, signal) => t.operation('list_checks', server, () => client.listChecks!(node, signal));
  if (client.putCheck) traced.putCheck = (node, check, sessionId, signal) => t.operation('put_check', server, () => client.putCheck!(node, check, sessionId, signal));
  if (client.deleteCheck) traced.deleteCheck = (node, id, signal) => t.operation('delete_check', server, () => client.deleteCheck!(node, id, signal));
  if (client.getNodeInfo) traced.getNodeInfo = (node, signal) => t.operation('get_node', server, () => client.getNodeInfo!(node, signal));
  if (client.putNodeInfo) traced.putNodeInfo = (node, info, sessionId, signal) => t.operation('put_node', server, () => client.putNodeInfo!(node, info, sessionId, signal));
  if (client.writeBatch)
    traced.writeBatch = (node, ops, sessionId, signal) => t.operation('batch', server, () => client.writeBatch!(node, ops, sessionId, signal), ops.length);
  return traced;
}
