import { describe, expect, it } from 'vitest';
import { isStoppedError } from '../../src/shared/errors.js';
import { createTestClock } from '../../src/testing.js';
import { flushPromises, managerHarness, scriptedPinger, server, servers } from '../helpers/index.js';

describe('ServerManager with a random source out of [0, 1)', () => {
  it.each([
    ['1', () => 1],
    ['NaN', () => Number.NaN],
    ['-0.5', () => -0.5],
    ['1e9', () => 1e9],
    ['a string', () => '0.3' as unknown as number],
  ])('keeps every list a permutation and every delay in range when random() returns %s, warning once', async (_l, random) => {
    const pinger = scriptedPinger(() => true);
    const { manager, clock, log, names } = managerHarness({ random, pinger, clusterSize: () => 50_000 });
    manager.setServers(servers(5));
    manager.setServers(servers(6));
    for (let i = 0; i < 3; i++) await manager.rebalanceServers();
    expect([...names()].sort()).toEqual(servers(6).map((s) => s.name).sort());
    const delay = manager.rebalanceDelay();
    expect(delay).toBeGreaterThanOrEqual(120_000);
    expect(delay).toBeLessThan(180_000);
    manager.start();
    clock.tick(200_000);
    await flushPromises();
    expect(pinger.pinged.length).toBeGreaterThanOrEqual(4);
    expect(log.warnings().filter((l) => l.msg.includes('outside [0, 1)'))).toHaveLength(1);
    await manager.stop();
  });
});

describe('ServerManager fails loudly when random or clock.now throws', () => {
  it('stops itself, emits fatal, logs an error, and refuses calls when random() throws in a rebalance delay', async () => {
    let broken = false;
    const random = () => {
      if (broken) throw new Error('entropy gone');
      return 0.5;
    };
    const pinger = scriptedPinger(() => true);
    const { manager, clock, log, fatal } = managerHarness({ random, pinger });
    manager.addServer(server('a'));
    manager.addServer(server('b'));
    manager.start();
    broken = true;
    clock.tick(150_000);
    await flushPromises();
    expect(fatal.map((e) => e.message)).toEqual(['entropy gone']);
    expect(log.records.some((r) => r.level === 50 && r.msg.includes('stopped'))).toBe(true);
    expect(manager.actor?.getSnapshot().status).toBe('done');
    expect(clock.countTimers()).toBe(0);
    const err: unknown = await manager.call(() => Promise.resolve(1)).catch((e: unknown) => e);
    expect(isStoppedError(err)).toBe(true);
    expect(() => manager.start()).toThrow(/stopped/);
  });

  it('throws a StoppedError from the operation that read a throwing clock.now, and stops', async () => {
    let broken = false;
    const fake = createTestClock();
    const clock = {
      setTimeout: (fn: () => void, ms: number) => fake.setTimeout(fn, ms),
      clearTimeout: (handle: unknown) => fake.clearTimeout(handle as never),
      now: () => {
        if (broken) throw new Error('clock unplugged');
        return fake.now;
      },
    };
    const { manager, fatal } = managerHarness({ clock });
    manager.addServer(server('a'));
    manager.start();
    broken = true;
    let thrown: unknown;
    try {
      manager.addServer(server('b'));
    } catch (err) {
      thrown = err;
    }
    expect(isStoppedError(thrown)).toBe(true);
    expect(fatal.map((e) => e.message)).toEqual(['clock unplugged']);
    const err: unknown = await manager.call(() => Promise.resolve(1)).catch((e: unknown) => e);
    expect(isStoppedError(err)).toBe(true);
    await manager.stop();
    expect(fake.countTimers()).toBe(0);
  });

  it('reports a throwing random() in a shuffle as fatal, not as a silent failed rebalance', async () => {
    let calls = 0;
    const random = () => {
      if (++calls > 3) throw new Error('random broke');
      return 0.1;
    };
    const { manager, fatal } = managerHarness({ random });
    manager.setServers(servers(3)); // uses 2 draws
    await manager.rebalanceServers();
    expect(fatal.map((e) => e.message)).toEqual(['random broke']);
    await expect(manager.call(() => 1)).rejects.toThrow(/stopped/);
  });
});
