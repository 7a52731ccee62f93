import { describe, expect, it } from 'vitest';
import { MAX_TIMER_MS, MIN_REUSE_DURATION_MS, ServerManager } from '../../src/servers/serverManager.js';
import { StoppedError } from '../../src/shared/errors.js';
import { createRandom } from '../../src/shared/random.js';
import { createTestClock } from '../../src/testing.js';
import { flushPromises, managerHarness, manualPinger, scriptedPinger, server, servers } from '../helpers/index.js';

/** Advances the fake clock by `ms` and lets promise callbacks run. */
async function advance(clock: ReturnType<typeof createTestClock>, ms: number): Promise<void> {
  clock.tick(ms);
  await flushPromises();
}

/** Both sides of a timer: `count` − 1 pings after `ms` − 1 more milliseconds, `count` after `ms`. */
async function expectPingAt(clock: ReturnType<typeof createTestClock>, pinger: { pinged: unknown[] }, ms: number, count: number): Promise<void> {
  await advance(clock, ms - 1);
  expect(pinger.pinged).toHaveLength(count - 1);
  await advance(clock, 1);
  expect(pinger.pinged).toHaveLength(count);
}

/** Both sides of a timer, counted in rebalances (a rebalance with failed servers pings each of them too). */
async function expectRebalanceAt(clock: ReturnType<typeof createTestClock>, manager: ServerManager, ms: number, count: number): Promise<void> {
  const rebalances = (): number | undefined => manager.actor?.getSnapshot().context.rebalances;
  await advance(clock, ms - 1);
  expect(rebalances()).toBe(count - 1);
  await advance(clock, 1);
  expect(rebalances()).toBe(count);
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
    await expectPingAt(clock, pinger, MIN_REUSE_DURATION_MS, 1);
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
    await expectPingAt(clock, pinger, 150_000, 2);
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
    expect(Object.keys(actor!).sort()).toEqual(['getSnapshot', 'id', 'on', 'sessionId', 'subscribe']); // read-only: no send, no stop
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

  it('draws the wait again, U(0, d1), when the reachable count grows (1 → 5), both sides of the new timer', async () => {
    const { manager, clock, pinger } = await fixated();
    manager.setServers(servers(5));
    // d1 = 100,000 / (5 × 64) s = 312,500 ms; v = 0.5: due 156,250 ms after the change (at 220 s).
    await expectPingAt(clock, pinger, 156_250, 2);
    await manager.stop();
  });

  it('may move a wait later: the draw replaces the old wait (due in 10 s → 156.25 s)', async () => {
    const { manager, clock, pinger } = await fixated();
    // The wait armed at 120 s with one server ends at 1,682.5 s; be 10 s short of it.
    await advance(clock, 1_682_500 - 220_000 - 10_000);
    expect(pinger.pinged).toHaveLength(1);
    manager.setServers(servers(5));
    await advance(clock, 10_000);
    expect(pinger.pinged).toHaveLength(1);
    await expectPingAt(clock, pinger, 156_250 - 10_000, 2);
    await manager.stop();
  });

  it('keeps the long wait with rearmOnChange: false (Consul), both sides', async () => {
    const { manager, clock, pinger } = await fixated({ rearmOnChange: false });
    manager.setServers(servers(5));
    await expectPingAt(clock, pinger, 1_562_500 - 100_000, 2);
    await manager.stop();
  });

  it('leaves a wait the cap did not set alone: a server that flaps in a fleet of 1,000 moves nothing', async () => {
    const pinger = scriptedPinger(() => true);
    const { manager, clock } = managerHarness({ pinger, clusterSize: () => 1_000, random: () => 0.5, jitterFirstRebalance: false });
    for (const s of servers(5)) manager.addServer(s);
    manager.start();
    await advance(clock, 120_000); // armed 120 s + 0.5 × 60 s = 150 s: due at 270 s
    for (let i = 0; i < 20; i++) {
      manager.applyMembershipEvent({ type: 'leave', server: server('s5') });
      await flushPromises();
      manager.applyMembershipEvent({ type: 'join', server: server('s5') });
      await flushPromises();
    }
    await expectPingAt(clock, pinger, 150_000, 2);
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
    await expectPingAt(clock, pinger, 174_000 - 1000, 1);
    await manager.stop();
  });

  it('never re-arms sooner than 60 s after the last rebalance started', async () => {
    // random 0.01: the draw is 3,125 ms, so the spacing decides.
    const pinger = scriptedPinger(() => true);
    const { manager, clock } = managerHarness({ pinger, clusterSize: () => 100_000, random: () => 0.01, jitterFirstRebalance: false });
    manager.addServer(server('s1'));
    manager.start();
    await advance(clock, 121_000);
    expect(pinger.pinged).toHaveLength(1);
    manager.setServers(servers(5));
    await expectPingAt(clock, pinger, 180_000 - 121_000, 2);
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
    // Drawn with 1 reachable (1,562,500); the join brings 2: d1 = 781,250, drawn again at 0.5: due 390,625 ms later.
    manager.applyMembershipEvent({ type: 'join', server: server('s2') });
    await flushPromises();
    const pings: number[] = [];
    pinger.ping = () => (pings.push(clock.now), Promise.resolve(true));
    await advance(clock, 390_625 - 1);
    expect(pings).toEqual([]);
    await advance(clock, 1);
    expect(pings).toEqual([610_625]);
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

  it('draws the wait again, U(0, d1), when the reachable count shrinks and the cap binds (5 → 1), both sides', async () => {
    const { manager, clock } = await balanced();
    // The last of the four failures decides: 0.5 × 1,562.5 s = 781.25 s after it (at 220 s), not the 212.5 s left.
    await expectRebalanceAt(clock, manager, 781_250, 2);
    await manager.stop();
  });

  /** `nodes` nodes, 5 servers, first wait 150 s (random 0.5); 4 of them fail 10 s after start(). */
  async function partitionedInFirstWait(nodes: number) {
    const h = managerHarness({ pinger: scriptedPinger(() => true), clusterSize: () => nodes, random: () => 0.5 });
    for (const s of servers(5)) h.manager.addServer(s);
    h.manager.start();
    await advance(h.clock, 10_000);
    for (const name of ['s2', 's3', 's4', 's5']) h.manager.applyMembershipEvent({ type: 'failed', server: server(name) });
    await flushPromises();
    return h;
  }

  it('re-times a first wait when the count shrinks and the cap binds: a partition soon after a restart', async () => {
    const { manager, clock } = await partitionedInFirstWait(100_000);
    // 0.5 × 1,562.5 s after the failures, not the 140 s left of the first wait.
    await expectRebalanceAt(clock, manager, 781_250, 1);
    await manager.stop();
  });

  it('leaves a first wait alone when the cap binds at neither count (1,000 nodes, 5 → 1)', async () => {
    const { manager, clock } = await partitionedInFirstWait(1_000);
    await expectRebalanceAt(clock, manager, 140_000, 1);
    await manager.stop();
  });

  it('draws again at each join of the heal, one join at a time: due within the last delay', async () => {
    const { manager, clock, pinger } = await balanced();
    await advance(clock, 80_000);
    for (const name of ['s2', 's3', 's4', 's5']) manager.applyMembershipEvent({ type: 'join', server: server(name) });
    await flushPromises();
    // Four draws at 0.5 (781.25 → 520.8 → 390.6 → 312.5 s); the last decides: due at 300 s + 156.25 s.
    await advance(clock, 156_250 - 1);
    expect(pinger.pinged).toHaveLength(1);
    await advance(clock, 1);
    expect(pinger.pinged.length).toBeGreaterThan(1);
    await manager.stop();
  });

  it('draws a capped wait again when a server leaves and again when it returns (100,000 nodes, 5 → 4 → 5)', async () => {
    const pinger = scriptedPinger(() => true);
    const { manager, clock } = managerHarness({ pinger, clusterSize: () => 100_000, random: () => 0.5, jitterFirstRebalance: false, jitterCappedWait: false });
    for (const s of servers(5)) manager.addServer(s);
    manager.start();
    await advance(clock, 120_000); // armed 312.5 s: due at 432.5 s
    await advance(clock, 100_000);
    manager.applyMembershipEvent({ type: 'leave', server: server('s5') });
    await flushPromises();
    // Drawn at 0.5 of 100,000 / (4 × 64) s = 390.625 s: due 195,312 ms after the leave (draws are whole ms).
    await expectPingAt(clock, pinger, 195_312, 2);
    await advance(clock, 10_000); // armed 390.625 s with four servers
    manager.applyMembershipEvent({ type: 'join', server: server('s5') });
    await flushPromises();
    // Drawn again at 0.5 of 312.5 s: due 156.25 s after the join.
    await expectPingAt(clock, pinger, 156_250, 3);
    await manager.stop();
  });

  it('keeps every re-armed wait within the timer limit when the delay is clamped to 2³¹ − 1 ms (10¹² nodes)', async () => {
    const pinger = scriptedPinger(() => true);
    const { manager, clock } = managerHarness({ pinger, clusterSize: () => 1e12, random: () => 0.5, jitterFirstRebalance: false });
    const fatal: unknown[] = [];
    manager.on('fatal', (err) => fatal.push(err));
    for (const s of servers(5)) manager.addServer(s);
    manager.start();
    await advance(clock, 120_000); // first rebalance; the next wait is clamped to MAX_TIMER_MS
    expect(manager.rebalanceDelay()).toBe(MAX_TIMER_MS);
    // Shrink: the cap's interval at one server is clamped too, so no longer than the wait: nothing moves.
    for (const name of ['s2', 's3', 's4', 's5']) manager.applyMembershipEvent({ type: 'failed', server: server(name) });
    await flushPromises();
    // Growth: drawn again over the clamped delay, 0.5 × (2³¹ − 1) ms, a timer the clock accepts.
    for (const name of ['s2', 's3', 's4', 's5']) manager.applyMembershipEvent({ type: 'join', server: server(name) });
    await flushPromises();
    await expectRebalanceAt(clock, manager, Math.floor(0.5 * MAX_TIMER_MS), 2);
    expect(fatal).toEqual([]);
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

  it('does not re-time a wait when the cap does not bind at the smaller count (jitter is not a change)', async () => {
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

  it('spreads a fleet uniformly over the new delay whatever spread its old waits had (400 managers, all due late)', async () => {
    // 400 managers with one server at 100,000 nodes rebalance within 10 s of each other, so
    // their waits all end in the same 10 s window. The healthy count grows to 5 at 1,500 s:
    // the next rebalances must spread uniformly over [0, 312.5 s), not follow the old waits.
    const clock = createTestClock();
    const random = createRandom(11);
    const pings: number[] = [];
    const managers: ServerManager[] = [];
    for (let i = 0; i < 400; i++) {
      const m = new ServerManager({
        clock,
        random,
        clusterSize: () => 100_000,
        jitterFirstRebalance: false,
        jitterCappedWait: false,
        pinger: { ping: () => (clock.now >= 1_500_000 && pings.push(clock.now - 1_500_000), Promise.resolve(true)) },
      });
      m.addServer(server('s1'));
      managers.push(m);
    }
    for (let i = 0; i < 400; i++) {
      (managers[i] as ServerManager).start();
      await advance(clock, 25); // started over 10 s: first rebalances at 120–130 s, next due at 1,682.5–1,692.5 s
    }
    // One second at a time: each rebalance finishes (its ping settles) before the next timer fires.
    while (clock.now < 1_500_000) await advance(clock, Math.min(1000, 1_500_000 - clock.now));
    for (const m of managers) m.setServers(servers(5));
    await advance(clock, 312_500);
    expect(pings).toHaveLength(400);
    const bins = new Array<number>(5).fill(0);
    for (const t of pings) bins[Math.floor((t / 312_500) * 5)]!++;
    // Uniform: each fifth holds ~80 (binomial σ ≈ 8). Keeping the sooner of the old wait (182.5–192.5 s) and a draw
    // (the first design) measured 60, 69, 160, 111, 0: the old waits pile up and nothing is left for the last fifths.
    for (const b of bins) expect(Math.abs(b - 80)).toBeLessThan(30);
    await Promise.all(managers.map((m) => m.stop()));
  });

  it('spreads a fleet uniformly over the longer delay when the count shrinks, whatever spread its old waits had (400 managers)', async () => {
    // 400 managers, 100,000 nodes, 5 servers, started over 10 s: first rebalances at 120–130 s, next due at
    // 432.5–442.5 s. At 400 s four servers fail: the next rebalances must spread over [0, 1,562.5 s) from there.
    // Stretching the 32.5–42.5 s left by × 5 would put all 400 within 162.5–212.5 s: 1.6 × the cap for those 50 s.
    const clock = createTestClock();
    const random = createRandom(12);
    const rebalancedAt: number[] = [];
    const managers: ServerManager[] = [];
    // From 400 s on only s1 answers, so a rebalance does not re-admit the others.
    const ping = (s: { name: string }): Promise<boolean> => Promise.resolve(clock.now < 400_000 || s.name === 's1');
    for (let i = 0; i < 400; i++) {
      const m = new ServerManager({ clock, random, clusterSize: () => 100_000, jitterFirstRebalance: false, jitterCappedWait: false, pinger: { ping } });
      for (const s of servers(5)) m.addServer(s);
      m.on('rebalanced', () => clock.now >= 400_000 && rebalancedAt.push(clock.now - 400_000));
      managers.push(m);
    }
    for (const m of managers) {
      m.start();
      await advance(clock, 25);
    }
    while (clock.now < 400_000) await advance(clock, Math.min(1000, 400_000 - clock.now));
    for (const m of managers) for (const name of ['s2', 's3', 's4', 's5']) m.applyMembershipEvent({ type: 'failed', server: server(name) });
    for (let t = 0; t < 1_562_500; t += 1000) await advance(clock, 1000);
    expect(rebalancedAt).toHaveLength(400);
    const bins = new Array<number>(5).fill(0);
    for (const t of rebalancedAt) bins[Math.floor((t / 1_562_500) * 5)]!++;
    for (const b of bins) expect(Math.abs(b - 80)).toBeLessThan(30);
    await Promise.all(managers.map((m) => m.stop()));
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
    await expectPingAt(clock, pinger, 1_953_125, 2);
    await manager.stop();
  });

  it('waits exactly d with jitterCappedWait: false (Consul), both sides', async () => {
    const { manager, clock, pinger } = await firstRebalanced({ jitterCappedWait: false });
    await expectPingAt(clock, pinger, 1_562_500, 2);
    await manager.stop();
  });

  it('adds nothing to a wait the cap does not stretch (1,000 nodes: 120 s + 0.5 × 60 s)', async () => {
    const { manager, clock, pinger } = await firstRebalanced({ clusterSize: () => 1_000 });
    await expectPingAt(clock, pinger, 150_000, 2);
    await manager.stop();
  });

  it('refuses a jitterCappedWait that is not a boolean', () => {
    expect(() => managerHarness({ pinger: scriptedPinger(() => true), jitterCappedWait: 'yes' as unknown as boolean })).toThrow(/jitterCappedWait must be a boolean/);
  });
});
