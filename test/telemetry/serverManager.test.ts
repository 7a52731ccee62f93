// The server manager's metrics and spans, read through the SDK's in-memory exporters.
import { context, trace } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ServerManager } from '../../src/servers/serverManager.js';
import { createRandom } from '../../src/shared/random.js';
import { ATTR, METRIC, SPAN } from '../../src/telemetry/names.js';
import { createTestClock, scriptedPinger, type TestClock } from '../../src/testing.js';
import { server, settle } from '../helpers/index.js';
import { otelHarness, useContextManager, type OtelHarness } from '../helpers/otel.js';

let clock: TestClock;
let otel: OtelHarness;
let manager: ServerManager;
let up: Set<string>;
let dropContext: () => void;

beforeAll(() => {
  dropContext = useContextManager();
});
afterAll(() => dropContext());

beforeEach(() => {
  clock = createTestClock();
  otel = otelHarness();
  up = new Set(['a', 'b']);
  manager = new ServerManager({
    pinger: scriptedPinger((s) => up.has(s.name)),
    clock,
    random: createRandom(1),
    meterProvider: otel.meterProvider,
    tracerProvider: otel.tracerProvider,
  });
});

afterEach(async () => {
  await manager.stop();
  await otel.shutdown();
});

const outcome = (o: string) => ({ [ATTR.outcome]: o });

describe('server manager metrics', () => {
  it('counts a rebalance that found a server as a success, one that found none as offline', async () => {
    manager.setServers([server('a'), server('b')]);
    await manager.rebalanceServers();
    expect(await otel.points(METRIC.rebalances)).toEqual([{ attributes: outcome('success'), value: 1 }]);
    up.clear();
    await manager.rebalanceServers();
    expect(await otel.value(METRIC.rebalances, outcome('offline'))).toBe(1);
    expect(await otel.value(METRIC.rebalances, outcome('success'))).toBe(1);
  });

  it('counts a server switch only when a rebalance chose another server than the last one', async () => {
    manager.setServers([server('a'), server('b')]);
    await manager.rebalanceServers();
    const first = manager.findServer()?.name;
    await manager.rebalanceServers();
    const switches = manager.findServer()?.name === first ? 0 : 1;
    expect(await otel.value(METRIC.serverSwitches)).toBe(switches);
    up.delete(first!);
    await manager.rebalanceServers();
    expect(manager.findServer()?.name).not.toBe(first);
    expect(await otel.value(METRIC.serverSwitches)).toBe(switches + 1);
  });

  it('counts servers by health state while started, and nothing after stop()', async () => {
    manager.setServers([server('a'), server('b'), server('c')]);
    manager.start();
    const count = (s: string) => otel.value(METRIC.serverCount, { [ATTR.serverState]: s });
    expect(await count('healthy')).toBe(3);
    await manager.call(() => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(await count('healthy')).toBe(2);
    expect(await count('suspect')).toBe(1);
    manager.drain(server('c'));
    expect(await count('draining')).toBe(1);
    await manager.stop();
    expect(await count('healthy')).toBe(0);
  });

  it('reports the rebalance delay in force, in seconds, once the loop has armed one', async () => {
    manager.setServers([server('a')]);
    expect(await otel.points(METRIC.rebalanceDelay)).toEqual([]);
    manager.start();
    const [point] = await otel.points(METRIC.rebalanceDelay);
    // The first wait: minReuseDuration (120 s) plus a jitter below 60 s.
    expect(point?.value).toBeGreaterThanOrEqual(120);
    expect(point?.value).toBeLessThan(180);
  });

  it('counts calls by outcome: success, failure, no servers, cancelled by the caller', async () => {
    await manager.call(() => 1).catch(() => undefined);
    expect(await otel.points(METRIC.calls)).toEqual([{ attributes: { ...outcome('no_servers'), [ATTR.errorType]: 'ERR_NO_SERVERS' }, value: 1 }]);
    manager.setServers([server('a')]);
    await manager.call(() => 1);
    await manager.call(() => Promise.reject(new Error('boom'))).catch(() => undefined);
    const caller = new AbortController();
    const pending = manager.call(() => new Promise(() => undefined), { signal: caller.signal });
    caller.abort();
    await pending.catch(() => undefined);
    expect(await otel.value(METRIC.calls, outcome('success'))).toBe(1);
    expect(await otel.value(METRIC.calls, { ...outcome('failure'), [ATTR.errorType]: '_OTHER' })).toBe(1);
    expect(await otel.value(METRIC.calls, outcome('cancelled'))).toBe(1);
    expect(await otel.value(METRIC.calls)).toBe(4);
  });
});

describe('server manager spans', () => {
  it('runs each call in a client span naming the server, a child of the caller\'s span', async () => {
    manager.setServers([server('a')]);
    const parent = otel.tracerProvider.getTracer('test').startSpan('parent');
    let inner: string | undefined;
    await context.with(trace.setSpan(context.active(), parent), () =>
      manager.call(async () => {
        await settle(clock);
        inner = trace.getActiveSpan()?.spanContext().spanId;
      }),
    );
    parent.end();
    const call = otel.spans().find((s) => s.name === SPAN.call);
    expect(call?.attributes).toEqual({ [ATTR.serverName]: 'a', [ATTR.outcome]: 'success' });
    expect(call?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(inner).toBe(call?.spanContext().spanId);
  });

  it('records a failed call\'s error on its span', async () => {
    manager.setServers([server('a')]);
    await manager.call(() => Promise.reject(new Error('boom'))).catch(() => undefined);
    const [span] = otel.spans();
    expect(span?.status.message).toBe('boom');
    expect(span?.events.map((e) => e.name)).toEqual(['exception']);
  });
});

describe('server manager telemetry options', () => {
  it('refuses a meterProvider that is not one, naming the value', () => {
    expect(() => new ServerManager({ pinger: scriptedPinger(() => true), meterProvider: 42 as never })).toThrow(
      /^meterProvider must be an OpenTelemetry MeterProvider \(an object with getMeter\(\)\), received 42$/,
    );
  });
});
