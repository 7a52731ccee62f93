import { describe, expect, it } from 'vitest';
import { rearmDraw } from '../../src/servers/loop.js';
import { MIN_REUSE_DURATION_MS, ServerManager } from '../../src/servers/serverManager.js';
import { StoppedError } from '../../src/shared/errors.js';
import { createRandom } from '../../src/shared/random.js';
import { createTestClock } from '../../src/testing.js';
import { flushPromises, managerHarness, manualPinger, scriptedPinger, server, servers } from '../helpers/index.js';

/** Advances the fake clock by `ms` and lets promise callbacks run. */
async function advance(clock: ReturnType<typeof createTestClock>, ms: number): Promise<void> {
  clock.tick(ms);
  await flushPromises();
}

describe('ServerManager loop: first rebalance', () => {
  it('waits minReuseDuration + U(0, minReuseDuration / jitterFraction): 150 s at random 0.5, not a millisecond less', async () => {
    const pinger = scriptedPinger(() => true);
    const { manager, clock } = managerHarness({ pinger, random: () => 0.5 });
    manager.addServer(server('a'));
    manager.start();
    await advance(clock, 149_999);
    expect(pinger.pinged).toHaveLength(0);
    await advance(clock, 1);
    expect(pinger.pinged).toHaveLength(1);
    await manager.stop();
  });

  it('waits exactly minReuseDuration with jitterFirstRebalance: false (Consul)', async () => {
    const pinger = scriptedPinger(() => true);
    const { manager, clock } = managerHarness({ pinger, random: () => 0.5, jitterFirstRebalance: false });
    manager.addServer(server('a'));
    manager.start();
    await advance(clock, MIN_REUSE_DURATION_MS - 1);
    expect(pinger.pinged).toHaveLength(0);
    await advance(clock, 1);
    expect(pinger.pinged).toHaveLength(1);
    await manager.stop();
  });

  it('spreads 50 managers started together over the jitter window instead of lockstep', async () => {
    const firstPing = (jitter: boolean): Promise<number[]> => {
      const clock = createTestClock();
      const times: number[] = [];
      const managers = Array.from({ length: 50 }, (_, i) => {
        const m = new ServerManager({
          pinger: { ping: () => (times.push(clock.now), Promise.resolve(true)) },
          clock,
          random: createRandom(i + 1),
          jitterFirstRebalance: jitter,
        });
        m.addServer(server('a'));
        return m.start();
      });
      clock.tick(180_000);
      return Promise.all(managers.map((m) => m.stop())).then(() => times);
    };
    const spread = await firstPing(true);
    expect(spread).toHaveLength(50);
    expect(Math.min(...spread)).toBeGreaterThanOrEqual(120_000);
    expect(Math.max(...spread)).toBeLessThan(180_000);
    // No one-second bucket holds more than 50 / 30 × 3 of them (uniform over 60 s gives < 1 per second).
    const buckets = new Map<number, number>();
    for (const t of spread) buckets.set(Math.floor(t / 1000), (buckets.get(Math.floor(t / 1000)) ?? 0) + 1);
    expect(Math.max(...buckets.values())).toBeLessThanOrEqual(5);
    const lockstep = await firstPing(false);
    expect(new Set(lockstep)).toEqual(new Set([120_000]));
  });
});

describe('ServerManager loop: later rebalances', () => {
  it('waits rebalanceDelay() after each rebalance and not a millisecond less', async () => {
    const pinger = scriptedPinger(() => true);
    const { manager, clock } = managerHarness({ pinger, random: () => 0.5 });
    manager.addServer(server('a'));
    manager.addServer(server('b'));
    manager.start();
    await advance(clock, 150_000);
    expect(pinger.pinged).toHaveLength(1);
    await advance(clock, 150_000 - 1);
    expect(pinger.pinged).toHaveLength(1);
    await advance(clock, 1);
    expect(pinger.pinged).toHaveLength(2);
    expect(manager.actor?.getSnapshot().context.rebalances).toBe(2);
    await manager.stop();
    expect(clock.countTimers()).toBe(0);
  });

  it('starts once when start() is called twice, and leaves no timer after stop while waiting', async () => {
    const { manager, clock } = managerHarness();
    manager.addServer(server('a'));
    expect(manager.start()).toBe(manager);
    const actor = manager.actor;
    manager.start();
    expect(manager.actor).toBe(actor);
    expect(clock.countTimers()).toBe(1);
    await manager.stop();
    await manager.stop();
    expect(manager.actor?.getSnapshot().value).toBe('stopped');
    expect(clock.countTimers()).toBe(0);
  });

  it('resolves stop() before start(), repeatedly, and refuses start() afterwards', async () => {
    const { manager, clock } = managerHarness();
    await expect(manager.stop()).resolves.toBeUndefined();
    await expect(manager.stop()).resolves.toBeUndefined();
    expect(() => manager.start()).toThrow(StoppedError);
    expect(clock.countTimers()).toBe(0);
  });
});

describe('ServerManager loop: requests are damped', () => {
  it('rebalances at start for a request made before start(), and ignores one made after stop()', async () => {
    const pinger = scriptedPinger(() => true);
    const { manager } = managerHarness({ pinger });
    manager.addServer(server('a'));
    manager.requestRebalance();
    manager.requestRebalance();
    expect(pinger.pinged).toHaveLength(0);
    manager.start();
    await flushPromises();
    expect(pinger.pinged).toHaveLength(1);
    await manager.stop();
    manager.requestRebalance();
    await flushPromises();
    expect(pinger.pinged).toHaveLength(1);
  });

  it('serves a request at once when the last rebalance started at least minReuseDuration / jitterFraction ago', async () => {
    const pinger = scriptedPinger(() => true);
    const { manager, clock } = managerHarness({ pinger, random: () => 0.5 });
    manager.addServer(server('a'));
    manager.start();
    manager.requestRebalance(); // no rebalance yet: at once
    await flushPromises();
    expect(pinger.pinged).toHaveLength(1);
    await advance(clock, 60_000);
    manager.requestRebalance();
    await flushPromises();
    expect(pinger.pinged).toHaveLength(2);
    await manager.stop();
  });

  it('defers a request to 60 s after the last rebalance started, coalescing requests, both sides of the timer', async () => {
    const pinger = scriptedPinger(() => true);
    const { manager, clock } = managerHarness({ pinger, random: () => 0.5 });
    manager.addServer(server('a'));
    manager.start();
    manager.requestRebalance();
    await flushPromises();
    expect(pinger.pinged).toHaveLength(1);
    await advance(clock, 10_000);
    for (let i = 0; i < 5; i++) manager.requestRebalance();
    await advance(clock, 49_999);
    expect(pinger.pinged).toHaveLength(1);
    await advance(clock, 1);
    expect(pinger.pinged).toHaveLength(2);
    // Served: the next one waits a full rebalanceDelay() (150 s at random 0.5).
    await advance(clock, 149_999);
    expect(pinger.pinged).toHaveLength(2);
    await advance(clock, 1);
    expect(pinger.pinged).toHaveLength(3);
    await manager.stop();
  });

  it('serves requests made during a rebalance once, no sooner than the spacing after it started', async () => {
    const pinger = manualPinger();
    const { manager, clock } = managerHarness({ pinger, random: () => 0.5 });
    manager.addServer(server('a'));
    manager.start();
    manager.requestRebalance();
    await flushPromises();
    expect(pinger.pending).toHaveLength(1);
    await advance(clock, 5_000);
    manager.requestRebalance();
    manager.requestRebalance();
    pinger.pending[0]?.resolve(true);
    await flushPromises();
    expect(manager.actor?.getSnapshot().value).toBe('waiting');
    await advance(clock, 54_999);
    expect(pinger.pending).toHaveLength(1);
    await advance(clock, 1);
    expect(pinger.pending).toHaveLength(2);
    pinger.pending[1]?.resolve(true);
    await flushPromises();
    await manager.stop();
    expect(clock.countTimers()).toBe(0);
  });

  it('never rebalances more often than once a minute however often requests come', async () => {
    const pinger = scriptedPinger(() => true);
    const { manager, clock } = managerHarness({ pinger, random: createRandom(9) });
    manager.addServer(server('a'));
    manager.start();
    const starts: number[] = [];
    pinger.ping = () => (starts.push(clock.now), Promise.resolve(true));
    for (let t = 0; t < 30 * 60_000; t += 1000) {
      manager.requestRebalance();
      await advance(clock, 1000);
    }
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] as number));
    expect(starts.length).toBeGreaterThanOrEqual(29);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(60_000);
    await manager.stop();
  });
});

describe('ServerManager loop: re-arm on change', () => {
  /**
   * 100,000 nodes, constant random 0.5, first rebalance at 120 s with s1 as the only
   * server: the wait armed then is 100,000 / 64 = 1,562.5 s. At 220 s four more join.
   */
  async function fixated(options: Parameters<typeof managerHarness>[0] = {}) {
    let nodes = 100_000;
    const pinger = scriptedPinger(() => true);
    // Capped waits unjittered: these tests check the re-arm arithmetic on exact waits.
    const h = managerHarness({ pinger, clusterSize: () => nodes, random: () => 0.5, jitterFirstRebalance: false, jitterCappedWait: false, ...options });
    h.manager.addServer(server('s1'));
    h.manager.start();
    await advance(h.clock, 120_000);
    expect(pinger.pinged).toHaveLength(1);
    await advance(h.clock, 100_000);
    return { ...h, pinger, setNodes: (n: number) => (nodes = n) };
  }

  it('shortens the wait to the re-arm draw when the healthy count grows (1 → 5), both sides of the new timer', async () => {
    const { manager, clock, pinger } = await fixated();
    manager.setServers(servers(5));
    // d0 = 1,562,500, d1 = 312,500, v = 0.5: t = 0.5 / (1/312,500 − 0.5/1,562,500) ≈ 173,611.1 ms.
    expect(rearmDraw(1_562_500, 312_500, 0.5)).toBeCloseTo(173_611.1, 1);
    await advance(clock, 173_611);
    expect(pinger.pinged).toHaveLength(1);
    await advance(clock, 1);
    expect(pinger.pinged).toHaveLength(2);
    await manager.stop();
  });

  it('keeps the long wait with rearmOnChange: false (Consul), both sides', async () => {
    const { manager, clock, pinger } = await fixated({ rearmOnChange: false });
    manager.setServers(servers(5));
    await advance(clock, 1_562_500 - 100_000 - 1);
    expect(pinger.pinged).toHaveLength(1);
    await advance(clock, 1);
    expect(pinger.pinged).toHaveLength(2);
    await manager.stop();
  });

  it('re-arms once per new high of the count: a server that flaps does not shorten the wait again', async () => {
    const { manager, clock, pinger, setNodes } = await fixated();
    manager.setServers(servers(5)); // re-armed to 220,000 + 173,611.1
    await advance(clock, 10_000);
    // With fewer nodes a fresh draw would land at ~328,700 — sooner — if a flap re-armed.
    setNodes(20_000);
    manager.removeServer(server('s5'));
    manager.addServer(server('s5'));
    await advance(clock, 393_611 - 230_000);
    expect(pinger.pinged).toHaveLength(1);
    await advance(clock, 1);
    expect(pinger.pinged).toHaveLength(2);
    await manager.stop();
  });

  it('does not re-arm the first wait: a fresh list needs no spreading', async () => {
    // random 0.9 once (a 174 s first wait), then 0.1: a re-arm would draw ~122 s and move it sooner.
    let first = true;
    const random = () => (first ? ((first = false), 0.9) : 0.1);
    const pinger = scriptedPinger(() => true);
    const { manager, clock } = managerHarness({ pinger, random });
    manager.addServer(server('s1'));
    manager.start();
    await advance(clock, 1000);
    manager.setServers(servers(5));
    await advance(clock, 174_000 - 1000 - 1);
    expect(pinger.pinged).toHaveLength(0);
    await advance(clock, 1);
    expect(pinger.pinged).toHaveLength(1);
    await manager.stop();
  });

  it('never re-arms sooner than 60 s after the last rebalance started', async () => {
    // random 0.99: the draw is ~3.9 s, so the spacing decides.
    const pinger = scriptedPinger(() => true);
    const { manager, clock } = managerHarness({ pinger, clusterSize: () => 100_000, random: () => 0.99, jitterFirstRebalance: false });
    manager.addServer(server('s1'));
    manager.start();
    await advance(clock, 121_000);
    expect(pinger.pinged).toHaveLength(1);
    manager.setServers(servers(5));
    await advance(clock, 180_000 - 121_000 - 1);
    expect(pinger.pinged).toHaveLength(1);
    await advance(clock, 1);
    expect(pinger.pinged).toHaveLength(2);
    await manager.stop();
  });

  it('re-arms when a failed server is re-admitted by a join', async () => {
    const pinger = scriptedPinger(() => true);
    const { manager, clock } = managerHarness({ pinger, clusterSize: () => 100_000, random: () => 0.5, jitterFirstRebalance: false });
    for (const s of servers(2)) manager.addServer(s);
    manager.applyMembershipEvent({ type: 'failed', server: server('s2') });
    await flushPromises();
    pinger.ping = (s) => Promise.resolve(s.name === 's1');
    manager.start();
    await advance(clock, 120_000);
    await advance(clock, 100_000);
    // Armed with 1 healthy (1,562,500); the join brings 2: d1 = 781,250, t = 0.5 / (1/781,250 − 0.5/1,562,500) = 520,833.3.
    manager.applyMembershipEvent({ type: 'join', server: server('s2') });
    await flushPromises();
    const pings: number[] = [];
    pinger.ping = () => (pings.push(clock.now), Promise.resolve(true));
    await advance(clock, 520_833);
    expect(pings).toEqual([]);
    await advance(clock, 1);
    expect(pings).toEqual([740_834]);
    await manager.stop();
  });

  /** 100,000 nodes, 5 healthy servers: the first rebalance at 120 s arms 312.5 s (due at 432.5 s). */
  async function balanced(options: Parameters<typeof managerHarness>[0] = {}) {
    const pinger = scriptedPinger(() => true);
    const h = managerHarness({ pinger, clusterSize: () => 100_000, random: () => 0.5, jitterFirstRebalance: false, jitterCappedWait: false, ...options });
    for (const s of servers(5)) h.manager.addServer(s);
    h.manager.start();
    await advance(h.clock, 120_000);
    expect(pinger.pinged).toHaveLength(1);
    await advance(h.clock, 100_000);
    // 4 of 5 fail (a partition as gossip reports it).
    for (const name of ['s2', 's3', 's4', 's5']) h.manager.applyMembershipEvent({ type: 'failed', server: server(name) });
    await flushPromises();
    return { ...h, pinger };
  }

  it('stretches the wait by d1 / d0 when the healthy count shrinks and the cap binds (5 → 1: ×5), both sides', async () => {
    const { manager, clock, pinger } = await balanced();
    // Remaining 212.5 s × 1,562.5 / 312.5 = 1,062.5 s: due at 220 s + 1,062.5 s = 1,282.5 s.
    await advance(clock, 1_062_500 - 1);
    expect(pinger.pinged).toHaveLength(1);
    await advance(clock, 1);
    expect(pinger.pinged.length).toBeGreaterThan(1);
    await manager.stop();
  });

  it('shortens the stretched wait again when the servers return (the heal), one join at a time', async () => {
    const { manager, clock, pinger } = await balanced();
    await advance(clock, 80_000);
    for (const name of ['s2', 's3', 's4', 's5']) manager.applyMembershipEvent({ type: 'join', server: server(name) });
    await flushPromises();
    // Four draws at v = 0.5, each from the last delay to the next (1,562.5 → 781.25 → 520.8 → 390.6 → 312.5 s),
    // each the sooner: due at 300 s + 260.4 s.
    await advance(clock, 260_416);
    expect(pinger.pinged).toHaveLength(1);
    await advance(clock, 1);
    expect(pinger.pinged.length).toBeGreaterThan(1);
    await manager.stop();
  });

  it('keeps the wait with rearmOnChange: false when the healthy count shrinks (Consul), both sides', async () => {
    const { manager, clock, pinger } = await balanced({ rearmOnChange: false });
    await advance(clock, 432_500 - 220_000 - 1);
    expect(pinger.pinged).toHaveLength(1);
    await advance(clock, 1);
    expect(pinger.pinged.length).toBeGreaterThan(1);
    await manager.stop();
  });

  it('does not stretch a wait when the cap does not bind at the smaller count (jitter is not a change)', async () => {
    let r = 0.1;
    const pinger = scriptedPinger(() => true);
    const { manager, clock } = managerHarness({ pinger, random: () => r, jitterFirstRebalance: false });
    for (const s of servers(5)) manager.addServer(s);
    manager.start();
    await advance(clock, 120_000); // next wait: 120 s + 0.1 × 60 s = 126 s, due at 246 s
    r = 0.9; // a fresh delay would now say 174 s: longer, but only by jitter
    for (const name of ['s2', 's3', 's4', 's5']) manager.notifyFailedServer(server(name));
    await advance(clock, 126_000 - 1);
    expect(pinger.pinged).toHaveLength(1);
    await advance(clock, 1);
    expect(pinger.pinged.length).toBeGreaterThan(1);
    await manager.stop();
  });

  it('moves a fleet whose remaining waits are uniform onto the new delay uniformly (the draw, 20,000 samples)', () => {
    const random = createRandom(7);
    const d0 = 1_562_500;
    const d1 = 312_500;
    const bins = new Array<number>(10).fill(0);
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const remaining = random() * d0;
      const next = Math.min(remaining, rearmDraw(d0, d1, random()));
      expect(next).toBeLessThan(d1);
      bins[Math.floor((next / d1) * 10)]!++;
    }
    // Uniform: each tenth of [0, d1) holds ~2,000; a plain U(0, d1) draw would pile up early (first bin ~3,600).
    for (const b of bins) expect(Math.abs(b - n / 10)).toBeLessThan(200);
  });
});

describe('ServerManager loop: a wait the cap stretches is jittered', () => {
  async function firstRebalanced(options: Parameters<typeof managerHarness>[0] = {}) {
    const pinger = scriptedPinger(() => true);
    const h = managerHarness({ pinger, clusterSize: () => 100_000, random: () => 0.5, jitterFirstRebalance: false, ...options });
    h.manager.addServer(server('s1'));
    h.manager.start();
    await advance(h.clock, 120_000);
    expect(pinger.pinged).toHaveLength(1);
    return { ...h, pinger };
  }

  it('waits d + U(0, d / jitterFraction) when the cap binds (100,000 nodes, 1 server: d = 1,562.5 s), both sides', async () => {
    const { manager, clock, pinger } = await firstRebalanced();
    // d = 100,000 / 64 s = 1,562,500 ms; jitter 0.5 × d / 2 = 390,625 ms.
    await advance(clock, 1_953_125 - 1);
    expect(pinger.pinged).toHaveLength(1);
    await advance(clock, 1);
    expect(pinger.pinged).toHaveLength(2);
    await manager.stop();
  });

  it('waits exactly d with jitterCappedWait: false (Consul), both sides', async () => {
    const { manager, clock, pinger } = await firstRebalanced({ jitterCappedWait: false });
    await advance(clock, 1_562_500 - 1);
    expect(pinger.pinged).toHaveLength(1);
    await advance(clock, 1);
    expect(pinger.pinged).toHaveLength(2);
    await manager.stop();
  });

  it('adds nothing to a wait the cap does not stretch (1,000 nodes: 120 s + 0.5 × 60 s)', async () => {
    const { manager, clock, pinger } = await firstRebalanced({ clusterSize: () => 1_000 });
    await advance(clock, 150_000 - 1);
    expect(pinger.pinged).toHaveLength(1);
    await advance(clock, 1);
    expect(pinger.pinged).toHaveLength(2);
    await manager.stop();
  });

  it('refuses a jitterCappedWait that is not a boolean', () => {
    expect(() => managerHarness({ pinger: scriptedPinger(() => true), jitterCappedWait: 'yes' as unknown as boolean })).toThrow(/jitterCappedWait must be a boolean/);
  });
});
