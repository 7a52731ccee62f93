// `--metrics`: an OpenTelemetry SDK whose Prometheus exporter serves every agent's
// metrics on 127.0.0.1, installed as the global meter provider before the agents are
// made (they take the global provider when they are constructed). The SDK and the
// exporter are the demo's, loaded on demand: the library itself depends on the API only.
import { metrics } from '@opentelemetry/api';
import { importPeer } from '../shared/peer.js';

/** The exporter's default port (OpenTelemetry's registered Prometheus exporter port). */
export const DEFAULT_METRICS_PORT = 9464;

export interface MetricsEndpoint {
  /** The scrape address, e.g. http://127.0.0.1:9464/metrics. */
  url: string;
  close(): Promise<void>;
}

export async function startMetrics(port: number): Promise<MetricsEndpoint> {
  const [{ PrometheusExporter }, { MeterProvider }] = await Promise.all([
    importPeer('@opentelemetry/exporter-prometheus', 'the demo\'s --metrics', () => import('@opentelemetry/exporter-prometheus')),
    importPeer('@opentelemetry/sdk-metrics', 'the demo\'s --metrics', () => import('@opentelemetry/sdk-metrics')),
  ]);
  const exporter = new PrometheusExporter({ host: '127.0.0.1', port, preventServerStart: true });
  await exporter.startServer();
  const provider = new MeterProvider({ readers: [exporter] });
  metrics.setGlobalMeterProvider(provider);
  return {
    url: `http://127.0.0.1:${port}${PrometheusExporter.DEFAULT_OPTIONS.endpoint}`,
    async close() {
      metrics.disable();
      await provider.shutdown();
    },
  };
}
