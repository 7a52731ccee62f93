// Starts and stops a real Prometheus (Debian's `prometheus` package) on loopback for
// the telemetry integration test: a temp data dir, a 1 s scrape interval, one target;
// tracked by PID, every wait bounded. Without the binary the test skips — except under
// CI (any CI but false/0), where that fails, as with etcd and chromium.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCi } from './ci.js';
import { until } from './index.js';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

/** Whether the Prometheus test can run; logs why not. Throws under CI when the binary is missing. */
export function prometheusAvailable(bin = PROMETHEUS_BIN): boolean {
  if (existsSync(bin)) return true;
  const message = `prometheus binary not found at ${bin}: install it with "apt-get install -y prometheus"`;
  if (isCi()) throw new Error(`${message} (CI is set: a missing prometheus is a failure, not a skip)`);
  console.warn(`SKIPPING the Prometheus integration test — ${message}`);
  return false;
}

/** A port nothing listens on at the moment, on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface Prometheus {
  readonly port: number;
  readonly pid: number;
  /** Runs an instant PromQL query; the result vector's samples. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: number }[]>;
  stop(): Promise<void>;
  log(): string;
}

/** Starts Prometheus on 127.0.0.1:`port` scraping `target` (host:port) every second; resolves once it is ready. */
export async function startPrometheus(port: number, target: string, bin = PROMETHEUS_BIN): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'ae-sync-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: ae-sync-demo',
      '    static_configs:',
      `      - targets: ['${target}']`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    bin,
    [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGTERM');
      const killer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 20_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (child.pid === undefined) throw new Error(`prometheus did not start: ${log}`);
    await until(
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${log}`);
        return (await fetch(`${base}/-/ready`).catch(() => undefined))?.status === 200;
      },
      30_000,
      'prometheus to be ready',
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port,
    pid: child.pid,
    log: () => log,
    stop,
    async query(promql) {
      const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await res.json()) as { status: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] }; error?: string };
      if (body.status !== 'success' || !body.data) throw new Error(`query ${promql} failed: ${body.error ?? res.status}`);
      return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
  };
}
