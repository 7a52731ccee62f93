// What the OpenTelemetry instrumentation costs on the syncer's hot path: the
// trigger → syncChanges → idle round trip (as in stateSyncer.bench.ts), median, four
// syncers measured block by block in one process, on one tsc build of src/:
// - none: the same build with src/telemetry/syncer.js replaced by a module that returns
//   no telemetry, so the syncer makes no OpenTelemetry call at all (the code before it);
// - API, no SDK: the default — the global providers of @opentelemetry/api, no-ops. Target: ≤ 1.05 × none;
// - metrics SDK: a MeterProvider with an in-memory reader (InMemoryMetricExporter, never exported during the run);
// - metrics + trace SDK: and a TracerProvider recording every span into an InMemorySpanExporter.
// Run: `npm run bench -- telemetry`.
import { cpSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider as SdkMeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider as SdkTracerProvider } from '@opentelemetry/sdk-trace';
import type * as SyncerModule from '../src/syncer/stateSyncer.js';
import type { Clock } from '../src/shared/clock.js';
import { removeBuild, tscBuild } from './tscBuild.js';

const BUILD = 'telemetry-bench';
const BARE = 'telemetry-bench-none';
const BLOCK = 2_000;
const BLOCKS = 20;
const WARMUP_TRIPS = 5_000;
const RATIO_TARGET = 1.05;
const root = fileURLToPath(new URL('..', import.meta.url));

type Ctor = typeof SyncerModule.StateSyncer;
const resolved = Promise.resolve();
const asyncState = { syncFull: () => resolved, syncChanges: () => resolved };
const noopClock = (): Clock => ({ setTimeout: () => 0, clearTimeout: () => undefined, now: 0 });
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const usSince = (start: bigint) => Number(process.hrtime.bigint() - start) / 1_000;
const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
const round = (x: number, digits = 2) => Number(x.toFixed(digits));
const blockOf = (samples: number[], b: number) => samples.slice(b * BLOCK, (b + 1) * BLOCK);

async function trips(StateSyncer: Ctor, providers: { meterProvider?: MeterProvider; tracerProvider?: TracerProvider }) {
  const syncer = new StateSyncer({ state: asyncState, interval: 3_600_000, clusterSize: () => 1, random: () => 0.5, clock: noopClock(), ...providers }).start();
  await settle();
  let back: (() => void) | undefined;
  syncer.on('syncChanges', () => back?.());
  const once = () =>
    new Promise<void>((resolve) => {
      back = resolve;
      syncer.syncChanges.trigger();
    });
  return {
    syncer,
    async run(n: number, samples: number[]): Promise<void> {
      for (let i = 0; i < n; i++) {
        const start = process.hrtime.bigint();
        await once();
        samples.push(usSince(start));
      }
    },
  };
}

export async function run(): Promise<Record<string, string | number>> {
  const load = tscBuild(BUILD);
  if (!load) throw new Error('tsc build failed: the figures must be taken on the built code');
  // The bare copy: the same build, its syncer telemetry module replaced by one that gives none.
  cpSync(`${root}.tmp/${BUILD}`, `${root}.tmp/${BARE}`, { recursive: true });
  writeFileSync(`${root}.tmp/${BARE}/src/telemetry/syncer.js`, 'export function syncerTelemetry() { return undefined; }\n');
  try {
    const withApi = ((await load('src/syncer/stateSyncer.js')) as typeof SyncerModule).StateSyncer;
    const bare = ((await import(pathToFileURL(`${root}.tmp/${BARE}/src/syncer/stateSyncer.js`).href)) as typeof SyncerModule).StateSyncer;
    const reader = new PeriodicExportingMetricReader({
      exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
      exportIntervalMillis: 2 ** 31 - 1,
    });
    const meterProvider = new SdkMeterProvider({ readers: [reader] });
    const spans = new InMemorySpanExporter();
    const tracerProvider = new SdkTracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
    const runs = {
      none: await trips(bare, {}),
      api: await trips(withApi, {}),
      metrics: await trips(withApi, { meterProvider }),
      traced: await trips(withApi, { meterProvider, tracerProvider }),
    };
    const samples: Record<keyof typeof runs, number[]> = { none: [], api: [], metrics: [], traced: [] };
    for (const r of Object.values(runs)) await r.run(WARMUP_TRIPS, []);
    // Block by block, each block in a rotated order: none of the four always follows the same one.
    const order = Object.entries(runs);
    for (let b = 0; b < BLOCKS; b++) {
      for (let k = 0; k < order.length; k++) {
        const [name, r] = order[(b + k) % order.length]!;
        spans.reset();
        await r.run(BLOCK, samples[name as keyof typeof runs]);
      }
    }
    for (const r of Object.values(runs)) await r.syncer.stop();
    await meterProvider.shutdown();
    await tracerProvider.shutdown();
    const us = Object.fromEntries(Object.entries(samples).map(([k, s]) => [k, median(s)])) as Record<keyof typeof runs, number>;
    // The ratio per round (the two blocks of one rotation run within a second of each other,
    // under the same load), then their median: robust to the load of a shared machine drifting.
    const ratios = Array.from({ length: BLOCKS }, (_, b) => median(blockOf(samples.api, b)) / median(blockOf(samples.none, b)));
    const ratio = median(ratios);
    return {
      'round trip µs, no OpenTelemetry calls, median': round(us.none),
      'round trip µs, @opentelemetry/api without an SDK (default), median': round(us.api),
      'round trip ratio API without SDK / no calls, median of per-round ratios': `${round(ratio)} (target ≤ ${RATIO_TARGET}: ${ratio <= RATIO_TARGET ? 'met' : 'MISSED'})`,
      'per-round ratios, min–max': `${round(Math.min(...ratios))}–${round(Math.max(...ratios))}`,
      'round trip µs, metrics SDK with an in-memory reader, median': round(us.metrics),
      'round trip µs, metrics SDK + trace SDK (in-memory span exporter), median': round(us.traced),
    };
  } finally {
    removeBuild(BUILD);
    removeBuild(BARE);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await run();
  for (const [name, value] of Object.entries(figures)) console.log(`${name}  ${value}`);
}
