import { describe, expect, it } from 'vitest';
import { isStoppedError } from '../../src/shared/errors.js';
import { createTestClock } from '../../src/testing.js';
import { flushPromises, managerHarness, scriptedPinger, server, servers } from '../helpers/index.js';

describe('ServerManager with a random source out of [0, 1)', () => {
  it.each([
    ['1', () => 1, 'received 1'],
    ['NaN', () => Number.NaN, 'received NaN'],
    ['-0.5', () => -0.5, 'received -0.5'],
    ['1e9', () => 1e9, 'received 1000000000'],
    ['a string', () => '0.3' as unknown as number, 'received "0.3"'],
  ])('stops loudly, with the list untouched, when random() returns %s (the rule the syncer applies too)', async (_l, random, received) => {
    const pinger = scriptedPinger(() => true);
    const { manager, clock, log, fatal, names } = managerHarness({ random, pinger, clusterSize: () => 50_000 });
    manager.addServer(server('s1'));
    manager.addServer(server('s2'));
    const before = [...names()];
    manager.start();
    clock.tick(200_000);
    await flushPromises();
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.message).toBe(`random() must return a number in [0, 1), ${received}`);
    expect(log.records.some((r) => r.level === 50 && r.msg.includes('stopped'))).toBe(true);
    expect([...names()]).toEqual(before);
    expect(pinger.pinged).toEqual([]);
    expect(clock.countTimers()).toBe(0);
    const err: unknown = await manager.call(() => Promise.resolve(1)).catch((e: unknown) => e);
    expect(isStoppedError(err)).toBe(true);
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
      clearTimeout: (handle: unknown) => fake.clearTimeout(handle),
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
