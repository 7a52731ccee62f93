// The simulate command: parses arguments (./args.ts), runs one scenario or all of
// them over worker threads, prints the claims table on stdout (deterministic for a
// seed, whatever --workers), progress and wall-clock figures on stderr only, and
// writes the report folder.
import { helpText, parseArgs, USAGE, type CliOptions } from './args.js';
import { markEndedFirst } from './claims.js';
import { progressBar, type Io } from './progress.js';
import { isPreflightError, preflight } from './preflight.js';
import { claimsText, summaryLines, writeReport } from './report.js';
import { SCENARIOS, findScenario, type ScenarioParams, type ScenarioResult } from './scenarios/index.js';

export { parseArgs, parseDuration, USAGE, helpText, type CliOptions } from './args.js';
export type { Io } from './progress.js';

/** Runs the scenarios `options` selects; returns their results and the stdout text. */
export async function runSimulation(options: CliOptions, io: Io): Promise<{ results: ScenarioResult[]; stdout: string }> {
  const selected = options.scenario === 'all' ? SCENARIOS : [findScenario(options.scenario)!];
  const params: ScenarioParams = {
    seed: options.seed,
    ...(options.agents !== undefined ? { agents: options.agents } : {}),
    ...(options.servers !== undefined ? { servers: options.servers } : {}),
    ...(options.durationMs !== undefined ? { durationMs: options.durationMs } : {}),
    ...(options.entries !== undefined ? { entries: options.entries } : {}),
  };
  const bar = progressBar(io, options.progress);
  const results: ScenarioResult[] = [];
  for (const scenario of selected) {
    const result = await scenario.run(params, {
      onRunStart: (label) => bar.start(label),
      onRunEnd: (_label, run) => bar.end(run.workers),
      sim: {
        workers: options.workers,
        engine: options.engine,
        ...(options.workerHeapMb !== undefined ? { workerHeapMb: options.workerHeapMb } : {}),
        onProgress: (simMs, totalMs, events) => bar.update(simMs, totalMs, events),
      },
    });
    results.push({ ...result, claims: markEndedFirst(result.claims, result.params.durationMs) });
  }
  const stdout = claimsText(results.flatMap((r) => r.claims)) + '\n' + summaryLines(results);
  return { results, stdout };
}

/** The command: returns the process exit code (0 done, 1 a run failed, 2 bad arguments, an --out that cannot be written or a run too large for the memory). */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let options: CliOptions;
  try {
    options = parseArgs(argv);
  } catch (err) {
    io.stderr(`${(err as Error).message}\n${USAGE}\n--help lists the scenarios\n`);
    return 2;
  }
  if (options.help) {
    io.stdout(helpText());
    return 0;
  }
  const dir = options.out ?? `reports/sim-${options.scenario}-seed${options.seed}`;
  try {
    await preflight(options, dir);
  } catch (err) {
    if (!isPreflightError(err)) throw err;
    io.stderr(`${err.message}\n`);
    return 2;
  }
  const started = performance.now();
  let out: { results: ScenarioResult[]; stdout: string };
  try {
    out = await runSimulation(options, io);
  } catch (err) {
    io.stderr(`simulation failed: ${(err as Error).message}\n`);
    return 1;
  }
  io.stdout(out.stdout);
  let files: string[];
  try {
    files = await writeReport(dir, options.seed, out.results, out.stdout);
  } catch (err) {
    // Checked before the run, but the folder can still go away meanwhile: the claims are on stdout above.
    io.stderr(`could not write the report to ${dir}: ${(err as Error).message}\n`);
    return 1;
  }
  io.stderr(`report: ${dir} (${files.length} files); total ${((performance.now() - started) / 1000).toFixed(1)} s wall, ${options.workers} workers\n`);
  return 0;
}
