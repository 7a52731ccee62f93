// The simulate command refuses, before any simulated second, what cannot finish:
// an --out it cannot write, more workers than the cap, more agents than the memory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, parseArgs } from '../../src/sim/main.js';
import { MAX_WORKERS } from '../../src/sim/args.js';
import { CATALOG_PEAK_KB, checkMemory, checkOutDir, checkWorkerHeap, estimateMemory, isPreflightError, PEAK_KB_PER_AGENT, WORKER_BASE_MB } from '../../src/sim/preflight.js';
import { spawnSync } from 'node:child_process';

const MB = 1024 * 1024;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ae-sync-preflight-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe('simulate preflight', () => {
  it('exits 2 naming --out before running when the report folder cannot be created (ENOTDIR)', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a folder');
    const r = await run(['--scenario', 'steady', '--agents', '10', '--servers', '2', '--duration', '60s', '--workers', '1', '--no-progress', '--out', join(file, 'report')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^--out ".*a-file\/report" cannot hold the report \(ENOTDIR\): give a writable folder\n$/);
    expect(r.stdout).toBe(''); // no run: no claims table
  });

  it('creates a missing --out folder up front and leaves no probe behind', async () => {
    const out = join(dir, 'new', 'deeper');
    await checkOutDir(out);
    expect(readdirSync(out)).toEqual([]);
    const err = await checkOutDir(join(dir, 'a-file')).catch((e: unknown) => e);
    expect(isPreflightError(err)).toBe(true);
  });

  it(`caps --workers at ${MAX_WORKERS}, refusing one more with exit code 2`, async () => {
    expect(parseArgs(['--scenario', 'steady', '--workers', String(MAX_WORKERS)]).workers).toBe(MAX_WORKERS);
    expect(() => parseArgs(['--scenario', 'steady', '--workers', String(MAX_WORKERS + 1)])).toThrow(new RegExp(`--workers must be at most ${MAX_WORKERS} .*received ${MAX_WORKERS + 1}`));
    const r = await run(['--scenario', 'steady', '--workers', '1000', '--no-progress', '--out', join(dir, 'w')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--workers must be at most/);
  });

  it('estimates the peak heap from the agents, workers and engine (worked numbers)', () => {
    const options = parseArgs(['--scenario', 'steady', '--agents', '100000', '--workers', '2', '--engine', 'actors']);
    const e = estimateMemory(options, 16_384 * MB);
    // 50,000 agents per worker × 34 KB = 1,660.2 MB, + 12 MB of the worker itself.
    expect(e.perWorkerMb).toBe(Math.ceil(WORKER_BASE_MB + (50_000 * PEAK_KB_PER_AGENT.actors) / 1024));
    expect(e.perWorkerMb).toBe(1673);
    expect(e).toMatchObject({ agents: 100_000, totalMb: 3346, machineMb: 16_384 });
    expect(() => checkMemory(e, 2)).not.toThrow();
    // The event engine: 50,000 × 6 KB = 293 MB, + 12 MB.
    const events = estimateMemory(parseArgs(['--scenario', 'steady', '--agents', '100000', '--workers', '2']), 16_384 * MB);
    expect(events).toMatchObject({ perWorkerMb: 305, totalMb: 610, kbPerAgent: 6 });
  });

  it('adds the simulated catalog to the estimate: a catalog scenario\'s default entries, or --entries', () => {
    // session-loss: 10 entries by default, 6 + 31 + 10 × 0.8 = 45 KB per agent.
    const flap = estimateMemory(parseArgs(['--scenario', 'session-loss', '--agents', '100000', '--workers', '2']), 16_384 * MB);
    expect(flap).toMatchObject({ kbPerAgent: 6 + CATALOG_PEAK_KB.perAgent + 10 * CATALOG_PEAK_KB.perEntry, perWorkerMb: Math.ceil(WORKER_BASE_MB + (50_000 * 45) / 1024) });
    const more = estimateMemory(parseArgs(['--scenario', 'churn', '--entries', '100', '--workers', '1']), 16_384 * MB);
    expect(more).toMatchObject({ agents: 100_000, kbPerAgent: 6 + 31 + 80 });
    // `all`: the largest need of any scenario (here churn's 100,000 agents with a catalog of 100).
    expect(estimateMemory(parseArgs(['--scenario', 'all', '--entries', '100', '--workers', '1']), 16_384 * MB)).toMatchObject(more);
    // Without --entries, `all` is bounded by the 100,000-agent scenarios with no catalog, not by the 10,000-agent catalog ones.
    expect(estimateMemory(parseArgs(['--scenario', 'all', '--workers', '1']), 16_384 * MB)).toMatchObject({ agents: 100_000, kbPerAgent: 6 });
  });

  it('refuses agents beyond the machine\'s memory, at the boundary', () => {
    // 1 worker on a 1,000 MB machine: 12 MB + agents × 34 KB ≤ 1,000 MB holds up to 29,756 agents.
    const at = (agents: number) => estimateMemory(parseArgs(['--scenario', 'steady', '--agents', String(agents), '--workers', '1', '--engine', 'actors']), 1_000 * MB);
    expect(() => checkMemory(at(29_756), 1)).not.toThrow();
    expect(() => checkMemory(at(29_757), 1)).toThrow(/^--agents: 29,757 agents need about 1,001 MB of heap at the peak \(34 KB per agent, 1,001 MB per worker over 1 workers\), more than this machine's 1,000 MB of memory; run fewer agents or on a larger machine$/);
    const e = estimateMemory(parseArgs(['--scenario', 'steady', '--agents', '1000000', '--workers', '2', '--engine', 'actors']), 8_192 * MB);
    expect(() => checkMemory(e, 2)).toThrow(/1,000,000 agents need about 33,228 MB .*more than this machine's 8,192 MB of memory/);
    // The event engine fits a million agents in 8 GB: 500,000 × 6 KB + 12 MB = 2,942 MB per worker.
    expect(() => checkMemory(estimateMemory(parseArgs(['--scenario', 'steady', '--agents', '1000000', '--workers', '2']), 8_192 * MB), 2)).not.toThrow();
  });

  it('refuses --worker-heap when node runs with --max-old-space-size, on its command line or in NODE_OPTIONS, and nothing else', () => {
    const refused = (argv: string[], nodeOptions?: string) => {
      try {
        checkWorkerHeap(512, argv, nodeOptions);
        return 'accepted';
      } catch (err) {
        return isPreflightError(err) ? err.message : 'other error';
      }
    };
    expect(refused(['--max-old-space-size=4096'])).toMatch(/--worker-heap 512 would have no effect: node runs with --max-old-space-size=4096/);
    expect(refused(['--max_old_space_size=4096'])).toMatch(/--max_old_space_size=4096/);
    expect(refused([], '--enable-source-maps --max-old-space-size=2048')).toMatch(/--max-old-space-size=2048/);
    expect(refused(['--max-semi-space-size=16', '--no-allocation-site-pretenuring'], '--enable-source-maps')).toBe('accepted');
    expect(() => checkWorkerHeap(undefined, ['--max-old-space-size=4096'], undefined)).not.toThrow();
  });

  it("gives a worker the process's --max-old-space-size whatever resourceLimits asks (Node's behaviour the check above guards against)", () => {
    const script = `
      const { Worker } = require('node:worker_threads');
      new Worker('require("worker_threads").parentPort.postMessage(require("v8").getHeapStatistics().heap_size_limit / 2 ** 20)', { eval: true, resourceLimits: { maxOldGenerationSizeMb: 64 } })
        .on('message', (mb) => { console.log(Math.round(mb)); process.exit(0); });`;
    const limitMb = (flags: string[]) => Number(spawnSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8', timeout: 20_000 }).stdout.trim());
    expect(limitMb([])).toBeLessThan(128);
    expect(limitMb(['--max-old-space-size=1536'])).toBeGreaterThan(1_000);
  });

  it('exits 2 before running when --agents cannot fit in this machine', async () => {
    const r = await run(['--scenario', 'steady', '--agents', '50000000', '--workers', '2', '--no-progress', '--out', join(dir, 'big')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^--agents: 50,000,000 agents need about/);
    expect(r.stdout).toBe('');
  });
});
