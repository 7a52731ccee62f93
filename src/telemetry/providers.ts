// The `meterProvider` / `tracerProvider` options every public constructor takes: their
// documentation, validation and the global defaults, in one place.
import { metrics, trace, type Meter, type MeterProvider, type Tracer, type TracerProvider } from '@opentelemetry/api';
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
  tracer: Tracer;
}

/** Validates the options (TypeError naming the value) and gets the meter and tracer named after the package. */
export function resolveTelemetry(options: TelemetryOptions): Telemetry {
  const meterProvider = checkProvider<MeterProvider>('meterProvider', options.meterProvider, 'getMeter') ?? metrics.getMeterProvider();
  const tracerProvider = checkProvider<TracerProvider>('tracerProvider', options.tracerProvider, 'getTracer') ?? trace.getTracerProvider();
  return {
    meterProvider,
    meter: meterProvider.getMeter(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION),
    tracer: tracerProvider.getTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION),
  };
}

function checkProvider<T>(name: string, value: unknown, method: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || typeof (value as Record<string, unknown>)[method] !== 'function') {
    throw new TypeError(`${name} must be an OpenTelemetry ${name === 'meterProvider' ? 'MeterProvider' : 'TracerProvider'} (an object with ${method}()), received ${describeValue(value)}`);
  }
  return value as T;
}
