import { describe, expect, it } from 'vitest';
import { TimeoutError } from '../../src/shared/errors.js';
import type { Server } from '../../src/servers/types.js';
import { flushPromises, managerHarness, scriptedPinger, server } from '../helpers/index.js';

/** A discover() whose polls the test answers; records when each started. */
function manualDiscover(clock: { now: number }) {
  const polls: { at: number; signal: AbortSignal; resolve(servers: unknown): void; reject(err: unknown): void }[] = [];
  const discover = (signal: AbortSignal) =>
    new Promise<Server[]>((resolve, reject) => polls.push({ at: clock.now, signal, resolve, reject }));
  return { polls, discover };
}

/** Advances the fake clock, letting promise callbacks run between its timers. */
async function advance(clock: { tickAsync(ms: number): Promise<unknown> }, ms: number): Promise<void> {
  await clock.tickAsync(ms);
  await flushPromises();
}

/**
 * A started manager with discovery (interval 30 s, timeout 10 s, random 0.5: the
 * first poll waits 15 s, later ones 30 s + 7.5 s) and no server at all.
 */
function withDiscovery(options: Parameters<typeof managerHarness>[0] = {}) {
  const box: { discover?: ReturnType<typeof manualDiscover> } = {};
  const h = managerHarness({
    random: () => 0.5,
    discover: (signal) => (box.discover as ReturnType<typeof manualDiscover>).discover(signal),
    pinger: scriptedPinger(() => true),
    ...options,
  });
  box.discover = manualDiscover(h.clock);
  return { ...h, polls: box.discover.polls };
}

describe('ServerManager discovery', () => {
  it('does not poll before start()', async () => {
    const { clock, polls } = withDiscovery();
    await advance(clock, 100_000);
    expect(polls).toHaveLength(0);
  });

  it('polls first after U(0, discoverInterval) while offline, both sides of the timer', async () => {
    const { manager, clock, polls } = withDiscovery();
    manager.start();
    await advance(clock, 14_999);
    expect(polls).toHaveLength(0);
    await advance(clock, 1);
    expect(polls).toHaveLength(1);
    await manager.stop();
  });

  it('feeds the servers found to the backup list and stops polling once one is healthy', async () => {
    const { manager, clock, polls, names, events } = withDiscovery();
    manager.start();
    await advance(clock, 15_000);
    polls[0]?.resolve([server('d1'), server('d2')]);
    await flushPromises();
    expect(names()).toEqual(['d1', 'd2']);
    expect(manager.health().every((h) => h.backup)).toBe(true);
    expect(manager.isOffline()).toBe(false);
    expect(events).toEqual(['up:d1', 'up:d2', 'online']);
    await advance(clock, 600_000);
    expect(polls).toHaveLength(1);
    await manager.stop();
  });

  it('polls again discoverInterval + U(0, discoverInterval / jitterFraction) after a poll ends, one at a time', async () => {
    const { manager, clock, polls, names } = withDiscovery();
    manager.start();
    await advance(clock, 15_000);
    polls[0]?.resolve([]);
    await flushPromises();
    await advance(clock, 37_499);
    expect(polls).toHaveLength(1);
    await advance(clock, 1);
    expect(polls).toHaveLength(2);
    // The second poll hangs: no third starts until the 10 s timeout abandons it.
    await advance(clock, 9_999);
    expect(polls).toHaveLength(2);
    await advance(clock, 1 + 37_499);
    expect(polls).toHaveLength(2);
    await advance(clock, 1);
    expect(polls).toHaveLength(3);
    // The abandoned poll's late answer changes nothing.
    polls[1]?.resolve([server('late')]);
    await flushPromises();
    expect(names()).toEqual([]);
    await manager.stop();
  });

  it('abandons a poll that ignores its signal at discoverTimeout, and not a millisecond before', async () => {
    const { manager, clock, polls, log } = withDiscovery({ discoverTimeout: 2000 });
    manager.start();
    await advance(clock, 15_000);
    await advance(clock, 1999);
    expect(polls[0]?.signal.aborted).toBe(false);
    await advance(clock, 1);
    expect(polls[0]?.signal.reason).toBeInstanceOf(TimeoutError);
    expect(log.warnings().filter((l) => l.msg.includes('no answer in time'))).toEqual([
      expect.objectContaining({ msg: 'discover() gave no answer in time; polling again in 37.5 s (discoverInterval plus jitter)', retryInMs: 37_500 }),
    ]);
    // The next poll is armed from the end of this one: 37.5 s later.
    await advance(clock, 37_499);
    expect(polls).toHaveLength(1);
    await advance(clock, 1);
    expect(polls).toHaveLength(2);
    await manager.stop();
  });

  it('logs a failed poll and tries again later', async () => {
    const { manager, clock, polls, log } = withDiscovery();
    manager.start();
    await advance(clock, 15_000);
    polls[0]?.reject(new Error('dns down'));
    await flushPromises();
    // The line says when the next poll is (the wait armed from the end of this one) and why.
    expect(log.warnings().filter((l) => l.msg.startsWith('discover() failed'))).toEqual([
      expect.objectContaining({ msg: 'discover() failed; polling again in 37.5 s (discoverInterval plus jitter)', retryInMs: 37_500, err: expect.objectContaining({ message: 'dns down' }) }),
    ]);
    await advance(clock, 37_499);
    expect(polls).toHaveLength(1);
    await advance(clock, 1);
    expect(polls).toHaveLength(2);
    await manager.stop();
  });

  it('says no poll follows a failed one when a server became usable while it ran', async () => {
    const { manager, clock, polls, log } = withDiscovery();
    manager.start();
    await advance(clock, 15_000);
    manager.addServer(server('s1'));
    polls[0]?.reject(new Error('dns down'));
    await flushPromises();
    expect(manager.isOffline()).toBe(false);
    expect(log.warnings().filter((l) => l.msg.startsWith('discover() failed'))).toEqual([
      expect.objectContaining({ msg: 'discover() failed; not polling again: a server is usable now', retry: 'none' }),
    ]);
    await advance(clock, 600_000);
    expect(polls).toHaveLength(1);
    await manager.stop();
  });

  it('skips malformed and too-new entries, keeps the backups on an empty or non-array result', async () => {
    const { manager, clock, polls, names, log } = withDiscovery({ apiVersion: 1 });
    manager.start();
    await advance(clock, 15_000);
    polls[0]?.resolve('not a list');
    await flushPromises();
    expect(log.warnings().some((l) => l.msg.includes('must resolve with an array'))).toBe(true);
    await advance(clock, 37_500);
    polls[1]?.resolve([{ name: '' }, server('new', { version: 2 }), server('ok', { version: 1 })]);
    await flushPromises();
    expect(names()).toEqual(['ok']);
    expect(log.warnings().some((l) => l.msg.includes('malformed server entry'))).toBe(true);
  });

  it('polls while every listed server has failed, even when not offline', async () => {
    const { manager, clock, polls } = withDiscovery({ failureThreshold: 1 });
    manager.addServer(server('a'));
    manager.start();
    await advance(clock, 100_000);
    expect(polls).toHaveLength(0);
    manager.notifyFailedServer(server('a'));
    expect(manager.isOffline()).toBe(false);
    await advance(clock, 15_000);
    expect(polls).toHaveLength(1);
    polls[0]?.resolve([server('b1')]);
    await flushPromises();
    expect(manager.findServer()?.name).toBe('b1');
    await manager.stop();
  });

  it('cancels a pending poll when a server becomes healthy, and starts the next episode with the short wait', async () => {
    const { manager, clock, polls } = withDiscovery({ failureThreshold: 1 });
    manager.start();
    await advance(clock, 10_000);
    manager.addServer(server('a'));
    await advance(clock, 100_000);
    expect(polls).toHaveLength(0);
    manager.notifyFailedServer(server('a'));
    await advance(clock, 14_999);
    expect(polls).toHaveLength(0);
    await advance(clock, 1);
    expect(polls).toHaveLength(1);
    await manager.stop();
  });

  it('clamps its wait to the longest timer when discoverInterval is at the limit', async () => {
    const { manager, clock, polls } = withDiscovery({ discoverInterval: 2 ** 31 - 1, discoverTimeout: 1000, random: () => 0.99 });
    manager.start();
    const first = Math.floor(0.99 * (2 ** 31 - 1));
    await advance(clock, first);
    expect(polls).toHaveLength(1);
    polls[0]?.resolve([]);
    await flushPromises();
    // interval + jitter would be ~1.5 × 2^31 ms; a Node timer that long fires after 1 ms.
    await advance(clock, 2 ** 31 - 2);
    expect(polls).toHaveLength(1);
    await advance(clock, 1);
    expect(polls).toHaveLength(2);
    await manager.stop();
  });

  it('clears its timer and aborts a poll on stop()', async () => {
    const { manager, clock, polls } = withDiscovery();
    manager.start();
    await advance(clock, 15_000);
    const stopped = manager.stop();
    expect(polls[0]?.signal.aborted).toBe(true);
    await stopped;
    expect(clock.countTimers()).toBe(0);
  });
});
