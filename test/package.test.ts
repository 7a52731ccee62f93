// The package as users get it: `npm pack` (which builds dist/), installed into fresh
// projects from the local npm cache (--prefer-offline: the registry is asked only for
// what the cache lacks), then every entry is imported from the installed dist/, every
// `bin` is run, and a TypeScript project typechecks against the shipped declarations.
// One project has the tarball alone (the optional peers missing), one has the peers too.
import { execFileSync, spawnSync, type ExecFileSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tsBlocks } from './docs/blocks.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  license: string;
  engines: { node: string };
  exports: Record<string, unknown>;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  devDependencies: Record<string, string>;
};

/** Which entry needs which optional peer: imported without it, it must fail naming it. */
const PEERS_OF_ENTRIES: Record<string, string> = {
  'ae-sync/etcd': 'etcd3',
  'ae-sync/testing': '@sinonjs/fake-timers',
  'ae-sync/view': 'elkjs',
};
const ENTRIES = ['ae-sync', 'ae-sync/machines', 'ae-sync/testing', 'ae-sync/etcd', 'ae-sync/view'];

/** Children get npm's own variables of this run stripped: the temp projects are not this package. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('npm_') || k === 'npm_config_cache' || k === 'npm_config_registry') env[k] = v;
  return env;
}

function run(cmd: string, args: string[], cwd: string, timeout = 180_000): string {
  const options: ExecFileSyncOptions = { cwd, env: cleanEnv(), timeout, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' };
  try {
    return execFileSync(cmd, args, options) as string;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** Runs an ES module script inside `cwd` and parses the JSON it prints last. */
function node<T>(cwd: string, script: string): T {
  writeFileSync(join(cwd, 'probe.mjs'), script);
  const out = run(process.execPath, ['probe.mjs'], cwd, 60_000).trim().split('\n');
  return JSON.parse(out.at(-1) as string) as T;
}

function project(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  return dir;
}

const npmInstall = (cwd: string, specs: string[]): string =>
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', ...specs], cwd);

describe('the packed package', () => {
  let work: string;
  let tarball: string;
  let files: string[];
  let bare: string;
  let full: string;
  let installWarnings: string[] = [];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'ae-sync-pack-'));
    const packed = JSON.parse(run('npm', ['pack', '--json', '--loglevel=error', '--pack-destination', work], root, 240_000)) as { filename: string; files: { path: string }[] }[];
    tarball = join(work, packed[0]!.filename);
    files = packed[0]!.files.map((f) => f.path);
    bare = project(join(work, 'bare'));
    // The bare install at warning level: a user must see no npm warning (e.g. a `prepare` script whose file is not shipped).
    const install = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=warn', tarball], { cwd: bare, env: cleanEnv(), encoding: 'utf8', timeout: 240_000 });
    if (install.status !== 0) throw new Error(`npm install failed: ${install.stderr}`);
    installWarnings = `${install.stdout}\n${install.stderr}`.split('\n').filter((l) => /\bwarn/i.test(l));
    full = project(join(work, 'full'));
    const peers = ['etcd3', '@sinonjs/fake-timers', 'elkjs'].map((name) => `${name}@${pkg.peerDependencies[name]}`);
    npmInstall(full, [tarball, ...peers]);
  }, 600_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ships the built entries, the live view\'s assets, the demo, the simulator and the license — not the tests', () => {
    for (const f of ['LICENSE', 'README.md', 'package.json', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/machines/index.js', 'dist/src/view/client/app.js', 'dist/src/view/client/style.css', 'dist/src/demo/main.js', 'dist/src/sim/cli.js']) {
      expect(files, f).toContain(f);
    }
    for (const f of files) expect(f).not.toMatch(/^(test|bench|scripts|\.ci|\.tmp)\/|^dist\/(test|bench|scripts)\//);
    expect(readFileSync(join(root, 'LICENSE'), 'utf8').startsWith('Mozilla Public License Version 2.0')).toBe(true);
    expect(pkg.license).toBe('MPL-2.0');
  });

  it('ships the guides, so that every relative link of README.md and docs/*.md resolves in node_modules', () => {
    const guides = files.filter((f) => f === 'README.md' || /^docs\/[^/]+\.md$/.test(f));
    expect(guides).toEqual(expect.arrayContaining(['README.md', 'docs/api.md', 'docs/tuning.md', 'docs/testing.md', 'docs/observability.md']));
    const broken: string[] = [];
    for (const guide of guides) {
      const dir = guide.includes('/') ? guide.slice(0, guide.lastIndexOf('/') + 1) : '';
      for (const m of readFileSync(join(root, guide), 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = (m[1] as string).split('#')[0] as string;
        if (target === '' || /^[a-z]+:/i.test(target)) continue;
        const path = join(dir, target).replace(/\\/g, '/');
        if (!files.includes(path)) broken.push(`${guide} -> ${m[1] as string}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('keeps subpath-only packages as optional peers (and dev dependencies for our own tests)', () => {
    // @opentelemetry/api: a no-op until the application installs an SDK (docs/observability.md).
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['@opentelemetry/api', 'xstate']);
    // pino: any Logger-shaped object is accepted; only the demo's --log-level loads pino.
    expect(pkg.peerDependenciesMeta.pino?.optional).toBe(true);
    for (const peer of Object.values(PEERS_OF_ENTRIES)) {
      expect(pkg.peerDependenciesMeta[peer]?.optional, peer).toBe(true);
      expect(pkg.devDependencies[peer], peer).toBe(pkg.peerDependencies[peer]);
    }
  });

  it('installs with only xstate and @opentelemetry/api besides itself (no pino), and the root and machines entries load from dist', () => {
    const installed = readFileSync(join(bare, 'package-lock.json'), 'utf8');
    expect(installed).not.toContain('"node_modules/pino"');
    for (const peer of Object.values(PEERS_OF_ENTRIES)) expect(installed).not.toContain(`"node_modules/${peer}"`);
    const result = node<Record<string, string[]>>(
      bare,
      `const out = {};
for (const e of ['ae-sync', 'ae-sync/machines']) out[e] = [import.meta.resolve(e), ...Object.keys(await import(e)).sort()];
console.log(JSON.stringify(out));`,
    );
    expect(result['ae-sync']![0]).toMatch(/\/node_modules\/ae-sync\/dist\/src\/index\.js$/);
    expect(result['ae-sync']).toEqual(expect.arrayContaining(['StateSyncer', 'ServerManager', 'createSyncAgent', 'createCatalogAgent', 'MemoryCluster', 'MissingPeerError', 'fromConsole']));
    expect(result['ae-sync/machines']).toEqual(expect.arrayContaining(['stateSyncerMachine', 'rebalancerMachine']));
    // Logging needs no pino: a failed sync's line reaches console through fromConsole.
    const logged = node<unknown[][]>(
      bare,
      `import { StateSyncer, fromConsole } from 'ae-sync';
const calls = [];
const target = { debug() {}, info() {}, warn() {}, error: (...args) => calls.push(args) };
const state = { syncFull: async () => { throw new Error('down'); }, syncChanges: async () => undefined };
const syncer = new StateSyncer({ state, interval: 60_000, clusterSize: () => 1, random: () => 0, logger: fromConsole(target) }).start();
for (let i = 0; i < 100 && calls.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
await syncer.stop();
console.log(JSON.stringify(calls.map(([msg, fields]) => [msg, fields.component, fields.retryInMs, fields.err.message])));`,
    );
    expect(logged).toEqual([['full sync failed; will retry in 15 s (retryFailInterval plus stagger)', 'stateSyncer', 15_000, 'down']]);
  });

  it('fails to import an entry whose optional peer is missing with a MissingPeerError naming the package', () => {
    const result = node<Record<string, { code: string; message: string; guard: boolean }>>(
      bare,
      `import { isMissingPeerError } from 'ae-sync';
const out = {};
for (const e of ${JSON.stringify(Object.keys(PEERS_OF_ENTRIES))}) {
  try { await import(e); out[e] = { code: 'loaded', message: '', guard: false }; }
  catch (err) { out[e] = { code: err.code, message: err.message, guard: isMissingPeerError(err) }; }
}
console.log(JSON.stringify(out));`,
    );
    for (const [entry, peer] of Object.entries(PEERS_OF_ENTRIES)) {
      expect(result[entry], entry).toEqual({
        code: 'ERR_MISSING_PEER',
        message: `${entry} needs the package "${peer}", which is not installed: run \`npm install ${peer}\``,
        guard: true,
      });
    }
  });

  it('installs without a single npm warning, and its manifest has no install-time script', () => {
    expect(installWarnings).toEqual([]);
    const installed = JSON.parse(readFileSync(join(bare, 'node_modules/ae-sync/package.json'), 'utf8')) as { scripts?: Record<string, string> };
    for (const hook of ['prepare', 'preinstall', 'install', 'postinstall']) expect(installed.scripts?.[hook], hook).toBeUndefined();
  });

  it('runs the simulator as ae-sync-sim: --help in under 2 s, no line over 100 columns', () => {
    const started = Date.now();
    const out = run(join(bare, 'node_modules/.bin', 'ae-sync-sim'), ['--help'], bare, 30_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(out).toMatch(/^usage: ae-sync-sim/);
    for (const line of out.split('\n')) expect(line.length, line).toBeLessThanOrEqual(100);
  });

  it('typechecks a quick start under strict without the optional peers installed', () => {
    writeFileSync(
      join(bare, 'quick.ts'),
      `import { StateSyncer, createCatalogAgent, MemoryCluster, whenSynced, whenWritten, type SyncState } from 'ae-sync';
const state: SyncState = { syncFull: async () => undefined, syncChanges: async () => undefined };
const syncer = new StateSyncer({ state, interval: 60_000, clusterSize: () => 1 }).start();
syncer.on('fatal', (err) => console.error(err.message));
await whenSynced(syncer, { signal: AbortSignal.timeout(10_000) });
const agent = createCatalogAgent({ backend: new MemoryCluster(), node: 'web-1', interval: 60_000 }).start();
await whenWritten(agent);
await Promise.all([syncer.stop(), agent.stop()]);
`,
    );
    writeFileSync(
      join(bare, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'], typeRoots: [join(root, 'node_modules/@types')] },
        files: ['quick.ts'],
      }),
    );
    run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], bare, 150_000);
  }, 180_000);

  it('typechecks the README quick starts and a consumer of every entry under strict, without skipLibCheck, with no optional peer installed', () => {
    // The entries' declarations must not import an optional peer's types: a user who has not
    // installed etcd3 (say) gets a MissingPeerError at run time, never a tsc error inside node_modules.
    const quickStarts = tsBlocks('README.md', readFileSync(join(root, 'README.md'), 'utf8')).filter((b) => b.heading.startsWith('Quick start'));
    expect(quickStarts.length).toBe(3);
    const files = quickStarts.map((b, i) => {
      writeFileSync(join(bare, `readme-${i}.ts`), `${b.given}\n${b.code}\nexport {};\n`);
      return `readme-${i}.ts`;
    });
    writeFileSync(
      join(bare, 'entries.ts'),
      `import { StateSyncer } from 'ae-sync';
import { stateSyncerMachine, rebalancerMachine } from 'ae-sync/machines';
import { createTestClock, type TestClock } from 'ae-sync/testing';
import { createEtcdBackend, type EtcdBackend, type EtcdMemberClient, type EtcdBackendOptions } from 'ae-sync/etcd';
import { startLiveView, type LiveView } from 'ae-sync/view';
export async function consumer(options: EtcdBackendOptions): Promise<number> {
  const clock: TestClock = createTestClock(0);
  const backend: EtcdBackend = createEtcdBackend(options);
  const client: EtcdMemberClient = backend.memberClient(backend.initialServers()[0]!);
  client.close();
  const view: LiveView = await startLiveView({ port: 0 });
  new StateSyncer({ state: { syncFull: () => undefined, syncChanges: () => undefined }, interval: 1_000, clusterSize: () => 1, clock, inspect: view.inspect });
  await clock.tickAsync(1_000);
  return stateSyncerMachine.id.length + rebalancerMachine.id.length + clock.countTimers();
}
`,
    );
    for (const peer of ['etcd3', '@sinonjs/fake-timers', 'elkjs', 'ws', '@statelyai/inspect']) expect(existsSync(join(bare, 'node_modules', peer)), peer).toBe(false);
    // The quick starts log with pino, which the user installs when ae-sync does not bring it.
    const paths = existsSync(join(bare, 'node_modules/pino')) ? {} : { pino: [join(root, 'node_modules/pino/pino.d.ts')] };
    writeFileSync(
      join(bare, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, noEmit: true, types: ['node'], typeRoots: [join(root, 'node_modules/@types')], paths },
        files: [...files, 'entries.ts'],
      }),
    );
    run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], bare, 150_000);
  }, 180_000);

  it('runs every bin with --help from the installed package', () => {
    const installed = JSON.parse(readFileSync(join(bare, 'node_modules/ae-sync/package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(Object.keys(installed.bin)).toEqual(Object.keys(pkg.bin));
    expect(Object.keys(installed.bin).length).toBeGreaterThan(0);
    for (const bin of Object.keys(installed.bin)) {
      const out = run(join(bare, 'node_modules/.bin', bin), ['--help'], bare, 30_000);
      expect(out, bin).toMatch(/^usage: /);
    }
  });

  it('imports every entry once the peers are installed, and the live view serves its page and scripts from the installed files', () => {
    const result = node<{ entries: Record<string, number>; statuses: number[]; clock: number }>(
      full,
      `const entries = {};
for (const e of ${JSON.stringify(ENTRIES)}) entries[e] = Object.keys(await import(e)).length;
const { startLiveView } = await import('ae-sync/view');
const view = await startLiveView();
const statuses = [];
for (const p of ['', 'app.js', 'style.css', 'elk.js']) statuses.push((await fetch(view.url + p)).status);
await view.close();
const { createTestClock } = await import('ae-sync/testing');
const clock = createTestClock(5);
console.log(JSON.stringify({ entries, statuses, clock: clock.now }));`,
    );
    for (const e of ENTRIES) expect(result.entries[e], e).toBeGreaterThan(0);
    expect(result.statuses).toEqual([200, 200, 200, 200]);
    expect(result.clock).toBe(5);
  }, 60_000);

  it('typechecks a TypeScript consumer of every entry against the shipped declarations', () => {
    writeFileSync(
      join(full, 'index.ts'),
      `import { StateSyncer, createCatalogAgent, MemoryCluster, isMissingPeerError, type SyncState } from 'ae-sync';
import { stateSyncerMachine } from 'ae-sync/machines';
import { createTestClock } from 'ae-sync/testing';
import { createEtcdBackend } from 'ae-sync/etcd';
import { startLiveView, type LiveView } from 'ae-sync/view';
const state: SyncState = { syncFull: async () => 'any reply', syncChanges: () => undefined };
const clock = createTestClock();
const view: LiveView = await startLiveView({ port: 0 });
new StateSyncer({ state, interval: 60_000, clusterSize: () => 1, clock, inspect: view.inspect });
createCatalogAgent({ backend: new MemoryCluster({ clock }), node: 'n', interval: 1_000, inspect: view.inspector('n') });
createEtcdBackend({ endpoints: ['127.0.0.1:2379'] });
export const ok: boolean = isMissingPeerError(new Error()) || stateSyncerMachine.id === 'x';
`,
    );
    writeFileSync(
      join(full, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'], typeRoots: [join(root, 'node_modules/@types')] },
        files: ['index.ts'],
      }),
    );
    run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], full, 150_000);
  }, 180_000);
});
