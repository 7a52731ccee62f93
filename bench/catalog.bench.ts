// Service catalog figures: cost of a full sync that finds nothing to write (the
// steady state every interval), of a partial sync pushing one change, and heap per
// registered service (local registry + MemoryCluster store). No latency: this is
// the library's own CPU cost, not the network's. Run under `node --expose-gc --import tsx`.
import { MemoryCluster } from '../src/catalog/memory/cluster.js';
import { ServiceRegistry } from '../src/catalog/registry.js';
import type { Service } from '../src/catalog/backend.js';
import { ServerManager } from '../src/servers/serverManager.js';
import { createTestClock } from '../src/testing.js';

const SERVICES = 1_000;

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect) {
    collect();
    collect();
  }
}

const service = (i: number): Service => ({
  id: `svc-${i}`,
  name: `app-${i % 50}`,
  address: `10.0.${(i >> 8) & 255}.${i & 255}`,
  port: 8000 + (i % 1000),
  tags: ['bench', `shard-${i % 8}`],
  meta: { version: '1.2.3' },
});

function fixture(): { registry: ServiceRegistry; cluster: MemoryCluster; signal: AbortSignal } {
  const clock = createTestClock();
  const cluster = new MemoryCluster({ clock });
  const servers = new ServerManager({ pinger: cluster.pinger, clock });
  servers.setServers(cluster.initialServers());
  // The write cap's bucket holds every write here: this bench measures the passes, and the
  // cap's own cost per write is writeCap.bench.ts's.
  const registry = new ServiceRegistry({ backend: cluster, servers, node: 'bench', clock, sessionTtl: 3_600_000, clusterSizeRefresh: 3_600_000, writeBurst: 1_000_000 });
  return { registry, cluster, signal: new AbortController().signal };
}

async function usPerCall(calls: number, body: () => Promise<void>): Promise<number> {
  for (let i = 0; i < Math.min(calls, 20); i++) await body(); // warm up the JIT
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await body();
  return Number(process.hrtime.bigint() - start) / calls / 1_000;
}

export async function run(): Promise<Record<string, string | number>> {
  const { registry, cluster, signal } = fixture();
  for (let i = 0; i < SERVICES; i++) registry.register(service(i));
  await registry.syncFull(signal);
  const writesBefore = cluster.stats().put + cluster.stats().delete;
  const fullSyncUs = await usPerCall(200, () => registry.syncFull(signal));
  const writesInSteadyFullSyncs = cluster.stats().put + cluster.stats().delete - writesBefore;
  let n = 0;
  const partialSyncUs = await usPerCall(2_000, async () => {
    registry.register({ ...service(7), port: 20_000 + (n++ % 1000) });
    await registry.syncChanges(signal);
  });
  await registry.close();
  await cluster.close();

  // Heap: a registry holding SERVICES services, and the cluster storing them.
  gc();
  const before = process.memoryUsage().heapUsed;
  const heap = fixture();
  for (let i = 0; i < SERVICES; i++) heap.registry.register(service(i));
  gc();
  const afterLocal = process.memoryUsage().heapUsed;
  await heap.registry.syncFull(heap.signal);
  gc();
  const afterRemote = process.memoryUsage().heapUsed;
  await heap.registry.close();
  await heap.cluster.close();

  return {
    'catalog: full sync, 1,000 services, nothing to write (µs)': Number(fullSyncUs.toFixed(1)),
    'catalog: writes made by 220 steady full syncs': writesInSteadyFullSyncs,
    'catalog: partial sync of 1 change among 1,000 (µs)': Number(partialSyncUs.toFixed(1)),
    'catalog: heap per registered service, local registry (bytes)': Math.round((afterLocal - before) / SERVICES),
    'catalog: heap per stored entry, MemoryCluster (bytes)': Math.round((afterRemote - afterLocal) / SERVICES),
  };
}
