// The newcomer's main command, run for real: `npm run demo` as a child process on the
// embedded cluster, with real time. It must finish within a minute and exit 0.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('npm run demo', () => {
  it('plays the whole scenario on the embedded cluster and exits 0 with every check held', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/demo/main.ts'], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => {
      const limit = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.once('exit', (c) => {
        clearTimeout(limit);
        resolve(c);
      });
    });
    expect(code, output).toBe(0);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(output).toContain('all checks held');
    expect(output).toMatch(/entries lost: 0/);
  }, 70_000);
});
