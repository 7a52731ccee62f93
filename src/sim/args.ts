// The simulate command's arguments (node:util parseArgs) and its --help text, which
// lists every scenario with its defaults and what it measures. Bad input is a
// RangeError naming the value received.
import { availableParallelism } from 'node:os';
import { parseArgs as parseNodeArgs } from 'node:util';
import { findScenario } from './scenarios/index.js';
import { MAX_WORKERS } from './help.js';
import type { SimEngine } from './shard/shard.js';

export interface CliOptions {
  scenario: string;
  seed: number;
  agents?: number;
  servers?: number;
  durationMs?: number;
  /** Services per agent in the simulated catalog (the catalog scenarios). */
  entries?: number;
  out?: string;
  progress: boolean;
  /** Worker threads; defaults to the number of cores. */
  workers: number;
  /** Old-generation heap limit per worker, MB. */
  workerHeapMb?: number;
  /** How agents run: the event engine (default) or an actor per machine (the reference). */
  engine: SimEngine;
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

export { helpText, MAX_WORKERS, USAGE } from './help.js';

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
        entries: { type: 'string' },
        out: { type: 'string' },
        workers: { type: 'string' },
        'worker-heap': { type: 'string' },
        engine: { type: 'string' },
        'no-progress': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    // node:util's errors (unknown flag, missing value) become the boundary's RangeError.
    throw new RangeError((err as Error).message);
  }
  const v = parsed.values;
  const options: CliOptions = { scenario: v.scenario ?? '', seed: 42, progress: v['no-progress'] !== true, workers: availableParallelism(), engine: 'events', help: v.help === true };
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
  if (v.entries !== undefined) options.entries = positiveInt('--entries', v.entries);
  if (options.entries !== undefined && options.entries > 10_000) throw new RangeError(`--entries must be at most 10000 (a registry's limit), received ${options.entries}`);
  if (v.out !== undefined) options.out = v.out;
  if (v.workers !== undefined) options.workers = positiveInt('--workers', v.workers);
  if (options.workers > MAX_WORKERS) throw new RangeError(`--workers must be at most ${MAX_WORKERS} (4 per core, at least 8), received ${options.workers}`);
  if (v['worker-heap'] !== undefined) options.workerHeapMb = positiveInt('--worker-heap', v['worker-heap']);
  if (v.engine !== undefined) {
    if (v.engine !== 'events' && v.engine !== 'actors') throw new RangeError(`--engine must be events or actors, received ${JSON.stringify(v.engine)}`);
    options.engine = v.engine;
  }
  if (options.scenario === '') throw new RangeError('--scenario is required');
  if (options.scenario !== 'all' && !findScenario(options.scenario)) throw new RangeError(`unknown scenario ${JSON.stringify(options.scenario)}`);
  if (options.servers !== undefined && options.servers > 200) throw new RangeError(`--servers must be at most 200, received ${options.servers}`);
  return options;
}
