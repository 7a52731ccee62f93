// Health checks in the registry on a fake clock against MemoryCluster: their own
// sync state, status changes written at once, output-only changes deferred by
// checkUpdateInterval (both sides of the timer), checks leaving with their service.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCluster } from '../../src/catalog/memory/cluster.js';
import type { MemoryOpRecord } from '../../src/catalog/memory/types.js';
import { ServiceRegistry, type ServiceRegistryOptions } from '../../src/catalog/registry.js';
import type { Check, Service } from '../../src/catalog/backend.js';
import { ServerManager } from '../../src/servers/serverManager.js';
import { StoppedError } from '../../src/shared/errors.js';
import { constantRandom, createTestClock, type TestClock } from '../../src/testing.js';

const svc = (id: string): Service => ({ id, name: 'web', address: '10.0.0.1', port: 80 });
const chk = (id: string, extra: Partial<Check> = {}): Check => ({ id, name: `check ${id}`, status: 'passing', ...extra });
const signal = (): AbortSignal => new AbortController().signal;

interface Fixture {
  clock: TestClock;
  cluster: MemoryCluster;
  registry: ServiceRegistry;
  fired: { syncChanges: number };
  checkWrites: () => MemoryOpRecord[];
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Interval 10 s and random 0.5: a deferred write lands exactly 5 s + 0.5 × 10 s = 10 s after the first deferred change. */
function setup(options: Partial<ServiceRegistryOptions> = {}): Fixture {
  const clock = createTestClock();
  const cluster = new MemoryCluster({ clock });
  const servers = new ServerManager({ pinger: cluster.pinger, clock, random: constantRandom(0) });
  for (const s of cluster.initialServers()) servers.addServer(s);
  const fired = { syncChanges: 0 };
  const syncer = { syncFull: { trigger: () => undefined }, syncChanges: { trigger: () => void fired.syncChanges++ } };
  const registry = new ServiceRegistry({ backend: cluster, servers, node: 'n1', clock, syncer, random: constantRandom(0.5), checkUpdateInterval: 10_000, sessionTtl: 60_000, ...options });
  const ops: MemoryOpRecord[] = [];
  cluster.on('op', (r) => ops.push(r));
  cleanups.push(async () => {
    await registry.close();
    await servers.stop();
    await cluster.close();
  });
  return { clock, cluster, registry, fired, checkWrites: () => ops.filter((o) => o.op === 'putCheck' || o.op === 'deleteCheck') };
}

describe('ServiceRegistry health checks', () => {
  it('writes a new check, its first output and a status change at once, each in a partial sync', async () => {
    const { registry, cluster, fired } = setup();
    expect(registry.registerCheck(chk('c1'))).toBe(true);
    expect(registry.registerCheck(chk('c1'))).toBe(false); // identical
    expect(registry.dirtyCheckIds()).toEqual(['c1']);
    await registry.syncChanges(signal());
    expect(cluster.readChecks('n1')).toEqual([chk('c1')]);
    expect(registry.updateCheck('c1', 'passing', 'HTTP 200')).toBe(true); // the first output: not deferred (Consul #9113)
    expect(registry.dirtyCheckIds()).toEqual(['c1']);
    await registry.syncChanges(signal());
    expect(cluster.readChecks('n1')).toEqual([chk('c1', { output: 'HTTP 200' })]);
    expect(registry.updateCheck('c1', 'critical', 'HTTP 500')).toBe(true);
    expect(registry.dirtyCheckIds()).toEqual(['c1']);
    await registry.syncChanges(signal());
    expect(cluster.readChecks('n1')).toEqual([chk('c1', { status: 'critical', output: 'HTTP 500' })]);
    expect(registry.updateCheck('c1', 'critical', 'HTTP 500')).toBe(false);
    expect(fired.syncChanges).toBe(3);
    expect(registry.stats()).toMatchObject({ checks: 1, dirtyChecks: 0, deferredChecks: 0 });
  });

  it('defers a second output until d/2 + U(0, d): not written at 9,999 ms, dirty at 10,000 ms', async () => {
    const { registry, cluster, clock, fired } = setup();
    registry.registerCheck(chk('c1', { output: 'load 0.1' }));
    await registry.syncChanges(signal());
    const triggers = fired.syncChanges;
    const sessionTimers = clock.countTimers();
    expect(registry.updateCheck('c1', 'passing', 'load 0.2')).toBe(true);
    expect(registry.updateCheck('c1', 'passing', 'load 0.3')).toBe(true); // same window: still one timer
    expect(registry.getCheck('c1')?.output).toBe('load 0.3'); // the local state is current
    expect(registry.stats()).toMatchObject({ dirtyChecks: 0, deferredChecks: 1 });
    expect(clock.countTimers() - sessionTimers).toBe(1);
    await clock.tickAsync(9_999);
    expect(registry.dirtyCheckIds()).toEqual([]);
    expect(fired.syncChanges).toBe(triggers);
    await clock.tickAsync(1);
    expect(registry.dirtyCheckIds()).toEqual(['c1']);
    expect(fired.syncChanges).toBe(triggers + 1);
    await registry.syncChanges(signal());
    expect(cluster.readChecks('n1')).toEqual([chk('c1', { output: 'load 0.3' })]);
    expect(registry.stats().deferredChecks).toBe(0);
  });

  it('writes a status change inside the window at once and drops the pending deferred write', async () => {
    const { registry, cluster, clock, checkWrites } = setup();
    registry.registerCheck(chk('c1', { output: 'ok' }));
    await registry.syncChanges(signal());
    const sessionTimers = clock.countTimers();
    registry.updateCheck('c1', 'passing', 'ok, slow');
    await clock.tickAsync(3_000);
    registry.updateCheck('c1', 'warning', 'slow');
    expect(registry.stats()).toMatchObject({ dirtyChecks: 1, deferredChecks: 0 });
    expect(clock.countTimers()).toBe(sessionTimers);
    await registry.syncChanges(signal());
    expect(cluster.readChecks('n1')).toEqual([chk('c1', { status: 'warning', output: 'slow' })]);
    await clock.tickAsync(20_000);
    expect(registry.dirtyCheckIds()).toEqual([]);
    expect(checkWrites()).toHaveLength(2);
  });

  it('leaves no timer and writes nothing more when a check is removed while its output is deferred', async () => {
    const { registry, cluster, clock, checkWrites } = setup();
    registry.registerCheck(chk('c1', { output: 'a' }));
    await registry.syncChanges(signal());
    const sessionTimers = clock.countTimers();
    registry.updateCheck('c1', 'passing', 'b');
    expect(clock.countTimers()).toBe(sessionTimers + 1);
    expect(registry.deregisterCheck('c1')).toBe(true);
    expect(clock.countTimers()).toBe(sessionTimers);
    await registry.syncChanges(signal());
    expect(cluster.readChecks('n1')).toEqual([]);
    await clock.tickAsync(60_000);
    expect(registry.stats()).toMatchObject({ checks: 0, dirtyChecks: 0, deferredChecks: 0 });
    expect(checkWrites().map((w) => w.op)).toEqual(['putCheck', 'deleteCheck']);
    expect(registry.deregisterCheck('c1')).toBe(false);
  });

  it('cancels every deferred write when the registry closes', async () => {
    const { registry, clock } = setup();
    for (const id of ['a', 'b']) registry.registerCheck(chk(id, { output: 'x' }));
    await registry.syncChanges(signal());
    const sessionTimers = clock.countTimers();
    for (const id of ['a', 'b']) registry.updateCheck(id, 'passing', 'y');
    expect(clock.countTimers()).toBe(sessionTimers + 2);
    await registry.close();
    expect(clock.countTimers()).toBe(0); // the session's timers went with the revoke
    expect(() => registry.updateCheck('a', 'passing', 'z')).toThrow(StoppedError);
  });

  it('leaves an output-only difference inside the window to the deferred write when a full sync finds it', async () => {
    const { registry, cluster, clock, checkWrites } = setup();
    registry.registerCheck(chk('c1', { output: 'a' }));
    await registry.syncFull(signal());
    registry.updateCheck('c1', 'passing', 'b');
    await registry.syncFull(signal());
    expect(checkWrites()).toHaveLength(1);
    expect(cluster.readChecks('n1')).toEqual([chk('c1', { output: 'a' })]);
    await clock.tickAsync(10_000);
    await registry.syncChanges(signal());
    expect(cluster.readChecks('n1')).toEqual([chk('c1', { output: 'b' })]);
    expect(checkWrites()).toHaveLength(2);
    // Outside a window a full sync repairs any difference, output included.
    cluster.deleteCheckEntry('n1', 'c1');
    await registry.syncFull(signal());
    expect(cluster.readChecks('n1')).toEqual([chk('c1', { output: 'b' })]);
  });

  it('uses a check\'s own checkUpdateInterval (0: never defer) over the registry\'s', async () => {
    const { registry, clock } = setup();
    registry.registerCheck({ ...chk('now', { output: 'a' }), checkUpdateInterval: 0 });
    registry.registerCheck({ ...chk('fast', { output: 'a' }), checkUpdateInterval: 2_000 });
    await registry.syncChanges(signal());
    registry.updateCheck('now', 'passing', 'b');
    registry.updateCheck('fast', 'passing', 'b');
    expect(registry.dirtyCheckIds()).toEqual(['now']);
    await clock.tickAsync(1_999);
    expect(registry.dirtyCheckIds()).toEqual(['now']);
    await clock.tickAsync(1);
    expect(registry.dirtyCheckIds()).toEqual(['fast', 'now']);
    expect(() => registry.registerCheck({ ...chk('bad'), checkUpdateInterval: 2 ** 31 })).toThrow(/checkUpdateInterval must be at most 2147483647 ms/);
  });

  it('removes a service\'s checks with it and refuses a check bound to an unknown service', async () => {
    const { registry, cluster } = setup();
    registry.register(svc('web'));
    registry.registerCheck(chk('web-http', { serviceId: 'web' }));
    registry.registerCheck(chk('node-disk'));
    expect(() => registry.registerCheck(chk('x', { serviceId: 'nope' }))).toThrow(/check "x" names service "nope", which is not registered/);
    await registry.syncChanges(signal());
    expect(cluster.readChecks('n1').map((c) => c.id)).toEqual(['node-disk', 'web-http']);
    registry.deregister('web');
    expect(registry.checks().map((c) => c.id)).toEqual(['node-disk']);
    await registry.syncChanges(signal());
    expect(cluster.readEntries('n1')).toEqual([]);
    expect(cluster.readChecks('n1').map((c) => c.id)).toEqual(['node-disk']);
  });

  it('refuses bad checks and updates with a typed error naming the value, changing nothing', () => {
    const { registry } = setup();
    registry.registerCheck(chk('c1'));
    expect(() => registry.registerCheck({ ...chk('c2'), status: 'ok' as never })).toThrow(/check status must be one of passing, warning, critical, received "ok"/);
    expect(() => registry.registerCheck({ ...chk('c2'), extra: 1 } as never)).toThrow(TypeError);
    expect(() => registry.updateCheck('c1', 'passing', 'x'.repeat(4097))).toThrow(/check output must be at most 4096 bytes, received 4097/);
    expect(() => registry.updateCheck('nope', 'passing')).toThrow(/no check registered with id "nope"/);
    expect(() => registry.updateCheck('c1', 'down' as never)).toThrow(RangeError);
    expect(registry.checks()).toEqual([chk('c1')]);
  });
});
