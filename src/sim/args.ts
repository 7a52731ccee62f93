// The simulate command's arguments (node:util parseArgs) and its --help text, which
// lists every scenario with its defaults and what it measures. Bad input is a
// RangeError naming the value received.
import { availableParallelism } from 'node:os';
import { parseArgs as parseNodeArgs } from 'node:util';
import { SCENARIOS, findScenario } from './scenarios/index.js';

export interface CliOptions {
  scenario: string;
  seed: number;
  agents?: number;
  servers?: number;
  durationMs?: number;
  out?: string;
  progress: boolean;
  /** Worker threads; defaults to the number of cores. */
  workers: number;
  /** Old-generation heap limit per worker, MB. */
  workerHeapMb?: number;
  help: boolean;
}

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
  if (text === undefined || !/^\d+$/.test(text.trim()) || !Number.isInteger(n) || n < 1)
    throw new RangeError(`${flag} must be a positive integer, received ${JSON.stringify(text)}`);
  return n;
}

function minutes(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 1000)}s`;
}

/** The usage line and the flags. */
export const USAGE = `usage: npm run simulate -- --scenario <name|all> [--agents N] [--servers S] [--duration 1h] [--seed 42]
                        [--workers N] [--worker-heap MB] [--out reports/<dir>] [--no-progress] [--help]`;

/** --help: flags, then every scenario with its defaults and what it measures. */
export function helpText(): string {
  const lines = [
    USAGE,
    '',
    'flags:',
    '  --scenario <name|all>  which scenario to run (required)',
    '  --agents N             agents (default: the scenario\'s)',
    '  --servers S            servers at the start, ≤ 200 (default: the scenario\'s)',
    '  --duration D           simulated time: 90s, 30m, 1h, 1500ms; a bare number is seconds (default: the scenario\'s)',
    '  --seed N               integer in [0, 2^32) (default 42); the same seed gives byte-identical stdout, JSON and SVGs',
    `  --workers N            worker threads the agents are split over (default: the number of cores, here ${availableParallelism()});`,
    '                         results are byte-identical for any N',
    '  --worker-heap MB       old-generation heap limit of each worker (default: Node\'s)',
    '  --out DIR              report folder (default reports/sim-<scenario>-seed<seed>)',
    '  --no-progress          no progress bar on stderr',
    '',
    'scenarios:',
  ];
  for (const s of SCENARIOS) {
    const d = s.defaults;
    lines.push(`  ${s.name}  (defaults: ${d.agents} agents, ${d.servers} servers, ${d.durationMs !== undefined ? minutes(d.durationMs) : 'duration from the scenario\'s timeline'})`);
    lines.push(`      ${s.description}`);
  }
  return lines.join('\n') + '\n';
}

export function parseArgs(argv: readonly string[]): CliOptions {
  let parsed;
  try {
    parsed = parseNodeArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        scenario: { type: 'string' },
        seed: { type: 'string' },
        agents: { type: 'string' },
        servers: { type: 'string' },
        duration: { type: 'string' },
        out: { type: 'string' },
        workers: { type: 'string' },
        'worker-heap': { type: 'string' },
        'no-progress': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    // node:util's errors (unknown flag, missing value) become the boundary's RangeError.
    throw new RangeError((err as Error).message);
  }
  const v = parsed.values;
  const options: CliOptions = { scenario: v.scenario ?? '', seed: 42, progress: v['no-progress'] !== true, workers: availableParallelism(), help: v.help === true };
  if (options.help) return options;
  if (v.seed !== undefined) {
    const n = Number(v.seed);
    if (!/^\d+$/.test(v.seed.trim()) || !Number.isInteger(n) || n < 0 || n > 0xffffffff)
      throw new RangeError(`--seed must be an integer in [0, 2^32), received ${JSON.stringify(v.seed)}`);
    options.seed = n;
  }
  if (v.agents !== undefined) options.agents = positiveInt('--agents', v.agents);
  if (v.servers !== undefined) options.servers = positiveInt('--servers', v.servers);
  if (v.duration !== undefined) options.durationMs = parseDuration(v.duration);
  if (v.out !== undefined) options.out = v.out;
  if (v.workers !== undefined) options.workers = positiveInt('--workers', v.workers);
  if (v['worker-heap'] !== undefined) options.workerHeapMb = positiveInt('--worker-heap', v['worker-heap']);
  if (options.scenario === '') throw new RangeError('--scenario is required');
  if (options.scenario !== 'all' && !findScenario(options.scenario)) throw new RangeError(`unknown scenario ${JSON.stringify(options.scenario)}`);
  if (options.servers !== undefined && options.servers > 200) throw new RangeError(`--servers must be at most 200, received ${options.servers}`);
  return options;
}
