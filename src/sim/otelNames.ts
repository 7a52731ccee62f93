// The simulator's totals under the OpenTelemetry names an agent reports in production
// (docs/observability.md), so a dashboard built on the simulator's results reads like
// one built on Prometheus. Only the figures that mean the same thing are mapped.
import { ATTR, METRIC } from '../telemetry/names.js';
import type { SimSummary } from './simulator.js';

export interface OtelPoint {
  /** The instrument's name. */
  name: string;
  /** The same total in Prometheus: the series to sum (`sum(<selector>)` at the run's end). */
  promql: string;
  value: number;
}

/** Prometheus names: dots become underscores; counters gain `_total`. */
const prom = (name: string): string => `${name.replaceAll('.', '_')}_total`;
const label = (key: string): string => key.replaceAll('.', '_');

/** Which summary figure is which instrument and series. */
export const SIM_TO_OTEL: readonly { figure: keyof SimSummary; name: string; promql: string }[] = [
  // The simulator counts the syncs whose call succeeded.
  {
    figure: 'fullSyncs',
    name: METRIC.syncsFinished,
    promql: `${prom(METRIC.syncsFinished)}{${label(ATTR.syncKind)}="full",${label(ATTR.outcome)}="success"}`,
  },
  {
    figure: 'partialSyncs',
    name: METRIC.syncsFinished,
    promql: `${prom(METRIC.syncsFinished)}{${label(ATTR.syncKind)}="partial",${label(ATTR.outcome)}="success"}`,
  },
  // Every `rebalanced` event: a rebalance that found a server (as it chose, or frozen).
  { figure: 'rebalances', name: METRIC.rebalances, promql: `${prom(METRIC.rebalances)}{${label(ATTR.outcome)}=~"success|frozen"}` },
  // Not mapped: `newConnections` counts every change of an agent's front server (a failed
  // call's rotation too), where ae_sync.server_manager.server.switches counts rebalances only.
];

/** The run's totals under their OpenTelemetry names. */
export function otelPoints(summary: SimSummary): OtelPoint[] {
  return SIM_TO_OTEL.map((m) => ({ name: m.name, promql: m.promql, value: summary[m.figure] }));
}
