// The syncer's metrics and spans, read through the SDK's in-memory exporters: each
// instrument moves when its event happens and not otherwise, with the bounded attributes.
import { readFileSync } from 'node:fs';
import { metrics, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateSyncer, type StateSyncerOptions } from '../../src/syncer/stateSyncer.js';
import { TimeoutError } from '../../src/shared/errors.js';
import { ATTR, INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION, METRIC, SPAN } from '../../src/telemetry/names.js';
import { constantRandom, createTestClock, type TestClock } from '../../src/testing.js';
import { scriptedSyncState, settle, type ScriptedSyncState } from '../helpers/index.js';
import { otelHarness, type OtelHarness } from '../helpers/otel.js';

const INTERVAL = 60_000;
const FULL = { [ATTR.syncKind]: 'full' };
const PARTIAL = { [ATTR.syncKind]: 'partial' };

let clock: TestClock;
let state: ScriptedSyncState;
let otel: OtelHarness;
let syncer: StateSyncer | undefined;

function make(options: Partial<StateSyncerOptions> = {}): StateSyncer {
  syncer = new StateSyncer({
    state,
    interval: INTERVAL,
    clusterSize: () => 1,
    random: constantRandom(0.5),
    clock,
    meterProvider: otel.meterProvider,
    tracerProvider: otel.tracerProvider,
    ...options,
  });
  return syncer;
}

beforeEach(() => {
  clock = createTestClock();
  state = scriptedSyncState(clock);
  otel = otelHarness();
  syncer = undefined;
});

afterEach(async () => {
  if (syncer) {
    const stopped = syncer.stop();
    await clock.tickAsync(20_000);
    await stopped;
  }
  await otel.shutdown();
});

describe('syncer metrics', () => {
  it('counts a successful full sync once as started and once as a success, and its duration in seconds', async () => {
    state.mode.syncFull = 'manual';
    make().start();
    expect(await otel.value(METRIC.syncsStarted, FULL)).toBe(1);
    expect(await otel.value(METRIC.syncsFinished)).toBe(0);
    await clock.tickAsync(1_500);
    state.last('syncFull')?.resolve();
    await settle(clock);
    expect(await otel.points(METRIC.syncsFinished)).toEqual([{ attributes: { ...FULL, [ATTR.outcome]: 'success' }, value: 1 }]);
    expect(await otel.points(METRIC.syncDuration)).toEqual([
      expect.objectContaining({ attributes: { ...FULL, [ATTR.outcome]: 'success' }, value: 1, sum: 1.5 }),
    ]);
  });

  it('counts a failed full sync once as a failure and never as a success', async () => {
    state.mode.syncFull = 'reject';
    make().start();
    await settle(clock);
    expect(await otel.points(METRIC.syncsFinished)).toEqual([
      { attributes: { ...FULL, [ATTR.outcome]: 'failure', [ATTR.errorType]: '_OTHER' }, value: 1 },
    ]);
    expect(await otel.value(METRIC.syncsFinished, { [ATTR.outcome]: 'success' })).toBe(0);
  });

  it('names ae-sync\'s own failures by their code: a sync past syncTimeout is ERR_TIMEOUT', async () => {
    state.mode.syncFull = 'manual';
    make({ syncTimeout: 1_000 }).start();
    await clock.tickAsync(999);
    expect(await otel.value(METRIC.syncsFinished)).toBe(0);
    await clock.tickAsync(1);
    expect(await otel.value(METRIC.syncsFinished, { [ATTR.outcome]: 'failure', [ATTR.errorType]: new TimeoutError('').code })).toBe(1);
  });

  it('counts partial syncs by outcome, apart from full ones', async () => {
    const s = make().start();
    await settle(clock);
    s.syncChanges.trigger();
    await settle(clock);
    state.mode.syncChanges = 'reject';
    s.syncChanges.trigger();
    await settle(clock);
    expect(await otel.value(METRIC.syncsStarted, PARTIAL)).toBe(2);
    expect(await otel.value(METRIC.syncsFinished, { ...PARTIAL, [ATTR.outcome]: 'success' })).toBe(1);
    expect(await otel.value(METRIC.syncsFinished, { ...PARTIAL, [ATTR.outcome]: 'failure' })).toBe(1);
    expect(await otel.value(METRIC.syncsFinished, { ...FULL, [ATTR.outcome]: 'success' })).toBe(1);
  });

  it('counts a trigger as coalesced only when a run of its kind is already pending', async () => {
    state.mode.syncFull = 'manual';
    const s = make().start();
    s.syncChanges.trigger();
    s.syncChanges.trigger();
    expect(await otel.points(METRIC.triggers)).toEqual(
      expect.arrayContaining([
        { attributes: { ...PARTIAL, [ATTR.triggerCoalesced]: false }, value: 1 },
        { attributes: { ...PARTIAL, [ATTR.triggerCoalesced]: true }, value: 1 },
      ]),
    );
    expect(await otel.value(METRIC.triggers, FULL)).toBe(0);
  });

  it('counts pauses and a full sync skipped while paused', async () => {
    const s = make().start();
    await settle(clock);
    expect(await otel.value(METRIC.pauses)).toBe(0);
    void s.pause();
    expect(await otel.value(METRIC.pauses)).toBe(1);
    expect(await otel.value(METRIC.syncsSkipped)).toBe(0);
    s.syncFull.trigger();
    await clock.tickAsync(3_000);
    expect(await otel.value(METRIC.syncsSkipped, FULL)).toBe(1);
    expect(await otel.value(METRIC.syncsStarted, FULL)).toBe(1);
  });

  it('reports each running syncer in its state, paused above all, and forgets it once stopped', async () => {
    state.mode.syncFull = 'reject';
    const s = make().start();
    await settle(clock);
    const count = (st: string) => otel.value(METRIC.syncerCount, { [ATTR.syncerState]: st });
    expect(await count('retry_full_sync')).toBe(1);
    expect(await count('partial_sync')).toBe(0);
    state.mode.syncFull = 'resolve';
    await clock.tickAsync(15_000 + 7_500);
    expect(await count('retry_full_sync')).toBe(0);
    expect(await count('partial_sync')).toBe(1);
    void s.pause();
    expect(await count('paused')).toBe(1);
    expect(await count('partial_sync')).toBe(0);
    s.resume();
    await s.stop();
    for (const st of ['full_sync', 'partial_sync', 'retry_full_sync', 'paused']) expect(await count(st), st).toBe(0);
  });

  it('reports through the global meter provider when given none', async () => {
    metrics.setGlobalMeterProvider(otel.meterProvider);
    try {
      make({ meterProvider: undefined }).start();
      await settle(clock);
      expect(await otel.value(METRIC.syncsFinished, { ...FULL, [ATTR.outcome]: 'success' })).toBe(1);
    } finally {
      metrics.disable();
    }
  });

  it('keeps two syncers with their own providers apart', async () => {
    const other = otelHarness();
    const second = new StateSyncer({ state, interval: INTERVAL, clusterSize: () => 1, random: constantRandom(0.5), clock, meterProvider: other.meterProvider });
    make().start();
    second.start();
    second.syncChanges.trigger();
    await settle(clock);
    expect(await otel.value(METRIC.syncsStarted, PARTIAL)).toBe(0);
    expect(await other.value(METRIC.syncsStarted, PARTIAL)).toBe(1);
    await second.stop();
    await other.shutdown();
  });

  it('names the meter after the package with its version', async () => {
    make().start();
    await settle(clock);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
    expect([INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION]).toEqual([pkg.name, pkg.version]);
    const span = otel.spans()[0];
    expect(span?.instrumentationScope).toMatchObject({ name: pkg.name, version: pkg.version });
  });
});

describe('syncer spans', () => {
  it('ends a span per sync pass with its kind and outcome', async () => {
    const s = make().start();
    await settle(clock);
    s.syncChanges.trigger();
    await settle(clock);
    expect(otel.spans().map((sp) => [sp.name, sp.attributes[ATTR.syncKind], sp.attributes[ATTR.outcome], sp.status.code])).toEqual([
      [SPAN.sync, 'full', 'success', SpanStatusCode.OK],
      [SPAN.sync, 'partial', 'success', SpanStatusCode.OK],
    ]);
  });

  it('records the error on the span of a failed pass', async () => {
    state.mode.syncFull = 'reject';
    make().start();
    await settle(clock);
    const [span] = otel.spans();
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'syncFull failed' });
    expect(span?.attributes).toMatchObject({ [ATTR.outcome]: 'failure', [ATTR.errorType]: '_OTHER' });
    expect(span?.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('makes no span through the global tracer until an SDK is registered there, then picks it up', async () => {
    const s = make({ tracerProvider: undefined }).start();
    await settle(clock);
    s.syncChanges.trigger();
    await settle(clock);
    expect(otel.spans()).toHaveLength(0);
    trace.setGlobalTracerProvider(otel.tracerProvider);
    try {
      s.syncChanges.trigger();
      await settle(clock);
      expect(otel.spans().map((sp) => sp.attributes[ATTR.syncKind])).toEqual(['partial']);
    } finally {
      trace.disable();
    }
  });

  it('ends the span of a sync still in flight at stop() as cancelled', async () => {
    state.mode.syncFull = 'manual';
    const s = make().start();
    expect(otel.spans()).toHaveLength(0);
    void s.stop();
    expect(otel.spans().map((sp) => sp.attributes[ATTR.outcome])).toEqual(['cancelled']);
  });
});

describe('syncer telemetry options', () => {
  it.each([
    ['meterProvider', {}],
    ['meterProvider', 'global'],
    ['tracerProvider', { getMeter: () => undefined }],
    ['tracerProvider', null],
    ['meterProvider', { getMeter: () => undefined }],
  ])('refuses %s = %j with a TypeError naming it, before anything starts', (option, value) => {
    expect(() => make({ [option]: value })).toThrow(new RegExp(`^${option}(\\.getMeter\\(\\))? must (be|return) an OpenTelemetry`));
    expect(state.calls).toHaveLength(0);
    syncer = undefined;
  });
});
