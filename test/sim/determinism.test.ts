import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, runSimulation } from '../../src/sim/main.js';
import { resultsJson } from '../../src/sim/report.js';

const quiet = { stdout: () => undefined, stderr: () => undefined };

describe('simulator determinism', { timeout: 90_000 }, () => {
  it('produces byte-identical JSON and stdout when run twice with the same seed', async () => {
    const options = { scenario: 'steady', seed: 11, agents: 200, durationMs: 10 * 60_000, progress: false };
    const a = await runSimulation(options, quiet);
    const b = await runSimulation(options, quiet);
    expect(b.stdout).toBe(a.stdout);
    expect(resultsJson(11, b.results)).toBe(resultsJson(11, a.results));
    expect(a.stdout).toMatch(/\bclaim\b/);
  });

  it('produces different results when the seed differs', async () => {
    const a = await runSimulation({ scenario: 'steady', seed: 1, agents: 200, durationMs: 10 * 60_000, progress: false }, quiet);
    const b = await runSimulation({ scenario: 'steady', seed: 2, agents: 200, durationMs: 10 * 60_000, progress: false }, quiet);
    expect(resultsJson(2, b.results)).not.toBe(resultsJson(1, a.results));
  });

  it('writes identical report folders (JSON, text, SVG) and keeps wall-clock figures off stdout when run twice', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ae-sync-sim-'));
    try {
      const outputs: { stdout: string; stderr: string }[] = [];
      for (const dir of ['a', 'b']) {
        let stdout = '';
        let stderr = '';
        const code = await main(
          ['--scenario', 'server-join', '--agents', '300', '--duration', '6m', '--seed', '5', '--out', join(root, dir)],
          { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) },
        );
        expect(code).toBe(0);
        outputs.push({ stdout, stderr });
      }
      expect(outputs[1]!.stdout).toBe(outputs[0]!.stdout);
      expect(outputs[0]!.stdout).not.toMatch(/wall|events\/s/);
      expect(outputs[0]!.stderr).toMatch(/events\/s/);
      const files = (await readdir(join(root, 'a'))).sort();
      expect(files).toContain('results.json');
      expect(files.filter((f) => f.endsWith('.svg')).length).toBeGreaterThanOrEqual(12);
      expect((await readdir(join(root, 'b'))).sort()).toEqual(files);
      for (const f of files) {
        const [x, y] = await Promise.all([readFile(join(root, 'a', f)), readFile(join(root, 'b', f))]);
        expect(y.equals(x), f).toBe(true);
      }
      const svg = await readFile(join(root, 'a', files.find((f) => f.endsWith('.svg'))!), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
