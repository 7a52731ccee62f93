// First registration of 10,000 services on a real 3-member etcd cluster (loopback,
// data on /dev/shm, the integration harness), one write per call versus batches
// (one transaction of at most 128 ops): remote calls made and wall time of the one
// full sync that writes them all. The same counts on MemoryCluster. Skipped (with a
// note) when /usr/bin/etcd is missing.
import { existsSync } from 'node:fs';
import { MemoryCluster } from '../src/catalog/memory/cluster.js';
import { ServiceRegistry } from '../src/catalog/registry.js';
import type { CatalogBackend, CatalogClient, Service } from '../src/catalog/backend.js';
import { ServerManager } from '../src/servers/serverManager.js';
import { createEtcdBackend } from '../src/etcd/index.js';
import { EtcdCluster, ETCD_BIN } from '../test/helpers/etcdCluster.js';

const SERVICES = 10_000;

const service = (i: number): Service => ({
  id: `svc-${String(i).padStart(5, '0')}`,
  name: `app-${i % 50}`,
  address: `10.0.${(i >> 8) & 255}.${i & 255}`,
  port: 8000 + (i % 1000),
  tags: ['bench', `shard-${i % 8}`],
  meta: { version: '1.2.3' },
});

/** The backend with every remote call counted (session opens, listings, writes). */
function counted(backend: CatalogBackend): { backend: CatalogBackend; calls: () => number } {
  let calls = 0;
  const wrap = (client: CatalogClient): CatalogClient => {
    const out: CatalogClient = {
      listServices: (...a) => (calls++, client.listServices(...a)),
      putService: (...a) => (calls++, client.putService(...a)),
      deleteService: (...a) => (calls++, client.deleteService(...a)),
      countNodes: (...a) => client.countNodes(...a),
    };
    const batch = client.writeBatch?.bind(client);
    if (batch) out.writeBatch = (...a) => (calls++, batch(...a));
    return out;
  };
  const wrapped: CatalogBackend = {
    initialServers: () => backend.initialServers(),
    client: (server) => wrap(backend.client(server)),
    pinger: backend.pinger,
    watchMembers: (l) => backend.watchMembers(l),
    openSession: (...a) => (calls++, backend.openSession(...a)),
    close: () => backend.close(),
    ...(backend.minSessionTtlMs === undefined ? {} : { minSessionTtlMs: backend.minSessionTtlMs }),
    ...(backend.maxBatchOps === undefined ? {} : { maxBatchOps: backend.maxBatchOps }),
  };
  return { backend: wrapped, calls: () => calls };
}

/** One full sync registering every service; its calls and wall time. */
async function firstRegistration(raw: CatalogBackend, node: string, maxBatchOps?: number): Promise<{ calls: number; ms: number }> {
  const { backend, calls } = counted(raw);
  const servers = new ServerManager({ pinger: backend.pinger });
  servers.setServers(backend.initialServers());
  // One pass writes everything: a bucket as large as the node (the cap would spread the
  // writes past the burst over 20 s at 500/s; here the batching alone is measured).
  const registry = new ServiceRegistry({ backend, servers, node, sessionTtl: 60_000, clusterSizeRefresh: 3_600_000, callTimeout: 10_000, writeBurst: SERVICES, ...(maxBatchOps ? { maxBatchOps } : {}) });
  for (let i = 0; i < SERVICES; i++) registry.register(service(i));
  const started = process.hrtime.bigint();
  await registry.syncFull(new AbortController().signal);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (registry.stats().puts !== SERVICES || registry.stats().dirty !== 0) throw new Error(`first registration incomplete: ${JSON.stringify(registry.stats())}`);
  const result = { calls: calls(), ms };
  await registry.close();
  await servers.stop();
  return result;
}

export async function run(): Promise<Record<string, string | number>> {
  const memory = new MemoryCluster();
  const memOne = await firstRegistration(memory, 'mem-single', 1);
  const memBatched = await firstRegistration(memory, 'mem-batched');
  await memory.close();
  const figures: Record<string, string | number> = {
    'catalog batches: MemoryCluster, 10,000 services, calls one per write': memOne.calls,
    'catalog batches: MemoryCluster, 10,000 services, calls batched': memBatched.calls,
  };
  if (!existsSync(ETCD_BIN)) {
    figures['catalog batches: etcd'] = `skipped: no etcd at ${ETCD_BIN}`;
    return figures;
  }
  const cluster = new EtcdCluster({ basePort: 25661, inMemory: true });
  await cluster.start();
  try {
    const etcd = (): CatalogBackend => createEtcdBackend({ endpoints: cluster.endpoints, prefix: '/bench', callTimeout: 10_000 });
    const b1 = etcd();
    const one = await firstRegistration(b1, 'etcd-single', 1);
    await b1.close();
    const b2 = etcd();
    const batched = await firstRegistration(b2, 'etcd-batched');
    await b2.close();
    Object.assign(figures, {
      'catalog batches: etcd (3 members), 10,000 services, calls one per write': one.calls,
      'catalog batches: etcd (3 members), 10,000 services, calls batched (128 ops)': batched.calls,
      'catalog batches: etcd, first registration one per write (s)': Number((one.ms / 1000).toFixed(1)),
      'catalog batches: etcd, first registration batched (s)': Number((batched.ms / 1000).toFixed(2)),
      'catalog batches: etcd, fewer calls (×)': Number((one.calls / batched.calls).toFixed(0)),
      'catalog batches: etcd, less wall time (×)': Number((one.ms / batched.ms).toFixed(0)),
    });
  } finally {
    await cluster.stop();
  }
  return figures;
}
