// Turns scenario results into the three outputs: a plain-text claims table (stdout),
// a JSON file and SVG charts of the per-server time series (vega-lite compiled to
// vega, rendered headless). Everything here is a pure function of the results, so
// the same seed gives byte-identical files.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { formatNumber, type ClaimRow } from './claims.js';
import type { SeriesName, SeriesReport } from './metrics.js';
import type { ScenarioResult } from './scenarios/index.js';

/** Columns of the claims table; the header carries the word `claim`. */
const COLUMNS = ['scenario', 'what', 'claim', 'claim from', 'measured', 'unit', 'ratio', 'verdict', 'source'] as const;

/** The claims table as fixed-width text, one row per claim (the source last, unpadded). */
export function claimsTable(rows: readonly ClaimRow[]): string {
  const cells = rows.map((r) => [
    r.scenario,
    r.what,
    r.claimText,
    r.basis === 'none' ? '—' : r.basis,
    r.measuredText,
    r.unit,
    r.ratio === null ? '—' : r.ratio.toFixed(2),
    r.verdict,
    r.source,
  ]);
  const widths = COLUMNS.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const numeric = new Set([2, 4, 6]);
  const line = (c: readonly string[]) =>
    c.map((v, i) => (numeric.has(i) ? v.padStart(widths[i] as number) : v.padEnd(widths[i] as number))).join('  ').trimEnd();
  const header = line(COLUMNS);
  return [header, '-'.repeat(header.length), ...cells.map(line)].join('\n') + '\n';
}

/** Per-run summaries under the table: counts that explain the claims. */
export function summaryLines(results: readonly ScenarioResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    const p = r.params;
    for (const run of r.runs) {
      const s = run.summary;
      out.push(
        `${r.scenario}${run.label === r.scenario ? '' : ` [${run.label}]`}: ${p.agents} agents, ${p.servers} servers, ` +
          `${formatNumber(p.durationMs / 60_000)} min simulated, seed ${p.seed}: ${s.events} timer events, ` +
          `${s.fullSyncs} full syncs, ${s.partialSyncs} partial syncs, ${s.rebalances} rebalances, ${s.newConnections} new connections`,
      );
    }
  }
  return out.join('\n') + '\n';
}

/** The JSON report (stable key order, rounded numbers). */
export function resultsJson(seed: number, results: readonly ScenarioResult[]): string {
  return (
    JSON.stringify(
      {
        tool: 'ae-sync simulator',
        seed,
        claims: results.flatMap((r) => r.claims),
        scenarios: results.map((r) => ({
          scenario: r.scenario,
          description: r.description,
          params: r.params,
          runs: r.runs.map((run) => ({ label: run.label, marks: run.marks, summary: run.summary, series: run.series })),
        })),
      },
      null,
      1,
    ) + '\n'
  );
}

/** Charted series, with axis titles. */
export const CHARTS: readonly { series: SeriesName; title: string }[] = [
  { series: 'newConnsPerSec', title: 'new connections/s' },
  { series: 'agents', title: 'agents' },
  { series: 'fullSyncsPerSec', title: 'full syncs/s' },
  { series: 'partialSyncsPerSec', title: 'partial syncs/s' },
  { series: 'syncLagMs', title: 'sync lag after a change (ms)' },
  { series: 'connAgeSec', title: 'mean connection age (s)' },
];

/** Averages consecutive buckets so a chart has at most `maxPoints` points per server. */
export function downsample(report: SeriesReport, series: SeriesName, maxPoints: number): { t: number[]; rows: number[][] } {
  const k = Math.max(1, Math.ceil(report.t.length / maxPoints));
  const t: number[] = [];
  for (let b = 0; b < report.t.length; b += k) t.push(report.t[b] as number);
  const rows = report.series[series].map((row) => {
    const out: number[] = [];
    for (let b = 0; b < row.length; b += k) {
      let sum = 0;
      let n = 0;
      for (let j = b; j < Math.min(row.length, b + k); j++, n++) sum += row[j] as number;
      out.push(Math.round((sum / n) * 100) / 100);
    }
    return out;
  });
  return { t, rows };
}

/** One line per server of `series` over time, rendered to SVG; `title` on top, the series' name on the y axis. */
export async function chartSvg(
  report: SeriesReport,
  series: SeriesName,
  title: string,
  options: { maxPoints?: number; marks?: readonly { label: string; tSec: number }[]; width?: number; height?: number; yTitle?: string } = {},
): Promise<string> {
  const { t, rows } = downsample(report, series, options.maxPoints ?? 360);
  const values: { min: number; server: string; value: number }[] = [];
  rows.forEach((row, s) => {
    const server = report.servers[s] as string;
    row.forEach((value, b) => values.push({ min: Math.round(((t[b] as number) / 60) * 1000) / 1000, server, value }));
  });
  const layers: object[] = [
    {
      data: { values },
      mark: { type: 'line', strokeWidth: 1.2, interpolate: 'step-after' },
      encoding: {
        x: { field: 'min', type: 'quantitative', title: 'simulated time (min)' },
        y: { field: 'value', type: 'quantitative', title: options.yTitle ?? CHARTS.find((c) => c.series === series)?.title ?? series },
        color: { field: 'server', type: 'nominal', title: 'server' },
      },
    },
  ];
  if (options.marks && options.marks.length > 0) {
    const marks = { values: options.marks.map((m) => ({ min: m.tSec / 60, label: m.label })) };
    layers.push(
      {
        data: marks,
        mark: { type: 'rule', strokeDash: [4, 3], color: '#888' },
        encoding: { x: { field: 'min', type: 'quantitative' } },
      },
      {
        // The mark's name at the top of its line ("heal", "join"), so a chart reads alone.
        data: marks,
        mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, y: 2, fontSize: 10, color: '#555' },
        encoding: { x: { field: 'min', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } },
      },
    );
  }
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: options.width ?? 640,
    height: options.height ?? 180,
    title,
    layer: layers,
  };
  const view = new vega.View(vega.parse(vl.compile(spec as vl.TopLevelSpec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** Writes results.json, results.txt and one SVG per (scenario run, charted series) into `dir`. Returns the file names. */
export async function writeReport(dir: string, seed: number, results: readonly ScenarioResult[], stdoutText: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  await writeFile(join(dir, 'results.json'), resultsJson(seed, results));
  files.push('results.json');
  await writeFile(join(dir, 'results.txt'), stdoutText);
  files.push('results.txt');
  for (const r of results) {
    for (const run of r.runs) {
      const base = run.label === r.scenario ? r.scenario : `${r.scenario}-${slug(run.label)}`;
      for (const chart of CHARTS) {
        const name = `${base}-${slug(chart.series)}.svg`;
        const title = `${r.scenario}${run.label === r.scenario ? '' : ` (${run.label})`}: ${chart.title} per server`;
        await writeFile(join(dir, name), await chartSvg(run.series, chart.series, title, { marks: run.marks }));
        files.push(name);
      }
    }
  }
  return files;
}
