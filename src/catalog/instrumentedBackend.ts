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
  return instrumented;
}

function instrumentClient(client: CatalogClient, server: Server, t: RegistryTelemetry): CatalogClient {
  return {
    listServices: (node, signal) => t.operation('list', server, () => client.listServices(node, signal)),
    putService: (node, service, sessionId, signal) => t.operation('put', server, () => client.putService(node, service, sessionId, signal)),
    deleteService: (node, id, signal) => t.operation('delete', server, () => client.deleteService(node, id, signal)),
    countNodes: (signal) => t.operation('count', server, () => client.countNodes(signal)),
  };
}
