// The fleet write cap's own cost: one step of the rule (refill, allowance, spend) and
// the CPU time per entry of a 10,000-entry rewrite paced at one agent's ceiling
// (500 writes/s, the default burst of 128, then woken every 250 ms for 125 writes) against
// the same rewrite in one pass (a bucket that holds it all). MemoryCluster, no latency:
// CPU only. Each paced pass walks the dirty set, so the cost per entry grows with the
// entries owed divided by the ops per wake.
import { MemoryCluster } from '../src/catalog/memory/cluster.js';
import { ServiceRegistry } from '../src/catalog/registry.js';
import type { Service } from '../src/catalog/backend.js';
import { ServerManager } from '../src/servers/serverManager.js';
import { createTestClock } from '../src/testing.js';
import { refill, restartedBucket, spend, writeAllowance, type WriteBucket } from '../src/catalog/writeCap.js';

const ENTRIES = 10_000;
const STEPS = 2_000_000;

const service = (i: number): Service => ({ id: `svc-${String(i).padStart(5, '0')}`, name: 'app', address: '10.0.0.1', port: 8000 + (i % 1000) });

/** ns per step of the pure rule, as the pacer runs it before every call. */
function nsPerStep(): number {
  const settings = { writesPerSecPerServer: 500, writeBurst: 128 };
  const counts = { nodes: 100_000, servers: 5 };
  let bucket: WriteBucket = restartedBucket(0, 0.5);
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < STEPS; i++) {
    bucket = refill(bucket, i * 40_000, settings, counts);
    const ops = writeAllowance(bucket, settings, false);
    if (ops > 0) bucket = spend(bucket, 1);
    sink += ops;
  }
  const ns = Number(process.hrtime.bigint() - start) / STEPS;
  if (sink === 0) throw new Error('the bucket never allowed a write');
  return ns;
}

/** CPU µs per entry written of a rewrite of ENTRIES entries: paced (woken every 250 ms, as the pacer would) or in one pass. */
async function usPerEntry(paced: boolean): Promise<{ us: number; passes: number }> {
  const clock = createTestClock();
  const cluster = new MemoryCluster({ clock });
  const servers = new ServerManager({ pinger: cluster.pinger, clock });
  servers.setServers(cluster.initialServers());
  const registry = new ServiceRegistry({ backend: cluster, servers, node: 'bench', clock, sessionTtl: 3_600_000, clusterSizeRefresh: 3_600_000, writesPerSecPerServer: 500, writeBurst: paced ? 128 : 1_000_000 });
  const signal = new AbortController().signal;
  for (let i = 0; i < ENTRIES; i++) registry.register(service(i));
  // The first registration (the user's changes), then a full bucket again.
  await registry.syncFull(signal);
  clock.tick(60_000);
  await registry.syncChanges(signal);
  for (let i = 0; i < ENTRIES; i++) cluster.deleteEntry('bench', service(i).id); // drift: a full sync owes every entry (bulk)
  const before = registry.stats().puts;
  const start = process.hrtime.bigint();
  await registry.syncFull(signal);
  let passes = 1;
  while (registry.stats().dirty > 0 && passes < 10 * ENTRIES) {
    clock.tick(250);
    await registry.syncChanges(signal);
    passes++;
  }
  const us = Number(process.hrtime.bigint() - start) / 1_000;
  const written = registry.stats().puts - before;
  if (written !== ENTRIES) throw new Error(`rewrite incomplete: ${written} of ${ENTRIES}`);
  await registry.close();
  await servers.stop();
  await cluster.close();
  return { us: us / ENTRIES, passes };
}

export async function run(): Promise<Record<string, string | number>> {
  const step = nsPerStep();
  await usPerEntry(true); // warm up the JIT
  await usPerEntry(false);
  const paced = await usPerEntry(true);
  const whole = await usPerEntry(false);
  return {
    'write cap: one step of the rule (refill, allowance, spend) (ns)': Number(step.toFixed(1)),
    'write cap: 10,000-entry rewrite paced at 500/s, CPU per entry (µs)': Number(paced.us.toFixed(2)),
    'write cap: 10,000-entry rewrite paced at 500/s, passes': paced.passes,
    'write cap: 10,000-entry rewrite in one pass, CPU per entry (µs)': Number(whole.us.toFixed(2)),
  };
}
