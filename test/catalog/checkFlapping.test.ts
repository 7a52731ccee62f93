// 1,000 agents whose one health check prints a new output every second for 10 min
// and changes status three times (at 330, 335 and 340 s), on a fake clock against one MemoryCluster: real
// registries, partial syncs as their triggers ask, a full sync every 60 s. With the
// default checkUpdateInterval (5 min), each check costs at most 2 writes per interval
// plus one per status change (and its registration), and every status change is in
// the catalog after the partial sync that follows it.
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryCluster } from '../../src/catalog/memory/cluster.js';
import { ServiceRegistry } from '../../src/catalog/registry.js';
import type { CheckStatus } from '../../src/catalog/backend.js';
import { ServerManager } from '../../src/servers/serverManager.js';
import { createTestClock, seededRandom } from '../../src/testing.js';

const AGENTS = 1_000;
const SECONDS = 600;
const INTERVAL_MS = 5 * 60_000;
/** Seconds at which every check changes status (passing → warning → passing → warning). */
const STATUS_CHANGES = [330, 335, 340];

describe('check output flapping every second on 1,000 agents for 10 min', () => {
  const clock = createTestClock();
  const cluster = new MemoryCluster({ clock });
  const agents: Array<{ registry: ServiceRegistry; servers: ServerManager; wants: { partial: boolean } }> = [];

  afterAll(async () => {
    for (const a of agents) {
      await a.registry.close();
      await a.servers.stop();
    }
    await cluster.close();
  });

  it('writes each check at most 2 times per checkUpdateInterval plus once per status change, and shows each status change after one partial sync', async () => {
    const random = seededRandom(42);
    for (let i = 0; i < AGENTS; i++) {
      const servers = new ServerManager({ pinger: cluster.pinger, clock, random });
      servers.setServers(cluster.initialServers());
      const wants = { partial: false };
      const syncer = { syncFull: { trigger: () => undefined }, syncChanges: { trigger: () => void (wants.partial = true) } };
      const registry = new ServiceRegistry({ backend: cluster, servers, node: `n${i}`, clock, random, syncer, sessionTtl: 3_600_000, clusterSizeRefresh: 3_600_000 });
      agents.push({ registry, servers, wants });
    }
    const writes = new Map<string, number>();
    cluster.on('op', (r) => {
      if (r.op === 'putCheck' && r.ok && r.node) writes.set(r.node, (writes.get(r.node) ?? 0) + 1);
    });
    const signal = new AbortController().signal;
    const partials = async (): Promise<void> => {
      for (const a of agents) {
        if (!a.wants.partial) continue;
        a.wants.partial = false;
        await a.registry.syncChanges(signal);
      }
    };

    for (const a of agents) a.registry.registerCheck({ id: 'load', name: 'load', status: 'passing', output: 'load 0' });
    for (const a of agents) await a.registry.syncFull(signal);
    let status: CheckStatus = 'passing';
    let lagging = 0;
    for (let t = 1; t <= SECONDS; t++) {
      await clock.tickAsync(1_000);
      const changed = STATUS_CHANGES.includes(t);
      if (changed) status = status === 'passing' ? 'warning' : 'passing';
      for (const a of agents) a.registry.updateCheck('load', status, `load ${t}`);
      await partials();
      if (changed) for (const a of agents) if (cluster.readChecks(a.registry.node)[0]?.status !== status) lagging++;
      if (t % 60 === 0) for (const a of agents) await a.registry.syncFull(signal);
    }
    await partials();

    expect(lagging).toBe(0);
    const counts = agents.map((a) => writes.get(a.registry.node) ?? 0);
    const bound = 2 * (SECONDS * 1_000 / INTERVAL_MS) + STATUS_CHANGES.length + 1; // + the registration
    expect(Math.max(...counts)).toBeLessThanOrEqual(bound);
    const total = counts.reduce((x, y) => x + y, 0);
    // Without deferral every second's output would be a write: 600 per check.
    expect(total / AGENTS).toBeLessThan(SECONDS / 60);
    expect(agents.every((a) => a.registry.stats().blocked === 0)).toBe(true);
  }, 120_000);
});
