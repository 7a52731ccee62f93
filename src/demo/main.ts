#!/usr/bin/env node
// `npm run demo` (installed: `npx ae-sync-demo`): several agents keep their services
// registered in a catalog cluster while a scripted scenario hurts it; prints a live
// status view and a summary, and exits 0 only if every check held. `--inspect` serves
// the live view of every agent's syncer machine (ae-sync/view); see USAGE for the rest.
import { parseArgs } from 'node:util';
import type { InspectionEvent } from 'xstate';
import { runDemo, type DemoCheck, type DemoTiming } from './scenario.js';
import { memoryTarget, type DemoTarget } from './target.js';
import { StatusView, summaryLines } from './terminal.js';
import { PACED_LATENCY_MS, PACED_TIMING } from './scenarioTypes.js';
import { DEFAULT_METRICS_PORT, startMetrics } from './metrics.js';
import { isPortInUseError } from '../view/errors.js';
import { createRandom } from '../shared/random.js';
import { importPeer } from '../shared/peer.js';
import type { Logger } from '../shared/logger.js';

const USAGE = `usage: npm run demo -- [options]          (from the installed package: npx ae-sync-demo [options])
  --etcd host:port,...   play against a real etcd cluster (two endpoints or more; see scripts/etcd-cluster.sh)
  --inspect              serve the live view on 127.0.0.1 and print its URL: each agent's syncer and
                         rebalancer statecharts with their active states highlighted, the phases as
                         markers, and an event log (works offline). The scenario waits until a
                         browser has the page open
  --no-wait              with --inspect: start the scenario at once, without waiting for a browser
  --pace                 play at a speed a person can follow: slower calls and timers, and a pause
                         before each phase (the live view shows the phase as a banner)
  --inspect=stately      relay the syncers to the Stately inspector instead (the browser needs internet;
                         needs the packages @statelyai/inspect and ws)
  --inspect-port N       port for --inspect (default 0: any free port)
  --linger               after the script, keep the agents running until Ctrl-C
  --metrics              serve the agents' OpenTelemetry metrics for Prometheus on 127.0.0.1 and print the URL
  --metrics-port N       port for --metrics (default 9464)
  --agents N             number of agents (default 6)
  --seed N               random seed (default 1)
  --log-level LEVEL      pino log level on stderr (default: silent; needs pino installed)
  --help                 print this and exit`;

type Observer = (event: InspectionEvent) => void;

interface Inspection {
  url: string;
  what: string;
  inspectorFor(node: string): Observer;
  /** Resolves once a browser watches (the live view only). */
  waitForViewer?(signal: AbortSignal): Promise<void>;
  /** Shows a phase in the viewer (the live view only). */
  mark?(text: string): void;
  close(): Promise<void>;
}

/** A pino logger on stderr at `level`; pino is an optional peer, loaded only when asked for. */
async function stderrPino(level: string): Promise<Logger> {
  const { pino } = await importPeer('pino', 'ae-sync-demo --log-level', () => import('pino'));
  // Typed as our Logger: pino's own type has an open index, which `async` would take for a thenable.
  const logger: Logger = pino({ level }, pino.destination(2));
  return logger;
}

async function startLiveViewInspection(port: number, logger: Logger | undefined): Promise<Inspection> {
  // Imported on demand: without --inspect the demo opens no socket and needs no elkjs.
  const { startLiveView } = await import('../view/index.js');
  const view = await startLiveView({ port, title: 'ae-sync demo', logger });
  return {
    url: view.url,
    what: 'the live view',
    inspectorFor: (node) => view.inspector(node),
    waitForViewer: (signal) => view.waitForViewer(signal),
    mark: (text) => view.mark(text),
    close: () => view.close(),
  };
}

/** Prefixes the actor ids of one agent's events: every syncer's actor system numbers its actors from x:0. */
function namespaced(node: string): <T extends object>(event: T) => T {
  const prefix = `${node}/`;
  return <T extends object>(event: T): T => {
    const out = { ...event } as Record<string, unknown>;
    for (const key of ['sessionId', 'rootId', 'parentId', 'sourceId']) {
      const id = out[key];
      if (typeof id === 'string' && !id.startsWith(prefix)) out[key] = prefix + id;
    }
    return out as T;
  };
}

async function startStatelyInspection(port: number): Promise<Inspection> {
  const [{ startLoopbackInspectorServer }, { createWebSocketInspector }] = await Promise.all([
    importPeer('ws', '--inspect=stately', () => import('./inspectorServer.js')),
    importPeer('@statelyai/inspect', '--inspect=stately', () => import('@statelyai/inspect')),
  ]);
  const server = await startLoopbackInspectorServer(port);
  const inspectors: { stop(): void }[] = [];
  return {
    url: server.pageUrl,
    what: 'the Stately inspector (needs internet in the browser)',
    inspectorFor(node) {
      const inspector = createWebSocketInspector({ url: server.sourceUrl, serialize: namespaced(node) });
      inspectors.push(inspector);
      return (event) => inspector.inspect.next?.(event);
    },
    async close() {
      for (const inspector of inspectors) inspector.stop();
      await server.close();
    },
  };
}

function positiveInt(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > 65_535) throw new RangeError(`--${name} must be an integer in [${min}, 65535], received ${JSON.stringify(value)}`);
  return n;
}

/** Resolves on the first Ctrl-C (or SIGTERM), or when `signal` aborts. */
function interrupted(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export async function main(argv: readonly string[]): Promise<number> {
  // A bare `--inspect` means the live view (parseArgs wants a value for string options).
  const args = argv.map((a) => (a === '--inspect' ? '--inspect=view' : a));
  const { values } = parseArgs({
    args,
    options: {
      etcd: { type: 'string' },
      inspect: { type: 'string' },
      'inspect-port': { type: 'string' },
      linger: { type: 'boolean' },
      metrics: { type: 'boolean' },
      'metrics-port': { type: 'string' },
      'no-wait': { type: 'boolean' },
      pace: { type: 'boolean' },
      agents: { type: 'string' },
      seed: { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.inspect !== undefined && values.inspect !== 'view' && values.inspect !== 'stately') {
    throw new RangeError(`--inspect takes no value or "stately", received ${JSON.stringify(values.inspect)}`);
  }
  const inspectPort = positiveInt('inspect-port', values['inspect-port'], 0, 0);
  const metricsPort = positiveInt('metrics-port', values['metrics-port'], DEFAULT_METRICS_PORT);
  const agents = positiveInt('agents', values.agents, 6);
  const seed = positiveInt('seed', values.seed, 1);
  const logger = values['log-level'] ? await stderrPino(values['log-level']) : undefined;

  // The inspection server first: a taken port ends the demo before anything else starts.
  const inspection =
    values.inspect === 'stately'
      ? await startStatelyInspection(inspectPort)
      : values.inspect === 'view'
        ? await startLiveViewInspection(inspectPort, logger)
        : undefined;
  // Before any agent exists: agents take the global meter provider when they are made.
  const metricsEndpoint = values.metrics ? await startMetrics(metricsPort) : undefined;
  const view = new StatusView(process.stdout);
  const say = (line: string): void => view.event(line);
  let target: DemoTarget | undefined;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
    say(`✗ unhandled rejection: ${String(reason)}`);
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    let timing: Partial<DemoTiming> | undefined;
    if (values.etcd) {
      const endpoints = values.etcd.split(',').map((e) => e.trim()).filter((e) => e.length > 0);
      // Imported on demand: the embedded demo must run even without the etcd3 package.
      const { etcdTarget } = await import('./etcdTarget.js');
      const etcd = await etcdTarget({ endpoints, logger });
      target = etcd;
      timing = etcd.timing;
    } else {
      target = memoryTarget({ random: createRandom(seed), logger, latencyMs: values.pace ? PACED_LATENCY_MS : undefined });
    }
    if (inspection) say(`inspect: open ${inspection.url} in a browser to watch every agent's machines in ${inspection.what}`);
    if (inspection?.waitForViewer && !values['no-wait']) {
      say(`waiting for the live view at ${inspection.url} … (open it in a browser; --no-wait starts at once; Ctrl-C stops)`);
      const stop = new AbortController();
      const ctrlC = interrupted(stop.signal).then(() => 'interrupted' as const);
      const outcome = await Promise.race([inspection.waitForViewer(stop.signal).then(() => 'viewer' as const), ctrlC]);
      stop.abort();
      if (outcome === 'interrupted') {
        say('Ctrl-C before a browser connected: nothing was started');
        return 0;
      }
      say('a browser is watching: starting the scenario');
    }
    if (values.pace) {
      timing = { ...PACED_TIMING, ...timing };
      say(`paced: calls take ${PACED_LATENCY_MS.join('–')} ms, timers run slower, and each phase starts after a ${PACED_TIMING.phasePause / 1000} s pause`);
    }
    if (metricsEndpoint) say(`metrics: Prometheus can scrape ${metricsEndpoint.url}`);
    say(`ae-sync demo: ${agents} agents against ${target.description}`);
    if (target.faultNote) say(target.faultNote);
    const linger = values.linger
      ? async (checks: readonly DemoCheck[]): Promise<void> => {
          const held = checks.filter((c) => c.ok).length;
          say(`script done (${held}/${checks.length} checks held); the agents keep running — press Ctrl-C to stop them`);
          await interrupted();
          say('Ctrl-C: stopping the agents');
        }
      : undefined;
    const result = await runDemo({
      target,
      seed,
      agents,
      timing,
      logger,
      inspectorFor: inspection ? (node) => inspection.inspectorFor(node) : undefined,
      beforeStop: linger,
      onEvent: say,
      onAgents: (list) => view.watch(list),
      onPhase: (name) => {
        view.setPhase(name);
        inspection?.mark?.(name);
      },
    });
    inspection?.mark?.(result.ok ? 'scenario done: all checks held' : 'scenario done: some checks failed');
    view.stop();
    const ok = result.ok && unhandled.length === 0;
    const lines = summaryLines(result.phases, result.checks, view.tty);
    process.stdout.write(`\nsummary (${(result.totalMs / 1000).toFixed(1)} s)\n${lines.join('\n')}\n`);
    const j = result.join;
    process.stdout.write(
      `join: ${j.askedForFullSync} of ${j.sawServer} agents asked for a full sync (periodic full syncs meanwhile: ${j.periodicFullSyncs}); ` +
        `the cut-off agent full-synced ${j.fullSyncAfterReturnMs === undefined ? 'never' : `${j.fullSyncAfterReturnMs} ms after it could reach the servers again`}\n`,
    );
    process.stdout.write(ok ? 'all checks held\n' : `FAILED${unhandled.length ? ` (${unhandled.length} unhandled rejections)` : ''}\n`);
    return ok ? 0 : 1;
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await inspection?.close();
    await metricsEndpoint?.close();
    await target?.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // One line, never a stack: these are the user's mistakes (a flag, a taken port, a missing package).
    const message = err instanceof Error ? err.message : String(err);
    const code = (err as { code?: unknown } | undefined)?.code;
    const usage = (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) || err instanceof RangeError;
    const hint = isPortInUseError(err) ? ' (choose another with --inspect-port, or leave it out for any free port)' : '';
    process.stderr.write(`demo failed: ${message}${hint}\n${usage ? `${USAGE}\n` : ''}`);
    process.exit(2);
  },
);
