// Renders the server manager scenarios' charts for docs/simulation.md and
// docs/server-manager.md: one line per run (consul, ae-sync) of the busiest server's
// recycled connections/s over a sliding 60 s window, or of the fleet-wide rate per bucket.
//   npx tsx src/sim/serverDocCharts.ts docs/sim reports/a/results.json reports/b/results.json …
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { SeriesReport } from './metrics.js';
import { CAP_WINDOW_MS } from './scenarios/measure.js';

interface ReportRun {
  label: string;
  marks: { label: string; tSec: number }[];
  series: SeriesReport;
}
interface ReportFile {
  scenarios: { scenario: string; params: { agents: number; servers: number }; runs: ReportRun[] }[];
}

/** Per bucket: the busiest server's mean rebalances/s over the 60 s window ending there. */
export function busiestWindow(report: SeriesReport): { sec: number; value: number }[] {
  const w = Math.max(1, Math.round(CAP_WINDOW_MS / report.bucketMs));
  const out: { sec: number; value: number }[] = [];
  const sums = report.series.rebalancesPerSec.map(() => 0);
  for (let b = 0; b < report.t.length; b++) {
    let best = 0;
    report.series.rebalancesPerSec.forEach((row, s) => {
      sums[s]! += (row[b] ?? 0) - (b >= w ? (row[b - w] ?? 0) : 0);
      best = Math.max(best, sums[s]! / w);
    });
    if (b + 1 >= w) out.push({ sec: (report.t[b] ?? 0) + report.bucketMs / 1000, value: Math.round(best * 100) / 100 });
  }
  return out;
}

/** Per bucket: rebalances/s summed over every server. */
export function fleetWide(report: SeriesReport): { sec: number; value: number }[] {
  return report.t.map((sec, b) => ({ sec, value: report.series.rebalancesPerSec.reduce((sum, row) => sum + (row[b] ?? 0), 0) }));
}

/** One line per run; dashed horizontal rules at `levels`, vertical ones at the first run's marks. */
export async function comparisonSvg(
  runs: readonly ReportRun[],
  points: (report: SeriesReport) => { sec: number; value: number }[],
  options: { title: string; yTitle: string; levels?: readonly { label: string; value: number }[]; fromSec?: number; toSec?: number; symlog?: boolean },
): Promise<string> {
  const values: { min: number; run: string; value: number }[] = [];
  for (const run of runs) {
    for (const p of points(run.series)) {
      if (p.sec < (options.fromSec ?? -Infinity) || p.sec > (options.toSec ?? Infinity)) continue;
      values.push({ min: Math.round((p.sec / 60) * 1000) / 1000, run: run.label, value: p.value });
    }
  }
  const layers: object[] = [
    {
      data: { values },
      mark: { type: 'line', strokeWidth: 1.2, interpolate: 'step-after' },
      encoding: {
        x: { field: 'min', type: 'quantitative', title: 'simulated time (min)' },
        y: { field: 'value', type: 'quantitative', title: options.yTitle, ...(options.symlog ? { scale: { type: 'symlog' } } : {}) },
        color: { field: 'run', type: 'nominal', title: 'run' },
      },
    },
  ];
  if (options.levels && options.levels.length > 0)
    layers.push({
      data: { values: options.levels.map((l) => ({ value: l.value, label: l.label })) },
      mark: { type: 'rule', strokeDash: [2, 2], color: '#c00' },
      encoding: { y: { field: 'value', type: 'quantitative' } },
    });
  const marks = (runs[0]?.marks ?? []).filter((m) => m.tSec >= (options.fromSec ?? -Infinity) && m.tSec <= (options.toSec ?? Infinity));
  if (marks.length > 0)
    layers.push({
      data: { values: marks.map((m) => ({ min: m.tSec / 60, label: m.label })) },
      mark: { type: 'rule', strokeDash: [4, 3], color: '#888' },
      encoding: { x: { field: 'min', type: 'quantitative' } },
    });
  const spec = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', width: 560, height: 170, title: options.title, layer: layers };
  const view = new vega.View(vega.parse(vl.compile(spec as vl.TopLevelSpec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Writes one chart per server-manager scenario found in `reportPaths` into `outDir`. */
export async function writeServerDocCharts(outDir: string, reportPaths: readonly string[]): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const path of reportPaths) {
    const report = JSON.parse(await readFile(path, 'utf8')) as ReportFile;
    for (const sc of report.scenarios) {
      const size = `${sc.params.agents.toLocaleString('en-US')} agents, ${sc.params.servers} servers`;
      const cap = [{ label: 'cap', value: 64 }, { label: 'cap + 10 %', value: 70.4 }];
      let svg: string | undefined;
      if (sc.scenario === 'partition-minority' || sc.scenario === 'churn' || sc.scenario.startsWith('partition-heal'))
        svg = await comparisonSvg(sc.runs, busiestWindow, {
          title: `${sc.scenario}, ${size}: recycled conns/s at the busiest server (60 s window)`,
          yTitle: 'recycled conns/s',
          levels: cap,
        });
      else if (sc.scenario === 'fleet-restart')
        svg = await comparisonSvg(sc.runs, fleetWide, {
          // Symlog: the consul spike (all N in one second) would flatten the ae-sync line otherwise.
          title: `fleet-restart, ${size}: rebalances/s, fleet-wide, per second (symlog scale)`,
          symlog: true,
          yTitle: 'rebalances/s',
          levels: [{ label: 'N/30', value: sc.params.agents / 30 }],
        });
      if (svg === undefined) continue;
      const name = `${sc.scenario}-servers.svg`;
      await writeFile(join(outDir, name), svg);
      written.push(name);
    }
  }
  return written;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [outDir, ...reports] = process.argv.slice(2);
  if (!outDir || reports.length === 0) {
    process.stderr.write('usage: tsx src/sim/serverDocCharts.ts <out dir> <results.json>…\n');
    process.exitCode = 2;
  } else {
    const files = await writeServerDocCharts(outDir, reports);
    process.stderr.write(`wrote ${files.length} charts to ${outDir}\n`);
  }
}
