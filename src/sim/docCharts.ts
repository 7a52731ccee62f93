// Renders the compact charts docs/simulation.md links to, from a simulator report:
//   npx tsx src/sim/docCharts.ts reports/sim-all-seed42/results.json docs/sim
// Fewer points and smaller canvases than the report folder's charts, so the files
// stay small enough to commit.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { SeriesName, SeriesReport } from './metrics.js';
import { chartSvg } from './report.js';

interface ReportRun {
  label: string;
  marks: { label: string; tSec: number }[];
  series: SeriesReport;
}
interface ReportFile {
  scenarios: { scenario: string; runs: ReportRun[] }[];
}

/** (scenario, series, title) triples charted per server. */
const PICKS: readonly [string, SeriesName, string][] = [
  ['steady', 'newConnsPerSec', 'steady, 10K agents: new connections/s per server'],
  ['steady', 'agents', 'steady, 10K agents: agents per server'],
  ['rebalance-100k', 'rebalancesPerSec', 'rebalance-100k: rebalances/s per server (cap 64)'],
  ['partition-heal', 'agents', 'partition-heal, 100K agents: agents per server (heal at the dashed line)'],
  ['partition-heal', 'newConnsPerSec', 'partition-heal, 100K agents: new connections/s per server'],
  ['partition-heal-10k', 'agents', 'partition-heal, 10K agents: agents per server'],
  ['starvation', 'fullSyncsPerSec', 'starvation: full syncs/s per server under 1 partial sync/s/agent'],
  ['connection-age', 'connAgeSec', 'connection-age: mean age of live connections (s) per server'],
];

/** Full syncs/s at the busiest server around the join, one line per variant. */
async function joinComparison(runs: readonly ReportRun[]): Promise<string> {
  const values: { sec: number; variant: string; value: number }[] = [];
  for (const run of runs) {
    const join = run.marks[0]?.tSec ?? 0;
    const { t, series } = run.series;
    const rows = series.fullSyncsPerSec;
    for (let b = 0; b < t.length; b++) {
      const sec = t[b] as number;
      if (sec < join - 20 || sec > join + 40) continue;
      let peak = 0;
      for (const row of rows) peak = Math.max(peak, row[b] ?? 0);
      values.push({ sec: Math.round((sec - join) * 1000) / 1000, variant: run.label, value: peak });
    }
  }
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 560,
    height: 180,
    title: 'server-join: full syncs/s at the busiest server, by second after the join',
    data: { values },
    mark: { type: 'line', strokeWidth: 1.2, interpolate: 'step-after' },
    encoding: {
      x: { field: 'sec', type: 'quantitative', title: 'seconds after the join' },
      y: { field: 'value', type: 'quantitative', title: 'full syncs/s' },
      color: { field: 'variant', type: 'nominal', title: 'stagger' },
    },
  };
  const view = new vega.View(vega.parse(vl.compile(spec as vl.TopLevelSpec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function writeDocCharts(reportPath: string, outDir: string): Promise<string[]> {
  const report = JSON.parse(await readFile(reportPath, 'utf8')) as ReportFile;
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const [scenario, series, title] of PICKS) {
    const run = report.scenarios.find((s) => s.scenario === scenario)?.runs[0];
    if (!run) continue;
    const name = `${scenario}-${series}.svg`;
    await writeFile(join(outDir, name), await chartSvg(run.series, series, title, { maxPoints: 120, marks: run.marks, width: 560, height: 160 }));
    written.push(name);
  }
  const join_ = report.scenarios.find((s) => s.scenario === 'server-join');
  if (join_) {
    await writeFile(join(outDir, 'server-join-peak.svg'), await joinComparison(join_.runs));
    written.push('server-join-peak.svg');
  }
  return written;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [reportPath, outDir] = process.argv.slice(2);
  if (!reportPath || !outDir) {
    process.stderr.write('usage: tsx src/sim/docCharts.ts <results.json> <out dir>\n');
    process.exitCode = 2;
  } else {
    const files = await writeDocCharts(reportPath, outDir);
    process.stderr.write(`wrote ${files.length} charts to ${outDir}\n`);
  }
}
