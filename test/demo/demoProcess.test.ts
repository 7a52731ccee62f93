// The newcomer's main command, run for real: `npm run demo` as a child process on the
// embedded cluster, with real time; and its flags: --help, --inspect with --linger,
// and a taken port. Every child is ended by its PID and every wait is bounded.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openStream, request } from '../view/helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Demo {
  child: ChildProcess;
  output(): string;
  stderr(): string;
  exited: Promise<number | null>;
  /** Resolves with the first output line matching `pattern` (bounded). */
  line(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

function startDemo(args: string[], limitMs = 60_000): Demo {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/demo/main.ts', ...args], {
    cwd: root,
    env: { ...process.env, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => ((output += d.toString()), (stderr += d.toString())));
  const limit = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => (clearTimeout(limit), resolve(c))));
  return {
    child,
    output: () => output,
    stderr: () => stderr,
    exited,
    async line(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = pattern.exec(output);
        if (m) return m;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no line matching ${pattern}; output:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

describe('npm run demo', () => {
  it('plays the whole scenario on the embedded cluster and exits 0 with every check held', async () => {
    const started = Date.now();
    const demo = startDemo([]);
    const code = await demo.exited;
    expect(code, demo.output()).toBe(0);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(demo.output()).toContain('all checks held');
    expect(demo.output()).toMatch(/entries lost: 0/);
  }, 70_000);

  it('prints a usage that lists every flag and exits 0 for --help', async () => {
    const demo = startDemo(['--help']);
    expect(await demo.exited).toBe(0);
    for (const flag of ['--etcd', '--inspect ', '--inspect=stately', '--inspect-port', '--no-wait', '--pace', '--linger', '--metrics', '--metrics-port', '--agents', '--seed', '--log-level', '--help']) {
      expect(demo.output()).toContain(flag);
    }
    expect(demo.output()).not.toContain('8080'); // the old bridge's default port
  }, 30_000);

  it('serves the live view with --inspect --no-wait, keeps the agents running with --linger until Ctrl-C, then exits 0', async () => {
    const demo = startDemo(['--inspect', '--no-wait', '--linger', '--agents', '2'], 90_000);
    try {
      const url = (await demo.line(/open (http:\/\/127\.0\.0\.1:\d+\/[\w-]+\/) in a browser/))[1] as string;
      const port = Number(new URL(url).port);
      expect((await request(port, new URL(url).pathname)).status).toBe(200);
      await demo.line(/script done \(\d+\/\d+ checks held\); the agents keep running/, 60_000);
      await new Promise((r) => setTimeout(r, 500));
      expect(demo.child.exitCode).toBe(null); // still running after its script
      const stream = await openStream(`${url}events`);
      const hello = (await stream.next('hello')).data as { machines: { label: string; status: string }[] };
      expect(hello.machines.map((m) => [m.label, m.status])).toEqual([
        ['agent-1 › rebalancer', 'active'],
        ['agent-1 › stateSyncer', 'active'],
        ['agent-2 › rebalancer', 'active'],
        ['agent-2 › stateSyncer', 'active'],
      ]);
      stream.close();
      demo.child.kill('SIGINT');
      expect(await demo.exited, demo.output()).toBe(0);
      expect(demo.output()).toContain('all checks held');
      await expect(request(port, new URL(url).pathname)).rejects.toThrow(/ECONNREFUSED/); // closed on the way out
    } finally {
      if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
    }
  }, 100_000);

  it('starts nothing and exits 0 on Ctrl-C while --inspect waits for a browser', async () => {
    const demo = startDemo(['--inspect']);
    try {
      await demo.line(/waiting for the live view at http:\/\/127\.0\.0\.1:\d+\/[\w-]+\/ …/);
      demo.child.kill('SIGINT');
      expect(await demo.exited, demo.output()).toBe(0);
      expect(demo.output()).toContain('Ctrl-C before a browser connected: nothing was started');
      expect(demo.output()).not.toContain('ae-sync demo:');
    } finally {
      if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
    }
  }, 30_000);

  it('fails with one line, not a stack, when the --inspect port is taken', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => taken.once('listening', r));
    const port = (taken.address() as { port: number }).port;
    try {
      const demo = startDemo(['--inspect', '--inspect-port', String(port)]);
      expect(await demo.exited).toBe(2);
      expect(demo.stderr()).toBe(
        `demo failed: port ${port} on 127.0.0.1 is already in use (choose another with --inspect-port, or leave it out for any free port)\n`,
      );
      expect(demo.output()).not.toContain('ae-sync demo:'); // nothing started
    } finally {
      taken.close();
    }
  }, 30_000);
});
