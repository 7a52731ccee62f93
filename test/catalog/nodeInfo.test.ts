// The node's own info (address, meta) in the registry against MemoryCluster: written
// first in a full sync, at once when it changes, left alone when the servers hold it.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCluster } from '../../src/catalog/memory/cluster.js';
import type { MemoryOpRecord } from '../../src/catalog/memory/types.js';
import { ServiceRegistry } from '../../src/catalog/registry.js';
import type { Service } from '../../src/catalog/backend.js';
import { ServerManager } from '../../src/servers/serverManager.js';
import { constantRandom, createTestClock } from '../../src/testing.js';

const svc = (id: string): Service => ({ id, name: 'web', address: '10.0.0.1', port: 80 });
const signal = (): AbortSignal => new AbortController().signal;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setup(): { cluster: MemoryCluster; registry: ServiceRegistry; ops: MemoryOpRecord[]; fired: { n: number } } {
  const clock = createTestClock();
  const cluster = new MemoryCluster({ clock });
  const servers = new ServerManager({ pinger: cluster.pinger, clock, random: constantRandom(0) });
  for (const s of cluster.initialServers()) servers.addServer(s);
  const fired = { n: 0 };
  const syncer = { syncFull: { trigger: () => undefined }, syncChanges: { trigger: () => void fired.n++ } };
  const registry = new ServiceRegistry({ backend: cluster, servers, node: 'n1', clock, syncer, sessionTtl: 60_000 });
  const ops: MemoryOpRecord[] = [];
  cluster.on('op', (r) => ops.push(r));
  cleanups.push(async () => {
    await registry.close();
    await servers.stop();
    await cluster.close();
  });
  return { cluster, registry, ops, fired };
}

describe('ServiceRegistry node info', () => {
  it('writes the node info first in a full sync, before the services, and nothing when the servers hold it', async () => {
    const { cluster, registry, ops } = setup();
    registry.register(svc('b'));
    registry.register(svc('a'));
    expect(registry.setNodeInfo({ address: '10.0.0.7', meta: { rack: 'r1' } })).toBe(true);
    await registry.syncFull(signal());
    expect(ops.filter((o) => o.op !== 'openSession').map((o) => [o.op, o.id])).toEqual([
      ['list', undefined],
      ['getNode', undefined],
      ['putNode', 'n1'],
      ['put', 'a'],
      ['put', 'b'],
      ['batch', undefined],
    ]);
    expect(cluster.readNodeInfo('n1')).toEqual({ address: '10.0.0.7', meta: { rack: 'r1' } });
    ops.length = 0;
    await registry.syncFull(signal());
    expect(ops.map((o) => o.op)).toEqual(['list', 'getNode']);
  });

  it('writes changed node info in the next partial sync and ignores an identical one', async () => {
    const { cluster, registry, fired } = setup();
    registry.setNodeInfo({ address: '10.0.0.7' });
    await registry.syncChanges(signal());
    expect(registry.setNodeInfo({ address: '10.0.0.7' })).toBe(false);
    expect(registry.setNodeInfo({ address: '10.0.0.8', meta: { zone: 'b' } })).toBe(true);
    expect(fired.n).toBe(2);
    await registry.syncChanges(signal());
    expect(cluster.readNodeInfo('n1')).toEqual({ address: '10.0.0.8', meta: { zone: 'b' } });
    expect(registry.nodeInfo()).toEqual({ address: '10.0.0.8', meta: { zone: 'b' } });
  });

  it('refuses bad node info with a typed error naming the value and keeps the last good one', () => {
    const { registry } = setup();
    registry.setNodeInfo({ address: '10.0.0.7' });
    expect(() => registry.setNodeInfo({ address: '10.0.0.7 x' })).toThrow(/node address must not contain whitespace or control characters, received "10.0.0.7 x"/);
    expect(() => registry.setNodeInfo({ address: '10.0.0.7', meta: { 'a b': 'x' } })).toThrow(RangeError);
    expect(() => registry.setNodeInfo({ address: '10.0.0.7', port: 1 } as never)).toThrow(/node info has an unknown field "port"/);
    expect(registry.nodeInfo()).toEqual({ address: '10.0.0.7' });
  });
});
