// The catalog agent's registry metrics and the nesting of spans: sync pass → manager
// call → registry operation. Also: every attribute any instrument reports is from the
// bounded set (no service id, node name or server name reaches a metric).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryCluster } from '../../src/catalog/memory/cluster.js';
import { createCatalogAgent, type CatalogAgent, type CatalogAgentOptions } from '../../src/catalog/catalogAgent.js';
import { createSyncAgent } from '../../src/agent.js';
import type { CatalogBackend, CatalogClient, Service } from '../../src/catalog/backend.js';
import { ATTR, METRIC, SPAN } from '../../src/telemetry/names.js';
import { constantRandom, createTestClock, scriptedPinger, scriptedSyncState, type TestClock } from '../../src/testing.js';
import { settle } from '../helpers/index.js';
import { otelHarness, useContextManager, type OtelHarness } from '../helpers/otel.js';

const svc = (id: string): Service => ({ id, name: 'web', address: '10.0.0.1', port: 80 });
const ok = (op: string) => ({ [ATTR.operation]: op, [ATTR.outcome]: 'success' });

let clock: TestClock;
let cluster: MemoryCluster;
let otel: OtelHarness;
let agents: CatalogAgent[];
let dropContext: () => void;

beforeAll(() => {
  dropContext = useContextManager();
});
afterAll(() => dropContext());

beforeEach(() => {
  clock = createTestClock();
  cluster = new MemoryCluster({ clock });
  otel = otelHarness();
  agents = [];
});

afterEach(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await cluster.close();
  await otel.shutdown();
});

function agent(backend: CatalogBackend = cluster, options: Partial<CatalogAgentOptions> = {}): CatalogAgent {
  const a = createCatalogAgent({
    backend,
    node: 'n1',
    clock,
    random: constantRandom(0),
    interval: 60_000,
    meterProvider: otel.meterProvider,
    tracerProvider: otel.tracerProvider,
    ...options,
  });
  agents.push(a);
  return a;
}

/** `cluster` with puts that fail while `failing.put` is set. */
function failingPuts(failing: { put: boolean }): CatalogBackend {
  return {
    initialServers: () => cluster.initialServers(),
    client: (server) => {
      const c = cluster.client(server);
      const wrapped: CatalogClient = {
        listServices: (n, s) => c.listServices(n, s),
        putService: (n, svc_, id, s) => (failing.put ? Promise.reject(new Error('disk full')) : c.putService(n, svc_, id, s)),
        deleteService: (n, id, s) => c.deleteService(n, id, s),
        countNodes: (s) => c.countNodes(s),
      };
      return wrapped;
    },
    pinger: cluster.pinger,
    watchMembers: (l) => cluster.watchMembers(l),
    openSession: (server, node, ttl, signal) => cluster.openSession(server, node, ttl, signal),
    close: () => cluster.close(),
  };
}

describe('registry metrics', () => {
  it('counts the first full sync\'s session, read and write, and the entry in sync', async () => {
    const a = agent();
    a.registry.register(svc('web-1'));
    expect(await otel.value(METRIC.entryCount)).toBe(0); // not started: not observed
    a.start();
    await clock.tickAsync(100);
    expect(await otel.value(METRIC.operations, ok('open_session'))).toBe(1);
    expect(await otel.value(METRIC.operations, ok('list'))).toBe(1);
    expect(await otel.value(METRIC.operations, ok('put'))).toBe(1);
    expect(await otel.value(METRIC.operations, { [ATTR.outcome]: 'failure' })).toBe(0);
    expect(await otel.value(METRIC.sessionsOpened)).toBe(1);
    expect(await otel.value(METRIC.entryCount, { [ATTR.entryState]: 'in_sync' })).toBe(1);
    expect(await otel.value(METRIC.entryCount, { [ATTR.entryState]: 'dirty' })).toBe(0);
  });

  it('counts a failed put as a failure and not a success, and the entry as dirty', async () => {
    const failing = { put: true };
    const a = agent(failingPuts(failing), { writeAttempts: 1 });
    a.registry.register(svc('web-1'));
    a.start();
    await clock.tickAsync(100);
    expect(await otel.value(METRIC.operations, { [ATTR.operation]: 'put', [ATTR.outcome]: 'failure', [ATTR.errorType]: '_OTHER' })).toBe(1);
    expect(await otel.value(METRIC.operations, ok('put'))).toBe(0);
    expect(await otel.value(METRIC.entryCount, { [ATTR.entryState]: 'dirty' })).toBe(1);
    expect(await otel.value(METRIC.entryCount, { [ATTR.entryState]: 'in_sync' })).toBe(0);
    expect(await otel.value(METRIC.syncsFinished, { [ATTR.syncKind]: 'full', [ATTR.outcome]: 'failure', [ATTR.errorType]: 'ERR_CATALOG_SYNC' })).toBe(1);
  });

  it('counts an entry the servers refuse as blocked, neither in sync nor dirty, and a batch\'s writes', async () => {
    const small = new MemoryCluster({ clock, maxEntryBytes: 200 });
    const a = agent(small);
    a.registry.register(svc('web-1'));
    a.registry.register({ ...svc('huge'), meta: { blob: 'x'.repeat(500) } });
    a.start();
    await clock.tickAsync(100);
    expect(await otel.value(METRIC.entryCount, { [ATTR.entryState]: 'blocked' })).toBe(1);
    expect(await otel.value(METRIC.entryCount, { [ATTR.entryState]: 'in_sync' })).toBe(1);
    expect(await otel.value(METRIC.entryCount, { [ATTR.entryState]: 'dirty' })).toBe(0);
    expect(await otel.value(METRIC.syncsFinished, { [ATTR.syncKind]: 'full', [ATTR.outcome]: 'success' })).toBe(1);
    await a.stop();
    await small.close();
  });

  it('keeps the session counts of a stopped agent (a counter never goes back)', async () => {
    const a = agent();
    a.start();
    await clock.tickAsync(100);
    expect(await otel.value(METRIC.sessionsOpened)).toBe(1);
    await a.stop();
    expect(await otel.value(METRIC.sessionsOpened)).toBe(1);
    expect(await otel.value(METRIC.entryCount)).toBe(0);
  });

  it('counts a node conflict when another live session holds the node', async () => {
    agent().start();
    await clock.tickAsync(100);
    agent(cluster, { meterProvider: otel.meterProvider }).start();
    await clock.tickAsync(100);
    expect(await otel.value(METRIC.nodeConflicts)).toBe(1);
    expect(await otel.value(METRIC.operations, { [ATTR.operation]: 'open_session', [ATTR.errorType]: 'ERR_NODE_CONFLICT' })).toBe(1);
  });
});

describe('catalog spans', () => {
  it('nests each operation under its manager call under the sync pass, which tells the entries written and the server', async () => {
    const a = agent();
    a.registry.register(svc('web-1'));
    a.registry.register(svc('web-2'));
    a.start();
    await clock.tickAsync(100);
    const spans = otel.spans();
    const pass = spans.find((s) => s.name === SPAN.sync && s.attributes[ATTR.syncKind] === 'full');
    expect(pass?.attributes).toMatchObject({ [ATTR.outcome]: 'success', [ATTR.entriesWritten]: 2, [ATTR.serverName]: expect.any(String) });
    const calls = spans.filter((s) => s.name === SPAN.call && s.parentSpanContext?.spanId === pass?.spanContext().spanId);
    const ops = spans
      .filter((s) => s.name === SPAN.operation && calls.some((c) => c.spanContext().spanId === s.parentSpanContext?.spanId))
      .map((s) => s.attributes[ATTR.operation]);
    expect(ops).toEqual(['open_session', 'list', 'batch']); // both writes in one batch, counted as 2 entries written
  });
});

describe('bounded attributes', () => {
  it('reports only the documented attribute keys, each with a value from its fixed list', async () => {
    const failing = { put: false };
    const a = agent(failingPuts(failing), { writeAttempts: 1 });
    for (let i = 0; i < 20; i++) a.registry.register(svc(`web-${i}`));
    a.start();
    await clock.tickAsync(100);
    failing.put = true;
    a.registry.register(svc('web-x'));
    await clock.tickAsync(100);
    void a.agent.syncer.pause();
    a.agent.syncer.resume();
    await clock.tickAsync(20_000);
    const bare = createSyncAgent({
      state: scriptedSyncState(clock),
      pinger: scriptedPinger(() => true),
      interval: 60_000,
      clock,
      random: constantRandom(0),
      meterProvider: otel.meterProvider,
    }).start();
    await settle(clock);
    await bare.stop();
    const allowed: Record<string, readonly unknown[]> = {
      [ATTR.syncKind]: ['full', 'partial'],
      [ATTR.outcome]: ['success', 'failure', 'cancelled', 'no_servers', 'frozen', 'offline'],
      [ATTR.syncerState]: ['full_sync', 'partial_sync', 'retry_full_sync', 'paused'],
      [ATTR.triggerCoalesced]: [true, false],
      [ATTR.serverState]: ['healthy', 'suspect', 'failed', 'draining'],
      [ATTR.entryState]: ['in_sync', 'dirty', 'blocked'],
      [ATTR.operation]: ['list', 'put', 'delete', 'list_checks', 'put_check', 'delete_check', 'get_node', 'put_node', 'batch', 'count', 'open_session'],
    };
    const seen = new Set<string>();
    for (const [name, metric] of await otel.collect()) {
      expect(name.startsWith('ae_sync.')).toBe(true);
      for (const point of metric.dataPoints) {
        for (const [key, value] of Object.entries(point.attributes)) {
          seen.add(key);
          if (key === ATTR.errorType) expect(String(value), `${name} ${key}`).toMatch(/^(ERR_[A-Z_]+|AbortError|_OTHER)$/);
          else expect(allowed[key], `${name} ${key}=${String(value)}`).toContain(value);
        }
      }
    }
    // The activity above reached every key.
    expect([...seen].sort()).toEqual([...Object.keys(allowed), ATTR.errorType].sort());
  });
});

describe('telemetry options of the agents', () => {
  it('createSyncAgent and createCatalogAgent refuse a provider that is not one, naming the option, before anything runs', () => {
    const state = scriptedSyncState(clock);
    expect(() =>
      createSyncAgent({ state, pinger: scriptedPinger(() => true), interval: 60_000, clock, tracerProvider: { getTracer: 1 } as never }),
    ).toThrow(/^tracerProvider must be an OpenTelemetry TracerProvider \(an object with getTracer\(\)\), received \[object Object\]$/);
    expect(() => agent(cluster, { meterProvider: 'prometheus' as never })).toThrow(/^meterProvider must be an OpenTelemetry MeterProvider .*received "prometheus"$/);
    agents.length = 0;
    expect(state.calls).toHaveLength(0);
    expect(clock.countTimers()).toBe(0);
  });
});
