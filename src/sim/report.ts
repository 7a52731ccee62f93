// Turns scenario results into the outputs: the claims as text that fits MAX_COLUMNS
// (stdout), the wide claims table, a JSON file and SVG charts of the per-server time
// series (vega-lite compiled to vega, rendered headless), all in the report folder.
// Everything here is a pure function of the results, so the same seed gives
// byte-identical files.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { capBindingFleet, formatNumber, LIBRARY_CAP_SETTINGS, type ClaimRow } from './claims.js';
import { MAX_COLUMNS } from './help.js';
import type { SeriesName, SeriesReport } from './metrics.js';
import type { ScenarioResult } from './scenarios/index.js';
import { otelPoints } from './otelNames.js';

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

/**
 * `text` broken at spaces into lines of at most `width` columns: the first keeps `text`'s own
 * leading spaces, the others start with `indent`. A word longer than the width stays whole.
 */
export function wrap(text: string, width: number, indent = ''): string[] {
  const lead = /^ */.exec(text)?.[0] ?? '';
  const lines: string[] = [];
  let line = lead;
  let start = lead; // what `line` holds before its first word
  for (const word of text.slice(lead.length).split(' ')) {
    if (word === '') continue;
    if (line === start || `${line} ${word}`.length <= width) line = line === start ? `${line}${word}` : `${line} ${word}`;
    else {
      lines.push(line);
      start = indent;
      line = `${indent}${word}`;
    }
  }
  if (line !== start || lines.length === 0) lines.push(line);
  return lines;
}

/**
 * The claims for a terminal: per scenario a heading, then per claim what is compared and,
 * on the next line, the claim, the measurement, the ratio, the verdict and a numbered
 * source; the sources follow in full. Every line fits `width` columns (a word longer than
 * the width alone excepted); the same rows as one wide table go to the report folder
 * (claims.txt, {@link claimsTable}).
 */
export function claimsText(rows: readonly ClaimRow[], width = MAX_COLUMNS): string {
  const sources: string[] = [];
  const out: string[] = [];
  let scenario: string | undefined;
  for (const r of rows) {
    if (r.scenario !== scenario) {
      if (scenario !== undefined) out.push('');
      scenario = r.scenario;
      out.push(r.scenario);
    }
    let n = sources.indexOf(r.source);
    if (n < 0) n = sources.push(r.source) - 1;
    const claim = r.basis === 'none' ? `claim ${r.claimText}` : `claim ${r.claimText} ${r.unit} (${r.basis})`;
    const ratio = r.ratio === null ? '' : ` · ratio ${r.ratio.toFixed(2)}`;
    out.push(...wrap(`  ${r.what}`, width, '    '));
    out.push(...wrap(`    ${claim} · measured ${r.measuredText} ${r.unit}${ratio} · ${r.verdict} · source [${n + 1}]`, width, '      '));
  }
  if (sources.length > 0) out.push('', 'sources:');
  sources.forEach((source, i) => out.push(...wrap(`[${i + 1}] ${source}`, width, '    ')));
  return out.join('\n') + '\n';
}

/**
 * For a scenario run both as Consul's server manager (`consul`) and as ae-sync's
 * (`ae-sync`): from which fleet size the two can differ, by the library's own cap rule
 * ({@link capBindingFleet}), beside this run's size. Lines fit `width`.
 */
export function divergenceLines(result: ScenarioResult, width = MAX_COLUMNS): string[] {
  const labels = new Set(result.runs.map((run) => run.label));
  if (!labels.has('consul') || !labels.has('ae-sync')) return [];
  const { agents, servers } = result.params;
  const c = LIBRARY_CAP_SETTINGS;
  const perServer = capBindingFleet(1) - 1;
  const fleet = capBindingFleet(servers) - 1;
  const n = (x: number) => x.toLocaleString('en-US');
  const windowSec = (c.minReuseMs * (1 + 1 / c.jitterFraction)) / 1000;
  const binds = agents > fleet ? 'the cap binds here' : agents > perServer ? 'the cap binds here only for agents that know one server' : 'the cap does not bind here';
  return wrap(
    `${result.scenario}: the rebalance waits of the consul and ae-sync runs differ only where the cap binds ` +
      `(N/(${c.connsPerSecPerServer}·S) s over the ${windowSec} s reuse window; ae-sync's jittered first wait apart): ` +
      `above ${n(perServer)} agents per server, ${n(fleet)} agents on ${servers} servers; ` +
      `this run has ${n(agents)} agents, so ${binds}.`,
    width,
    '  ',
  );
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
    out.push(...divergenceLines(r));
  }
  return out.flatMap((line) => wrap(line, MAX_COLUMNS, '  ')).join('\n') + '\n';
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
          // `metrics`: the summary under ae-sync's OpenTelemetry names (docs/observability.md).
          runs: r.runs.map((run) => ({ label: run.label, marks: run.marks, summary: run.summary, metrics: otelPoints(run.summary), series: run.series })),
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

/** Writes results.json, results.txt (stdout), claims.txt (the wide claims table) and one SVG per (scenario run, charted series) into `dir`. Returns the file names. */
export async function writeReport(dir: string, seed: number, results: readonly ScenarioResult[], stdoutText: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  await writeFile(join(dir, 'results.json'), resultsJson(seed, results));
  files.push('results.json');
  await writeFile(join(dir, 'results.txt'), stdoutText);
  files.push('results.txt');
  await writeFile(join(dir, 'claims.txt'), claimsTable(results.flatMap((r) => r.claims)));
  files.push('claims.txt');
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
