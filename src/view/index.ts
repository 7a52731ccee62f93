// `ae-sync/view`: a live view of running xstate machines that needs nothing but the
// agent. `startLiveView()` serves one page on 127.0.0.1 that draws each machine's
// statechart (laid out by elkjs in the browser), highlights its active state and
// scrolls an event log; pass `view.inspect` (or `view.inspector(name)`) as the
// `inspect` option of StateSyncer, createSyncAgent or createCatalogAgent.

/**
 * A live view of running machines in the browser, served on 127.0.0.1. Needs the optional peer `elkjs`.
 *
 * @module ae-sync/view
 */
import type { InspectionEvent } from 'xstate';
import { loadAssets } from './assets.js';
import { resolveViewOptions, type LiveViewOptions } from './options.js';
import { HOST, ViewServer } from './server.js';
import { ViewStore } from './store.js';
import { componentLogger } from '../shared/logger.js';
import { describeValue } from '../shared/options.js';

export type { LiveViewOptions } from './options.js';
export { PortInUseError, isPortInUseError } from './errors.js';

/** Longest label the page shows for one agent; longer ones are cut. */
const MAX_LABEL_CHARS = 200;

export interface LiveView {
  /** The page's address, with the run's secret token: `http://127.0.0.1:<port>/<token>/`. */
  readonly url: string;
  readonly port: number;
  /** An xstate inspection observer: pass it as `inspect`. Root machines are named `<machine id>`, `<machine id> #2`, … */
  readonly inspect: (event: InspectionEvent) => void;
  /** An observer whose root machines are shown as `label` (e.g. the agent's node name). */
  inspector(label: string): (event: InspectionEvent) => void;
  /** Browsers connected now. */
  readonly viewers: number;
  /**
   * Resolves once a browser has the page open (its event stream connected) — at once if
   * one already has — or when the view closes, or when `signal` aborts. What
   * `ae-sync-demo --inspect` waits on before it starts the scenario.
   */
  waitForViewer(signal?: AbortSignal): Promise<void>;
  /**
   * Adds a marker to the event log and shows `text` as the page's banner (e.g. the
   * phase a run is in). Texts longer than 200 characters are cut.
   */
  mark(text: string): void;
  /** Disconnects every browser and stops listening; the observers then ignore events. Safe to repeat. */
  close(): Promise<void>;
}

/**
 * Starts the live view. Rejects with a `PortInUseError` when `port` is taken, and
 * throws a `TypeError`/`RangeError` for a malformed option.
 */
export async function startLiveView(options?: LiveViewOptions): Promise<LiveView> {
  const resolved = resolveViewOptions(options);
  const log = componentLogger(options?.logger, 'liveView');
  const assets = await loadAssets(resolved.title);
  // The store publishes only when an event arrives, after both exist.
  const store: ViewStore = new ViewStore(resolved, (message) => server.broadcast(message));
  const server = new ViewServer({
    port: resolved.port,
    maxClients: resolved.maxClients,
    maxConnections: resolved.maxConnections,
    headersTimeoutMs: resolved.headersTimeoutMs,
    maxClientBacklogBytes: resolved.maxClientBacklogBytes,
    assets,
    hello: () => store.hello(),
    log,
  });
  await server.listen();
  const running = server;
  let closed = false;
  const observer = (label: string | undefined) => (event: InspectionEvent): void => {
    if (closed) return;
    try {
      store.take(event, label);
    } catch (err) {
      // An inspector must never break the machine it watches.
      log.warn({ err }, 'live view could not take an inspection event');
    }
  };
  const url = `http://${HOST}:${running.port}/${running.token}/`;
  log.info({ port: running.port }, 'live view listening on 127.0.0.1');
  return {
    url,
    port: running.port,
    inspect: observer(undefined),
    inspector(label: string) {
      if (typeof label !== 'string' || label.length === 0) throw new TypeError(`label must be a non-empty string, received ${describeValue(label)}`);
      return observer(label.length > MAX_LABEL_CHARS ? `${label.slice(0, MAX_LABEL_CHARS - 1)}…` : label);
    },
    get viewers() {
      return running.clients;
    },
    waitForViewer(signal?: AbortSignal) {
      if (signal?.aborted) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = (): void => {
          signal?.removeEventListener('abort', done);
          resolve();
        };
        signal?.addEventListener('abort', done, { once: true });
        void running.whenViewer().then(done);
      });
    },
    mark(text: string) {
      if (typeof text !== 'string') throw new TypeError(`mark needs a string, received ${describeValue(text)}`);
      if (!closed) store.mark(text);
    },
    close() {
      closed = true;
      return running.close();
    },
  };
}
