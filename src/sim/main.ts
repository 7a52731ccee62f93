// The simulate command: parses arguments, runs one scenario or all of them, prints
// the claims table on stdout (deterministic for a seed), progress and wall-clock
// figures on stderr only, and writes the report folder.
import { claimsTable, summaryLines, writeReport } from './report.js';
import { SCENARIOS, findScenario, type ScenarioParams, type ScenarioResult } from './scenarios.js';

export interface CliOptions {
  scenario: string;
  seed: number;
  agents?: number;
  servers?: number;
  durationMs?: number;
  out?: string;
  progress: boolean;
}

export const USAGE = `usage: npm run simulate -- --scenario <name|all> [--agents N] [--servers S] [--duration 1h] [--seed 42] [--out reports/<dir>] [--no-progress]
scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}, all
durations: 90s, 30m, 1h, 1500ms (a bare number is seconds)`;

/** "1h" → 3 600 000; "30m", "90s", "250ms"; a bare number is seconds. Throws RangeError on anything else. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|min|h)?$/.exec(text.trim());
  if (!m) throw new RangeError(`--duration must look like 90s, 30m, 1h or 1500ms, received ${JSON.stringify(text)}`);
  const value = Number(m[1]);
  const unit = m[2] ?? 's';
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'h' ? 3_600_000 : 60_000;
  const ms = Math.round(value * factor);
  if (!(ms > 0)) throw new RangeError(`--duration must be > 0, received ${JSON.stringify(text)}`);
  return ms;
}

function positiveInt(flag: string, text: string | undefined): number {
  const n = Number(text);
  if (text === undefined || !Number.isInteger(n) || n < 1) throw new RangeError(`${flag} must be a positive integer, received ${JSON.stringify(text)}`);
  return n;
}

export function parseArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = { scenario: '', seed: 42, progress: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.includes('=') ? (arg.split('=', 2) as [string, string]) : [arg, undefined];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new RangeError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--scenario':
        options.scenario = value();
        break;
      case '--seed': {
        const v = value();
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`--seed must be an integer in [0, 2^32), received ${JSON.stringify(v)}`);
        options.seed = n;
        break;
      }
      case '--agents':
        options.agents = positiveInt('--agents', value());
        break;
      case '--servers':
        options.servers = positiveInt('--servers', value());
        break;
      case '--duration':
        options.durationMs = parseDuration(value());
        break;
      case '--out':
        options.out = value();
        break;
      case '--no-progress':
        options.progress = false;
        break;
      default:
        throw new RangeError(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  if (options.scenario === '') throw new RangeError('--scenario is required');
  if (options.scenario !== 'all' && !findScenario(options.scenario))
    throw new RangeError(`unknown scenario ${JSON.stringify(options.scenario)}`);
  if (options.servers !== undefined && options.servers > 200) throw new RangeError(`--servers must be at most 200, received ${options.servers}`);
  return options;
}

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY?: boolean;
}

function progressBar(io: Io): { start(label: string): void; update(simMs: number, totalMs: number, events: number): void; end(): void } {
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
      const now = performance.now();
      if (io.isTTY && now - lastPrint < 200) return;
      if (io.isTTY) lastPrint = now;
      print(false);
    },
    end() {
      print(true);
      const heap = process.memoryUsage().heapUsed;
      io.stderr(`${label}: heap ${(heap / 1024 / 1024).toFixed(0)} MB\n`);
    },
  };
}

/** Runs the scenarios `options` selects; returns their results and the stdout text. */
export async function runSimulation(options: CliOptions, io: Io): Promise<{ results: ScenarioResult[]; stdout: string }> {
  const selected = options.scenario === 'all' ? SCENARIOS : [findScenario(options.scenario)!];
  const params: ScenarioParams = {
    seed: options.seed,
    ...(options.agents !== undefined ? { agents: options.agents } : {}),
    ...(options.servers !== undefined ? { servers: options.servers } : {}),
    ...(options.durationMs !== undefined ? { durationMs: options.durationMs } : {}),
  };
  const bar = progressBar(io);
  const results: ScenarioResult[] = [];
  let open = false;
  for (const scenario of selected) {
    const result = await scenario.run(params, {
      onRunStart: (label) => {
        if (open) bar.end();
        open = options.progress;
        if (options.progress) bar.start(label);
      },
      ...(options.progress ? { onProgress: (simMs: number, totalMs: number, events: number) => bar.update(simMs, totalMs, events) } : {}),
    });
    results.push(result);
  }
  if (open) bar.end();
  const stdout = claimsTable(results.flatMap((r) => r.claims)) + '\n' + summaryLines(results);
  return { results, stdout };
}

/** The command: returns the process exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let options: CliOptions;
  try {
    options = parseArgs(argv);
  } catch (err) {
    io.stderr(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const started = performance.now();
  const { results, stdout } = await runSimulation(options, io);
  io.stdout(stdout);
  const dir = options.out ?? `reports/sim-${options.scenario}-seed${options.seed}`;
  const files = await writeReport(dir, options.seed, results, stdout);
  io.stderr(`report: ${dir} (${files.length} files); total ${((performance.now() - started) / 1000).toFixed(1)} s wall\n`);
  return 0;
}
