import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/sim/main.js';

interface Output {
  code: number;
  stdout: string;
  stderr: string;
  files: Map<string, Buffer>;
}

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ae-sync-sim-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function simulate(args: string[], dir: string): Promise<Output> {
  let stdout = '';
  let stderr = '';
  const out = join(root, dir);
  const code = await main([...args, '--out', out], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  const files = new Map<string, Buffer>();
  if (code === 0) for (const f of (await readdir(out)).sort()) files.set(f, await readFile(join(out, f)));
  return { code, stdout, stderr, files };
}

const SMALL = ['--scenario', 'steady', '--agents', '150', '--duration', '6m'];

describe('simulator determinism', { timeout: 120_000 }, () => {
  it('writes byte-identical stdout, JSON, text and SVGs when the same seed runs with --workers 1, 2 and 3', async () => {
    const runs: Output[] = [];
    for (const workers of ['1', '2', '3']) runs.push(await simulate([...SMALL, '--seed', '5', '--workers', workers], `w${workers}`));
    const [one] = runs as [Output];
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/\bclaim\b/);
    expect(one.stdout).not.toMatch(/wall|events\/s/);
    expect(one.stderr).toMatch(/events\/s/);
    expect([...one.files.keys()]).toContain('results.json');
    expect([...one.files.keys()].filter((f) => f.endsWith('.svg')).length).toBeGreaterThanOrEqual(6);
    for (const other of runs.slice(1)) {
      expect(other.code).toBe(0);
      expect(other.stdout).toBe(one.stdout);
      expect([...other.files.keys()]).toEqual([...one.files.keys()]);
      for (const [name, bytes] of one.files) expect(other.files.get(name)!.equals(bytes), name).toBe(true);
    }
    expect(one.stderr).toMatch(/worker heap peaks \d+ = \d+ MB/);
    expect(runs[2]!.stderr).toMatch(/worker heap peaks \d+ \+ \d+ \+ \d+ = \d+ MB/);
  });

  it('writes different results when the seed differs', async () => {
    const a = await simulate([...SMALL, '--seed', '1', '--workers', '2'], 'seed1');
    const b = await simulate([...SMALL, '--seed', '2', '--workers', '2'], 'seed2');
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(b.files.get('results.json')!.equals(a.files.get('results.json')!)).toBe(false);
  });

  it('fails with exit code 1 and an error naming the worker when a worker runs out of heap', async () => {
    const started = performance.now();
    const out = await simulate(['--scenario', 'steady', '--agents', '20000', '--duration', '10m', '--workers', '2', '--worker-heap', '16', '--no-progress'], 'oom');
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/simulation failed: simulator worker \d of 2 \(agents \d+–\d+\) failed: .*(memory|heap)/i);
    expect(out.stdout).toBe('');
    expect(performance.now() - started).toBeLessThan(60_000);
  });
});
