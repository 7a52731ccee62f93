// The `meterProvider` / `tracerProvider` options every public constructor takes: their
// documentation, validation and the global defaults, in one place.
import { metrics, ProxyTracerProvider, trace, type Meter, type MeterProvider, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { describeValue } from '../shared/options.js';
import { INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION } from './names.js';

export type { MeterProvider, TracerProvider };

export interface TelemetryOptions {
  /**
   * Where this instance's metrics go (an OpenTelemetry `MeterProvider`, e.g. the SDK's).
   * Defaults to the global one (`metrics.getMeterProvider()`, a no-op until an SDK is
   * registered) as it is when the instance is constructed: register the SDK first.
   */
  meterProvider?: MeterProvider;
  /**
   * Where this instance's spans go (an OpenTelemetry `TracerProvider`). Defaults to the
   * global one (`trace.getTracerProvider()`, a no-op until an SDK is registered).
   */
  tracerProvider?: TracerProvider;
}

/** The meter and tracer an instance reports through. */
export interface Telemetry {
  meterProvider: MeterProvider;
  meter: Meter;
  tracer: TracerRef;
}

/**
 * The tracer, looked up when a span is about to start. While the provider is the API's
 * global proxy with no SDK behind it, there is none and no span is made at all: the
 * no-op path then costs one method call, not a span object and a context lookup per
 * sync (bench/telemetry.bench.ts). An SDK registered later is picked up at the next span.
 */
export class TracerRef {
  readonly #proxy: ProxyTracerProvider | undefined;
  #tracer: Tracer | undefined;

  constructor(provider: TracerProvider) {
    if (provider instanceof ProxyTracerProvider) this.#proxy = provider;
    else this.#tracer = provider.getTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);
  }

  get(): Tracer | undefined {
    return this.#tracer ?? (this.#tracer = this.#proxy?.getDelegateTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION));
  }
}

const tracerRefs = new WeakMap<TracerProvider, TracerRef>();

/** Validates the options (TypeError naming the value) and gets the meter and tracer named after the package. */
export function resolveTelemetry(options: TelemetryOptions): Telemetry {
  const meterProvider = checkProvider<MeterProvider>('meterProvider', options.meterProvider, 'getMeter') ?? metrics.getMeterProvider();
  const tracerProvider = checkProvider<TracerProvider>('tracerProvider', options.tracerProvider, 'getTracer') ?? trace.getTracerProvider();
  const meter: unknown = meterProvider.getMeter(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);
  if (typeof meter !== 'object' || meter === null || typeof (meter as Partial<Meter>).createCounter !== 'function') {
    throw new TypeError(`meterProvider.getMeter() must return an OpenTelemetry Meter, received ${describeValue(meter)}`);
  }
  return { meterProvider, meter: meter as Meter, tracer: tracerRef(tracerProvider) };
}

function checkProvider<T>(name: string, value: unknown, method: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || typeof (value as Record<string, unknown>)[method] !== 'function') {
    throw new TypeError(`${name} must be an OpenTelemetry ${name === 'meterProvider' ? 'MeterProvider' : 'TracerProvider'} (an object with ${method}()), received ${describeValue(value)}`);
  }
  return value as T;
}

function tracerRef(provider: TracerProvider): TracerRef {
  let ref = tracerRefs.get(provider);
  if (ref === undefined) tracerRefs.set(provider, (ref = new TracerRef(provider)));
  return ref;
}
