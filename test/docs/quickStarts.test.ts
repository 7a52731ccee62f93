// README's quick starts, run as written: each block is executed as a module, its
// `ae-sync` imports mapped to the sources, its `pino` to a logger whose lines the test
// reads, and the reader's own functions (pushAll, rpc, …) supplied by the test. Quick
// start 1 is also run in its earlier, naive form, to show the race the README now avoids.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino, type Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allTsBlocks, ENTRY_SOURCES, root, type CodeBlock } from './blocks.js';
import type { StateSyncer } from '../../src/syncer/stateSyncer.js';
import type { SyncAgent } from '../../src/agent.js';
import type { Server } from '../../src/servers/types.js';
import { etcdAvailable, EtcdCluster } from '../helpers/etcdCluster.js';

const blocks = allTsBlocks();
const readme = (heading: string): CodeBlock => {
  const block = blocks.find((b) => b.file === 'README.md' && b.heading === heading);
  if (!block) throw new Error(`README.md has no TypeScript block under "${heading}"`);
  return block;
};

/** Quick start 1 as the README had it before: the dirty set is cleared after the push. */
const NAIVE_QUICK_START_1: CodeBlock = {
  file: 'README.md (before)',
  line: 0,
  given: '',
  heading: 'naive',
  code: `import { StateSyncer, type SyncState } from 'ae-sync';

const local = new Map<string, string>();   // what this agent owns
const dirty = new Set<string>();

const state: SyncState = {
  async syncFull(signal) { await pushAll(local, signal); dirty.clear(); },   // read remote, write the differences
  async syncChanges(signal) { await pushSome(local, dirty, signal); dirty.clear(); },
};

const syncer = new StateSyncer({ state, interval: 60_000, clusterSize: () => members.length }).start();

function set(key: string, value: string) {
  local.set(key, value);
  dirty.add(key);
  syncer.syncChanges.trigger();              // coalesced: many changes, one partial sync
}
onServerJoined(() => syncer.syncFull.trigger()); // staggered by cluster size: no thundering herd
process.on('SIGTERM', () => void syncer.stop()); // aborts the in-flight sync, resolves when it settled`,
};

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** What a block's `pino()` returns: a real pino logger whose lines land in `lines`. */
function capturingPino(lines: LogLine[]): () => Logger {
  return () => pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as LogLine) });
}

// Inside the repository, so that imports resolve as in a reader's project; removed afterwards.
mkdirSync(join(root, '.tmp'), { recursive: true });
const dir = mkdtempSync(join(root, '.tmp', 'quick-starts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let runs = 0;

/**
 * Runs `block` as a module. `env` supplies every name the block assumes (and `pino`,
 * `process`); `names` are the block's own top-level names the test wants back.
 */
async function runBlock(block: CodeBlock, env: Record<string, unknown>, names: string[], replace: [string, string][] = []): Promise<Record<string, unknown>> {
  const key = `__aeSyncQuickStart${++runs}`;
  (globalThis as Record<string, unknown>)[key] = env;
  let code = block.code;
  for (const [from, to] of replace) {
    if (!code.includes(from)) throw new Error(`${block.file}:${block.line}: the block no longer contains ${from}`);
    code = code.split(from).join(to);
  }
  code = code.replace(/from '(ae-sync(?:\/\w+)?)'/g, (_, name: string) => `from '${pathToFileURL(join(root, ENTRY_SOURCES[name] as string)).href}'`);
  code = code.replace(/^import \{ pino \} from 'pino';$/m, '');
  const given = Object.keys(env).filter((k) => k !== 'exports');
  const file = join(dir, `${key}.ts`);
  writeFileSync(file, `const __env = (globalThis as any).${key};\nconst { ${given.join(', ')} } = __env;\n${code}\n__env.exports = { ${names.join(', ')} };\n`);
  await import(pathToFileURL(file).href);
  return env.exports as Record<string, unknown>;
}

/** Lets promise chains and I/O callbacks run until `done()` holds (bounded: 2 000 turns). */
async function settle(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (done()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`never settled: ${what}`);
}

const statePath = (syncer: StateSyncer): string => JSON.stringify(syncer.actor?.getSnapshot().value);
const IDLE = JSON.stringify({ partialSync: 'idle' });

/** The reader's side of quick start 1: a remote store with a push that the test can hold. */
function quickStart1Env() {
  const remote = new Map<string, string>();
  const calls = { pushAll: 0, pushSome: 0 };
  const lines: LogLine[] = [];
  const handlers: Record<string, () => void> = {};
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  let failNext = false;
  return {
    remote,
    calls,
    lines,
    handlers,
    hold() {
      gate = new Promise((r) => (open = r));
    },
    release() {
      open?.();
      gate = undefined;
    },
    failNextPush() {
      failNext = true;
    },
    env: {
      pino: capturingPino(lines),
      members: ['a', 'b', 'c'],
      onServerJoined: () => undefined,
      pushAll: async (local: ReadonlyMap<string, string>) => {
        calls.pushAll++;
        for (const [k, v] of local) remote.set(k, v);
      },
      // Like an RPC: the request (the values) is built at once, the reply comes later.
      pushSome: async (local: ReadonlyMap<string, string>, keys: ReadonlySet<string>) => {
        calls.pushSome++;
        const values = [...keys].map((k) => [k, local.get(k) as string] as const);
        if (gate) await gate;
        if (failNext) {
          failNext = false;
          throw new Error('server unavailable');
        }
        for (const [k, v] of values) remote.set(k, v);
      },
      process: { on: (signal: string, handler: () => void) => (handlers[signal] = handler) },
    } as Record<string, unknown>,
  };
}

/** Four changes, three of them while the first push is in flight. */
async function burstDuringPush(block: CodeBlock): Promise<ReturnType<typeof quickStart1Env> & { syncer: StateSyncer }> {
  const world = quickStart1Env();
  const { set, syncer } = (await runBlock(block, world.env, ['set', 'syncer'])) as { set: (k: string, v: string) => void; syncer: StateSyncer };
  await settle(() => world.calls.pushAll === 1 && statePath(syncer) === IDLE, 'the first full sync');
  world.hold();
  set('a', '1'); // a partial sync starts at once and waits on the server
  expect(world.calls.pushSome).toBe(1);
  set('b', '2');
  set('c', '3');
  set('a', '4');
  world.release();
  await settle(() => world.calls.pushSome === 2 && statePath(syncer) === IDLE && !syncer.syncChanges.pending, 'the partial syncs');
  return { ...world, syncer };
}

describe('README quick start 1: embed a syncer', () => {
  it('the naive version (clear after the push) loses the changes made while a push is in flight', async () => {
    const world = await burstDuringPush(NAIVE_QUICK_START_1);
    expect(Object.fromEntries(world.remote)).toEqual({ a: '1' }); // three of four changes never arrive
    await world.syncer.stop();
  });

  it('pushes every change, in two partial syncs for a burst, when the batch is taken before the push', async () => {
    const world = await burstDuringPush(readme('Quick start: embed a syncer'));
    expect(Object.fromEntries(world.remote)).toEqual({ a: '4', b: '2', c: '3' });
    expect(world.calls.pushSome).toBe(2); // one at once, one for everything set meanwhile
    await world.syncer.stop();
  });

  it('puts a failed batch back, so the next partial sync pushes it; logs the failure; stops on SIGTERM', async () => {
    const world = quickStart1Env();
    const { set, syncer } = (await runBlock(readme('Quick start: embed a syncer'), world.env, ['set', 'syncer'])) as { set: (k: string, v: string) => void; syncer: StateSyncer };
    await settle(() => world.calls.pushAll === 1 && statePath(syncer) === IDLE, 'the first full sync');
    world.failNextPush();
    set('x', '1');
    await settle(() => world.calls.pushSome === 1 && statePath(syncer) === IDLE, 'the failed push');
    expect(world.remote.has('x')).toBe(false);
    expect(world.lines.some((l) => l.level >= 50 && /partial sync failed/.test(l.msg))).toBe(true);
    set('y', '2');
    await settle(() => world.calls.pushSome === 2 && statePath(syncer) === IDLE, 'the next push');
    expect(Object.fromEntries(world.remote)).toEqual({ x: '1', y: '2' });
    // The block's SIGTERM handler stops the syncer.
    expect(syncer.state).toBe('partialSync');
    world.handlers.SIGTERM!();
    expect(syncer.state).toBe('done');
    await syncer.stop(); // the same stop: resolves when it has settled
  });
});

describe('README quick start 2: an agent with a server manager', () => {
  it('sends its full sync through servers.call to the server added before start(), and only one', async () => {
    const lines: LogLine[] = [];
    const rpcs: string[] = [];
    const env = {
      pino: capturingPino(lines),
      rpc: async (server: Server, method: string) => {
        rpcs.push(`${server.name} ${method}`);
        return method === 'Status.Ping' ? { ok: true } : { applied: 1 }; // a real RPC's reply, not void
      },
      snapshot: () => ({ services: [] }),
      changes: () => ({ services: [] }),
    };
    const { agent } = (await runBlock(readme('Quick start: an agent with a server manager'), env, ['agent'])) as { agent: SyncAgent };
    await settle(() => agent.syncer.stats().fullSyncs === 1 && statePath(agent.syncer) === IDLE, 'the first full sync');
    expect(rpcs).toEqual(['server-1 Catalog.SyncFull']);
    // The server-up of addServer() before start() was satisfied by the first full sync: none is pending.
    expect(agent.syncer.syncFull.pending).toBe(false);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    await agent.stop();
  });
});

describe('README quick start 3: a service registry on etcd', () => {
  const block = readme('Quick start: a service registry on etcd');
  const endpoints = "['127.0.0.1:23791', '127.0.0.1:23792', '127.0.0.1:23793']";

  it('says so, in its log and its exit code, when etcd is not there', async () => {
    const closed = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => closed.once('listening', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r)); // nothing listens there now
    const lines: LogLine[] = [];
    const processStub: { exitCode?: number } = {};
    // The wait is shortened from the README's 10 s to 2 s; nothing else changes.
    const shorter: [string, string] = ['AbortSignal.timeout(10_000)', 'AbortSignal.timeout(2_000)'];
    await runBlock(block, { pino: capturingPino(lines), process: processStub }, [], [[endpoints, `['127.0.0.1:${port}']`], shorter]);
    expect(processStub.exitCode).toBe(1);
    expect(lines.some((l) => l.level === 50 && l.msg === 'not registered within 10 s; the agent keeps retrying')).toBe(true);
    expect(lines.some((l) => l.level === 40 && l.msg === 'could not register with etcd yet')).toBe(true);
    expect(lines.some((l) => l.level >= 50 && /^full sync failed; will retry in \d/.test(l.msg) && typeof l.retryInMs === 'number')).toBe(true);
  }, 30_000);

  describe.runIf(etcdAvailable())('against a real 3-member etcd cluster', () => {
    const cluster = new EtcdCluster({ basePort: 25101 });
    beforeAll(() => cluster.start(), 60_000);
    afterAll(() => cluster.stop());

    it('registers the service with its first full sync and exits cleanly', async () => {
      const lines: LogLine[] = [];
      const processStub: { exitCode?: number } = {};
      await runBlock(block, { pino: capturingPino(lines), process: processStub }, [], [[endpoints, JSON.stringify(cluster.endpoints).replace(/"/g, "'")]]);
      expect(processStub.exitCode).toBeUndefined();
      expect(lines.filter((l) => l.level >= 40)).toEqual([]);
      expect(lines.some((l) => l.msg === 'session opened')).toBe(true);
    }, 60_000);
  });
});

describe('docs/demo.md', () => {
  it('runs its live view example as written: a URL on 127.0.0.1 with a token, then a clean close', async () => {
    const block = blocks.find((b) => b.file === 'docs/demo.md' && b.code.includes('startLiveView'));
    expect(block).toBeDefined();
    const printed: string[] = [];
    await runBlock(block!, { console: { log: (line: string) => printed.push(line) } }, []);
    expect(printed).toEqual([expect.stringMatching(/^watch the agent at http:\/\/127\.0\.0\.1:\d+\/[\w-]{24}\/$/)]);
  });
});

describe('docs/testing.md', () => {
  it('runs its example test as written', async () => {
    const block = blocks.find((b) => b.file === 'docs/testing.md');
    expect(block).toBeDefined();
    await runBlock(block!, {}, []);
  });
});
