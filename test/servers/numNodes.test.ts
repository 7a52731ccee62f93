// The cluster size the manager scales its waits by: from the clusterSize option, else
// heartbeats and setNumNodes. The other behaviours have a file each in this folder
// (list, health, rebalance, loop, call, inputs, discovery, faults, property, options).
import { describe, expect, it } from 'vitest';
import { managerHarness } from '../helpers/index.js';

describe('ServerManager numNodes', () => {
  it('uses clusterSize() when given', () => {
    let n = 500;
    const { manager } = managerHarness({ clusterSize: () => n });
    expect(manager.numNodes()).toBe(500);
    n = 7;
    expect(manager.numNodes()).toBe(7);
  });

  it.each([
    ['throws', () => { throw new Error('serf not ready'); }],
    ['returns NaN', () => Number.NaN],
    ['returns 0', () => 0],
    ['returns -3', () => -3],
    ['returns Infinity', () => Infinity],
    ['returns a string', () => '12' as unknown as number],
  ])('counts 1 node and logs once when clusterSize() %s', (_label, clusterSize) => {
    const { manager, log } = managerHarness({ clusterSize });
    expect(manager.numNodes()).toBe(1);
    expect(manager.numNodes()).toBe(1);
    expect(log.warnings().filter((l) => l.msg.includes('clusterSize'))).toHaveLength(1);
  });

  it('uses the last setNumNodes or heartbeat value without clusterSize, else 1', () => {
    const { manager } = managerHarness();
    expect(manager.numNodes()).toBe(1);
    manager.setNumNodes(40);
    expect(manager.numNodes()).toBe(40);
    manager.updateFromHeartbeat({ servers: [], numNodes: 9000 });
    expect(manager.numNodes()).toBe(9000);
    manager.setNumNodes(0);
    expect(manager.numNodes()).toBe(1);
  });

  it.each([
    ['NaN', Number.NaN, RangeError],
    ['-1', -1, RangeError],
    ['Infinity', Infinity, RangeError],
    ['"5"', '5', TypeError],
  ] as const)('refuses setNumNodes(%s) and keeps the previous value', (_l, bad, type) => {
    const { manager } = managerHarness();
    manager.setNumNodes(12);
    expect(() => manager.setNumNodes(bad as unknown as number)).toThrow(type);
    expect(manager.numNodes()).toBe(12);
  });
});
