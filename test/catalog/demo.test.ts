// The demo scenario (src/demo/scenario.ts) run in-process on a fake clock: the same
// script `npm run demo` plays, minutes of simulated time in milliseconds of real time.
import { describe, expect, it } from 'vitest';
import { runDemo, peakWithin, fmt, type DemoResult } from '../../src/demo/scenario.js';
import { memoryTarget, type DemoTarget } from '../../src/demo/target.js';
import { FaultInjectingBackend } from '../../src/demo/faultyBackend.js';
import { formatTable, summaryLines } from '../../src/demo/terminal.js';
import { MemoryCluster } from '../../src/catalog/memory/cluster.js';
import { ServerUnavailableError } from '../../src/catalog/errors.js';
import type { MembershipEvent } from '../../src/catalog/backend.js';
import { createTestClock, seededRandom, type TestClock } from '../../src/testing.js';
import { createCatalogAgent, type CatalogAgent } from '../../src/catalog/catalogAgent.js';
import type { Server } from '../../src/servers/types.js';
import { pino } from 'pino';

/** Runs `promise` to completion by advancing the fake clock in 50 ms steps (bounded). */
async function drive<T>(clock: TestClock, promise: Promise<T>, maxSteps = 10_000): Promise<T> {
  let done = false;
  const tracked = promise.finally(() => (done = true));
  for (let i = 0; i < maxSteps && !done; i++) await clock.tickAsync(50);
  if (!done) throw new Error('scenario did not finish');
  return tracked;
}

describe('runDemo', () => {
  it('passes every check when played against MemoryCluster on a fake clock', async () => {
    const clock = createTestClock(1_000);
    const target = memoryTarget({ clock, random: seededRandom(1) });
    const events: string[] = [];
    const result: DemoResult = await drive(clock, runDemo({ target, clock, seed: 1, onEvent: (l) => events.push(l) }));
    await target.close();
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.phases.map((p) => p.name)).toEqual(['steady state', expect.stringMatching(/^server mem-\d fails$/), 'remote deletions', 'a server joins', 'agent-1 is cut off']);
    expect(result.phases.every((p) => p.lost === 0)).toBe(true);
    expect(result.phases[0]).toMatchObject({ fullSyncs: 6, writes: 30, failures: 0 });
    expect(result.phases[1]!.failedWrites).toBeGreaterThan(0); // the failure was felt, and retried elsewhere
    expect(result.phases[2]!.writes).toBe(10);
    // The join: every agent saw it, none asked for a full sync, their changes landed by partial syncs.
    expect(result.join).toMatchObject({ sawServer: 6, askedForFullSync: 0 });
    expect(result.phases[3]!.partialSyncs).toBeGreaterThanOrEqual(6);
    // The agent cut off from every server full-synced when it came back, within the stagger window (2 s).
    expect(result.join.fullSyncAfterReturnMs).toBeLessThanOrEqual(2_000);
    expect(result.phases[4]!.lost).toBe(0);
    expect(result.totalMs).toBeLessThan(60_000);
    expect(events).toContain('— remote deletions');
    expect(clock.countTimers()).toBe(0); // agents stopped, sessions revoked, cluster closed
    expect(target.cluster.nodes()).toEqual([]);
  });

  it.each([2, 3, 4, 5, 6, 7, 8])('passes every check with seed %i', async (seed) => {
    const clock = createTestClock();
    const target = memoryTarget({ clock, random: seededRandom(seed) });
    const result = await drive(clock, runDemo({ target, clock, seed }));
    await target.close();
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
  });

  it('fails its checks when anti-entropy cannot repair (a sanity check of the checks)', async () => {
    const clock = createTestClock();
    const inner = memoryTarget({ clock, random: seededRandom(2) });
    // A target whose reads always show one extra entry: the catalogs can never agree.
    const target: DemoTarget = {
      ...inner,
      readEntries: async (node) => [...(await inner.readEntries(node)), { id: 'phantom', name: 'x', address: 'h', port: 1 }],
    };
    const result = await drive(clock, runDemo({ target, clock, timing: { phaseTimeout: 2_000 } }));
    await inner.close();
    expect(result.ok).toBe(false);
    expect(result.checks.find((c) => c.name === 'steady state converges')?.ok).toBe(false);
    expect(result.checks.find((c) => c.name === 'entries lost: 0')?.ok).toBe(false);
  });

  it('reports the scenario as failed instead of throwing when the target breaks', async () => {
    const clock = createTestClock();
    const inner = memoryTarget({ clock });
    const target: DemoTarget = { ...inner, failServer: () => Promise.reject(new Error('cannot reach the cluster')) };
    const result = await drive(clock, runDemo({ target, clock, agents: 2 }));
    await inner.close();
    expect(result.ok).toBe(false);
    expect(result.checks.at(-1)).toEqual({ name: 'scenario ran to the end', ok: false, detail: 'cannot reach the cluster' });
    expect(clock.countTimers()).toBe(0);
  });
});

describe('runDemo beforeStop (the demo\'s --linger)', () => {
  it('keeps the agents syncing after the script until beforeStop settles, then stops them all', async () => {
    const clock = createTestClock();
    const target = memoryTarget({ clock, random: seededRandom(3) });
    let agents: readonly CatalogAgent[] = [];
    let release: (() => void) | undefined;
    let checksAtLinger = 0;
    const demo = runDemo({
      target,
      clock,
      agents: 2,
      onAgents: (list) => (agents = list),
      beforeStop: (checks) => {
        checksAtLinger = checks.length;
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    for (let i = 0; i < 10_000 && !release; i++) await clock.tickAsync(50);
    expect(release).toBeDefined();
    expect(checksAtLinger).toBeGreaterThan(5); // called after every check of the script
    const before = agents.map((a) => a.agent.syncer.stats().fullSyncs);
    await clock.tickAsync(60_000); // a minute of lingering: regular full syncs go on
    expect(agents.map((a, i) => a.agent.syncer.stats().fullSyncs - before[i]!).every((n) => n >= 3)).toBe(true);
    expect(agents.map((a) => a.agent.syncer.state).includes('done')).toBe(false);
    release!();
    const result = await drive(clock, demo);
    expect(result.ok).toBe(true);
    expect(agents.map((a) => a.agent.syncer.state)).toEqual(['done', 'done']);
    await target.close();
    expect(clock.countTimers()).toBe(0);
  });
});

describe('demo logs', () => {
  it('writes each field once per JSON line (no `node` twice)', async () => {
    const clock = createTestClock();
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
    const target = memoryTarget({ clock, random: seededRandom(1), logger });
    const result = await drive(clock, runDemo({ target, clock, agents: 2, logger }));
    await target.close();
    expect(result.ok).toBe(true);
    // The demo's managers log nothing before their first rebalance (120–180 s in); make one
    // log through the same agent wiring: a heartbeat with a malformed entry is skipped with a warning.
    const cluster = new MemoryCluster({ servers: 3, clock });
    const agent = createCatalogAgent({ backend: cluster.connect('n9'), node: 'n9', clock, random: seededRandom(3), interval: 60_000, logger });
    agent.agent.servers.updateFromHeartbeat({ servers: [{ name: 's1', address: '127.0.0.1:1' }, { name: '' } as Server], numNodes: 1 });
    await cluster.close();
    const withNode = lines.filter((l) => l.includes('"node":'));
    // Lines of the registry and of the manager, the two that each added the node before.
    expect(withNode.some((l) => l.includes('"component":"registry"'))).toBe(true);
    expect(withNode.some((l) => l.includes('"component":"serverManager"'))).toBe(true);
    for (const line of lines) {
      const keys = [...line.matchAll(/"([\w]+)":/g)].map((m) => m[1]);
      // Keys of the top-level object only matter; nested `err` objects have their own.
      expect(keys.filter((k) => k === 'node').length, line).toBeLessThanOrEqual(1);
      expect(keys.filter((k) => k === 'component').length, line).toBeLessThanOrEqual(1);
    }
  });
});

describe('peakWithin', () => {
  it('counts the most offsets inside any window', () => {
    expect(peakWithin([], 100)).toBe(0);
    expect(peakWithin([0, 50, 99, 100, 400], 100)).toBe(3);
    expect(peakWithin([0, 100, 200], 100)).toBe(1);
  });
});

describe('demo formatting', () => {
  it('aligns columns and right-aligns numbers when formatting a table', () => {
    expect(formatTable(['a', 'n'], [['xx', 1], ['y', 22]])).toEqual(['a   n', '──  ──', 'xx   1', 'y   22']);
  });

  it('formats durations, never-converged and not-applicable values', () => {
    expect([fmt(12.4), fmt(1_500), fmt(undefined), fmt(null)]).toEqual(['12 ms', '1.50 s', 'never', '—']);
  });

  it('prints one row per phase and one line per check in the summary', () => {
    const lines = summaryLines(
      [{ name: 'p', durationMs: 10, fullSyncs: 1, partialSyncs: 2, failures: 0, writes: 3, failedWrites: 4, repairMs: 5, lost: 0 }],
      [{ name: 'c', ok: true, detail: 'd' }],
    );
    expect(lines).toHaveLength(5);
    expect(lines[2]).toMatch(/^p\s+10 ms\s+1\s+2\s+0\s+3\s+4\s+5 ms\s+0$/);
    expect(lines[4]).toBe('✓ c — d');
  });
});

describe('FaultInjectingBackend', () => {
  it('refuses calls to a failed server and reveals a hidden one with a join event', async () => {
    const clock = createTestClock();
    const cluster = new MemoryCluster({ clock });
    const faulty = new FaultInjectingBackend(cluster, ['mem-3']);
    const events: MembershipEvent[] = [];
    const stop = faulty.watchMembers((e) => events.push(e));
    expect(faulty.initialServers().map((s) => s.name)).toEqual(['mem-1', 'mem-2']);
    const [a, b] = faulty.initialServers();
    faulty.fail('mem-1');
    const signal = new AbortController().signal;
    await expect(faulty.client(a!).countNodes(signal)).rejects.toBeInstanceOf(ServerUnavailableError);
    await expect(faulty.pinger.ping(a!, signal)).rejects.toThrow(/injected/);
    await expect(faulty.openSession(a!, 'n', 1000, signal)).rejects.toThrow(/injected/);
    await expect(faulty.client(b!).countNodes(signal)).resolves.toBe(0);
    faulty.heal('mem-1');
    await expect(faulty.pinger.ping(a!, signal)).resolves.toBe(true);
    cluster.addServer('mem-4');
    faulty.join('mem-3');
    expect(() => faulty.join('mem-3')).toThrow(RangeError);
    expect(events.map((e) => [e.type, e.server.name])).toEqual([
      ['join', 'mem-4'],
      ['join', 'mem-3'],
    ]);
    expect(faulty.hiddenServers()).toEqual([]);
    stop();
    await faulty.close();
  });

  it('refuses every call, ping and session of an agent cut off, through its own view only, until it reconnects', async () => {
    const clock = createTestClock();
    const cluster = new MemoryCluster({ clock });
    const faulty = new FaultInjectingBackend(cluster);
    const one = faulty.forAgent('agent-1');
    const two = faulty.forAgent('agent-2');
    const [a] = one.initialServers();
    const signal = new AbortController().signal;
    faulty.cutOff('agent-1');
    await expect(one.client(a!).countNodes(signal)).rejects.toBeInstanceOf(ServerUnavailableError);
    await expect(one.client(a!).listServices('n', signal)).rejects.toThrow(/cut off/);
    await expect(one.pinger.ping(a!, signal)).rejects.toThrow(/cut off/);
    await expect(one.openSession(a!, 'n', 1000, signal)).rejects.toThrow(/cut off/);
    await expect(two.client(a!).countNodes(signal)).resolves.toBe(0);
    await expect(two.pinger.ping(a!, signal)).resolves.toBe(true);
    faulty.reconnect('agent-1');
    await expect(one.client(a!).countNodes(signal)).resolves.toBe(0);
    await expect(one.pinger.ping(a!, signal)).resolves.toBe(true);
    await one.close();
    await expect(two.client(a!).countNodes(signal)).resolves.toBe(0); // closing one view closed nothing shared
    await faulty.close();
  });
});
