// `npm run demo`: several agents keep their services registered in a catalog cluster
// while a scripted scenario hurts it; prints a live status view and a summary, and
// exits 0 only if every check held. Flags: --etcd host:port,… --inspect[=port] --agents N --seed N.
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { InspectionEvent, Observer } from 'xstate';
import { runDemo, type DemoTiming } from './scenario.js';
import { memoryTarget, type DemoTarget } from './target.js';
import { StatusView, summaryLines } from './view.js';
import { createRandom } from '../shared/random.js';
import type { Logger } from '../shared/logger.js';

const USAGE = `usage: npm run demo -- [options]
  --etcd host:port,...   play against a real etcd cluster (see scripts/etcd-cluster.sh)
  --inspect[=port]       start @statelyai/inspect's inspector server (default port 8080)
                         and stream every agent's syncer machine to it
  --agents N             number of agents (default 6)
  --seed N               random seed (default 1)
  --log-level LEVEL      pino log level on stderr (default: silent)
  --help`;

interface Inspector {
  inspect: Observer<InspectionEvent>;
  stop(): void;
}

async function startInspector(port: number, out: (line: string) => void): Promise<Inspector> {
  const [{ startLoopbackInspectorServer }, { createWebSocketInspector }] = await Promise.all([
    import('./inspectorServer.js'),
    import('@statelyai/inspect'),
  ]);
  const server = await startLoopbackInspectorServer(port);
  const inspector = createWebSocketInspector({ url: `ws://127.0.0.1:${server.port}` });
  out(`inspector: open http://127.0.0.1:${server.port} in a browser to watch the agents' syncer machines`);
  return {
    inspect: inspector.inspect,
    stop() {
      inspector.stop();
      void server.close();
    },
  };
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`--${name} must be a positive integer, received ${JSON.stringify(value)}`);
  return n;
}

export async function main(argv: readonly string[]): Promise<number> {
  // A bare `--inspect` means the default port (parseArgs wants a value for string options).
  const args = argv.map((a) => (a === '--inspect' ? '--inspect=8080' : a));
  const { values } = parseArgs({
    args,
    options: {
      etcd: { type: 'string' },
      inspect: { type: 'string' },
      agents: { type: 'string' },
      seed: { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const inspectPort = values.inspect !== undefined ? positiveInt('inspect', values.inspect, 8080) : undefined;
  const agents = positiveInt('agents', values.agents, 6);
  const seed = positiveInt('seed', values.seed, 1);
  const logger: Logger | undefined = values['log-level'] ? pino({ level: values['log-level'] }, pino.destination(2)) : undefined;

  const view = new StatusView(process.stdout);
  const say = (line: string): void => view.event(line);
  let target: DemoTarget;
  let timing: Partial<DemoTiming> | undefined;
  if (values.etcd) {
    const endpoints = values.etcd.split(',').map((e) => e.trim()).filter((e) => e.length > 0);
    // Imported on demand: the embedded demo must run even if the etcd code cannot load.
    const { etcdTarget } = await import('./etcdTarget.js');
    const etcd = await etcdTarget({ endpoints, logger });
    target = etcd;
    timing = etcd.timing;
  } else {
    target = memoryTarget({ random: createRandom(seed), logger });
  }
  const inspector = inspectPort !== undefined ? await startInspector(inspectPort, say) : undefined;

  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
    say(`✗ unhandled rejection: ${String(reason)}`);
  };
  process.on('unhandledRejection', onUnhandled);
  say(`ae-sync demo: ${agents} agents against ${target.description}`);
  if (target.faultNote) say(target.faultNote);
  try {
    const result = await runDemo({
      target,
      seed,
      agents,
      timing,
      logger,
      inspect: inspector?.inspect,
      onEvent: say,
      onAgents: (list) => view.watch(list),
      onPhase: (name) => view.setPhase(name),
    });
    view.stop();
    const ok = result.ok && unhandled.length === 0;
    const lines = summaryLines(result.phases, result.checks, view.tty);
    process.stdout.write(`\nsummary (${(result.totalMs / 1000).toFixed(1)} s)\n${lines.join('\n')}\n`);
    process.stdout.write(`join: full syncs started at +${result.joinOffsets.join(', +')} ms after the join\n`);
    process.stdout.write(ok ? 'all checks held\n' : `FAILED${unhandled.length ? ` (${unhandled.length} unhandled rejections)` : ''}\n`);
    return ok ? 0 : 1;
  } finally {
    process.off('unhandledRejection', onUnhandled);
    inspector?.stop();
    await target.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    const usage = (err as { code?: unknown } | undefined)?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || err instanceof RangeError;
    process.stderr.write(`demo failed: ${message}\n${usage ? `${USAGE}\n` : ''}`);
    process.exit(2);
  },
);
