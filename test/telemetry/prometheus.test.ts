// End to end: a real Prometheus scrapes the demo's --metrics endpoint every second while
// the demo plays its failover; its HTTP API then answers the queries an operator would
// ask. Both processes run on 127.0.0.1 and are stopped by their PIDs.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { until } from '../helpers/index.js';
import { freePort, prometheusAvailable, startPrometheus, type Prometheus } from '../helpers/prometheus.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const AGENTS = 3;

describe.runIf(prometheusAvailable())('the demo scraped by a real Prometheus', () => {
  it('shows the sync counters, the call failures of the failover and the server-state gauge', async () => {
    const [promPort, metricsPort] = [await freePort(), await freePort()];
    const prometheus: Prometheus = await startPrometheus(promPort, `127.0.0.1:${metricsPort}`);
    const demo = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/demo/main.ts', '--metrics', '--metrics-port', String(metricsPort), '--linger', '--agents', String(AGENTS)],
      { cwd: root, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    demo.stdout.on('data', (d: Buffer) => (output += d.toString()));
    demo.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
    const limit = setTimeout(() => demo.kill('SIGKILL'), 100_000);
    try {
      await until(() => output.includes(`metrics: Prometheus can scrape http://127.0.0.1:${metricsPort}/metrics`), 30_000, 'the metrics URL');
      await until(() => /script done \(\d+\/\d+ checks held\)/.test(output), 60_000, `the demo's script to finish; output:\n${output}`);
      const sum = async (promql: string): Promise<number> => (await prometheus.query(promql)).reduce((t, s) => t + s.value, 0);
      // Scraped at least once after the failover (a counter never goes back).
      await until(async () => (await sum('sum(ae_sync_server_manager_calls_total{ae_sync_outcome="failure"})')) > 0, 15_000, 'the failover\'s failed calls in Prometheus');
      expect(await sum('up{job="ae-sync-demo"}')).toBe(1);
      expect(await sum('sum(ae_sync_syncer_syncs_finished_total{ae_sync_sync_kind="full",ae_sync_outcome="success"})')).toBeGreaterThanOrEqual(AGENTS);
      expect(await sum('sum(ae_sync_syncer_syncs_finished_total{ae_sync_sync_kind="partial",ae_sync_outcome="success"})')).toBeGreaterThan(0);
      expect(await sum('sum(ae_sync_syncer_syncs_started_total)')).toBeGreaterThanOrEqual(await sum('sum(ae_sync_syncer_syncs_finished_total)'));
      const states = await prometheus.query('sum by (ae_sync_server_state) (ae_sync_server_manager_server_count)');
      expect(states.map((s) => s.metric.ae_sync_server_state).sort()).toEqual(['draining', 'failed', 'healthy', 'suspect']);
      // Every agent lists the embedded cluster's three servers (and the one that joins).
      expect(states.reduce((t, s) => t + s.value, 0)).toBeGreaterThanOrEqual(AGENTS * 3);
      expect(states.find((s) => s.metric.ae_sync_server_state === 'healthy')?.value).toBeGreaterThan(0);
      expect(await sum('sum(ae_sync_syncer_count)')).toBe(AGENTS);
      // One of the documented alerts evaluates (0 agents in retry at the end of the script).
      expect(await prometheus.query('sum(ae_sync_syncer_count{ae_sync_syncer_state="retry_full_sync"}) / sum(ae_sync_syncer_count) > 0.05')).toEqual([]);
    } finally {
      if (demo.exitCode === null && demo.pid !== undefined) process.kill(demo.pid, 'SIGINT');
      const code = await exited;
      clearTimeout(limit);
      await prometheus.stop();
      expect(code, output).toBe(0);
    }
  }, 120_000);
});
