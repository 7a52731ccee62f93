// The progress bar on stderr (never stdout: stdout is the deterministic report):
// simulated time reached by every worker, timer events and events per wall second,
// and at the end of each run its wall time and memory (worker heap peaks, process RSS).
import type { WorkerStats } from './shard/pool.js';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY?: boolean;
}

export interface ProgressBar {
  start(label: string): void;
  update(simMs: number, totalMs: number, events: number): void;
  end(workers: readonly WorkerStats[]): void;
}

const MB = 1024 * 1024;

export function progressBar(io: Io, enabled: boolean): ProgressBar {
  let label = '';
  let startedAt = 0;
  let lastPrint = 0;
  let last = { simMs: 0, totalMs: 1, events: 0 };
  const print = (final: boolean) => {
    const wall = (performance.now() - startedAt) / 1000;
    const frac = Math.min(1, last.simMs / last.totalMs);
    const width = 24;
    const filled = Math.round(frac * width);
    const rate = wall > 0 ? last.events / wall : 0;
    const text =
      `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` +
      `${(last.simMs / 60_000).toFixed(1)}/${(last.totalMs / 60_000).toFixed(1)} min simulated, ` +
      `${last.events} events, ${Math.round(rate)} events/s, ${wall.toFixed(1)} s wall`;
    if (io.isTTY) io.stderr(`\r${text}\x1b[K${final ? '\n' : ''}`);
    else if (final || performance.now() - lastPrint > 5000) {
      io.stderr(text + '\n');
      lastPrint = performance.now();
    }
  };
  return {
    start(l) {
      label = l;
      startedAt = performance.now();
      lastPrint = startedAt;
      last = { simMs: 0, totalMs: 1, events: 0 };
    },
    update(simMs, totalMs, events) {
      last = { simMs, totalMs, events };
      if (!enabled) return;
      const now = performance.now();
      if (io.isTTY && now - lastPrint < 200) return;
      if (io.isTTY) lastPrint = now;
      print(false);
    },
    end(workers) {
      if (enabled) print(true);
      const wall = (performance.now() - startedAt) / 1000;
      const heaps = workers.map((w) => Math.round(w.peakHeap / MB));
      const heapText = workers.length > 0 ? `worker heap peaks ${heaps.join(' + ')} = ${heaps.reduce((a, b) => a + b, 0)} MB` : `heap ${Math.round(process.memoryUsage().heapUsed / MB)} MB`;
      io.stderr(`${label}: ${wall.toFixed(1)} s wall, ${last.events} events, ${heapText}, peak RSS ${Math.round((process.resourceUsage().maxRSS * 1024) / MB)} MB\n`);
    },
  };
}
