import { describe, expect, it } from 'vitest';
import { otelPoints } from '../../src/sim/otelNames.js';
import { resultsJson } from '../../src/sim/report.js';
import type { ScenarioResult } from '../../src/sim/scenarios/index.js';

describe('the simulator\'s OpenTelemetry names', () => {
  it('gives each mapped total under the instrument and Prometheus series an agent reports', () => {
    expect(otelPoints({ events: 9, fullSyncs: 3, partialSyncs: 5, rebalances: 7, newConnections: 11 })).toEqual([
      { name: 'ae_sync.syncer.syncs.finished', promql: 'ae_sync_syncer_syncs_finished_total{ae_sync_sync_kind="full",ae_sync_outcome="success"}', value: 3 },
      { name: 'ae_sync.syncer.syncs.finished', promql: 'ae_sync_syncer_syncs_finished_total{ae_sync_sync_kind="partial",ae_sync_outcome="success"}', value: 5 },
      { name: 'ae_sync.server_manager.rebalances', promql: 'ae_sync_server_manager_rebalances_total{ae_sync_outcome=~"success|frozen"}', value: 7 },
    ]);
  });

  it('puts them in results.json beside each run\'s summary', () => {
    const summary = { events: 1, fullSyncs: 2, partialSyncs: 0, rebalances: 4, newConnections: 1 };
    const result = { scenario: 's', description: 'd', params: {}, claims: [], runs: [{ label: 's', marks: [], summary, series: {} }] } as unknown as ScenarioResult;
    const json = JSON.parse(resultsJson(1, [result])) as { scenarios: { runs: { metrics: { value: number }[] }[] }[] };
    expect(json.scenarios[0]?.runs[0]?.metrics.map((m) => m.value)).toEqual([2, 0, 4]);
  });
});
