// An OpenTelemetry SDK for one test: a MeterProvider whose reader exports into the SDK's
// InMemoryMetricExporter on demand, a TracerProvider with an InMemorySpanExporter, and
// readers for what they hold. The async-hooks context manager (what NodeSDK installs)
// is registered by `useContextManager()` so that spans nest across awaits.
import { context, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';

export interface Point {
  attributes: Attributes;
  /** A sum's or gauge's value; a histogram's count. */
  value: number;
  /** A histogram's sum. */
  sum?: number;
}

export interface OtelHarness {
  meterProvider: MeterProvider;
  tracerProvider: TracerProvider;
  /** Collects now; every metric by name. */
  collect(): Promise<Map<string, MetricData>>;
  /** The data points of `name` after a collection ([] when it has none). */
  points(name: string): Promise<Point[]>;
  /** The sum of `name`'s points whose attributes include `match` (0 when none). */
  value(name: string, match?: Attributes): Promise<number>;
  spans(): ReadableSpan[];
  shutdown(): Promise<void>;
}

export function otelHarness(): OtelHarness {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // Exports only when asked (forceFlush); the interval is the longest timer Node holds.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 2 ** 31 - 1, exportTimeoutMillis: 10_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spanExporter })] });

  const collect = async (): Promise<Map<string, MetricData>> => {
    exporter.reset();
    await reader.forceFlush();
    const all = new Map<string, MetricData>();
    for (const rm of exporter.getMetrics()) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) all.set(m.descriptor.name, m);
    return all;
  };
  const points = async (name: string): Promise<Point[]> => {
    const metric = (await collect()).get(name);
    if (metric === undefined) return [];
    return metric.dataPoints.map((p): Point => {
      if (metric.dataPointType === DataPointType.HISTOGRAM) {
        const h = p.value as { count: number; sum?: number };
        return { attributes: p.attributes, value: h.count, sum: h.sum };
      }
      return { attributes: p.attributes, value: p.value as number };
    });
  };
  return {
    meterProvider,
    tracerProvider,
    collect,
    points,
    async value(name, match = {}) {
      let total = 0;
      for (const p of await points(name)) if (Object.entries(match).every(([k, v]) => p.attributes[k] === v)) total += p.value;
      return total;
    },
    spans: () => spanExporter.getFinishedSpans(),
    async shutdown() {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
    },
  };
}

/** Registers the async-hooks context manager until the returned function is called. */
export function useContextManager(): () => void {
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  return () => {
    manager.disable();
    context.disable();
  };
}
