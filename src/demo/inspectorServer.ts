// `--inspect=stately`: a small HTTP + WebSocket bridge on 127.0.0.1 that relays the
// agents' xstate inspection events to the Stately inspector (https://stately.ai/inspect,
// embedded in the page it serves), for users who are online. @statelyai/inspect ships a
// similar server, but it listens on every interface, accepts any page's connection and
// relays every client's messages to every other; this one binds loopback only, checks
// Host and Origin, requires the run's token, bounds message sizes, and relays only what
// the demo's own inspectors send: browsers receive, they never send.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { PortInUseError } from '../view/errors.js';
import { LOOPBACK_HOST as HOST, LoopbackGuard } from '../view/guard.js';

const INSPECTOR_ORIGIN = 'https://stately.ai';
const INSPECTOR_URL = `${INSPECTOR_ORIGIN}/inspect`;

export interface InspectorBridgeOptions {
  /** Largest message (bytes) the demo's inspectors may send; a larger one closes that connection. Defaults to 1 MiB. */
  maxMessageBytes?: number;
  /** Recent events replayed to a browser that connects late. Defaults to 200. */
  replayEvents?: number;
  /** Actors remembered (their registration and latest snapshot) for late browsers. Defaults to 500. */
  maxActors?: number;
}

export interface LoopbackInspectorServer {
  readonly port: number;
  /** The page to open: `http://127.0.0.1:<port>/<token>/`. */
  readonly pageUrl: string;
  /** Where the demo's `createWebSocketInspector` connects: `ws://127.0.0.1:<port>/<token>/source`. */
  readonly sourceUrl: string;
  close(): Promise<void>;
}

function bridgePage(token: string, nonce: string): string {
  // The page embeds the inspector UI and forwards each event the bridge sends it.
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>ae-sync — Stately inspector</title>
<style nonce="${nonce}">html,body,iframe{margin:0;height:100%;width:100%;border:0}</style></head>
<body><iframe id="ui" src="${INSPECTOR_URL}"></iframe><script nonce="${nonce}">
const ui = document.getElementById('ui'); let ready = false; const early = [];
addEventListener('message', (e) => {
  if (e.origin !== '${INSPECTOR_ORIGIN}' || !e.data || e.data.type !== '@statelyai.connected') return;
  ready = true; early.splice(0).forEach((m) => ui.contentWindow.postMessage(m, '${INSPECTOR_ORIGIN}'));
});
new WebSocket('ws://' + location.host + '/${token}/view').onmessage = (e) => {
  const m = JSON.parse(e.data);
  if (ready) ui.contentWindow.postMessage(m, '${INSPECTOR_ORIGIN}'); else if (early.length < 10000) early.push(m);
};
</script></body></html>`;
}

function reject(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** Starts the bridge on 127.0.0.1:`port` (0 picks a free port); a taken port rejects with PortInUseError. */
export async function startLoopbackInspectorServer(port: number, options: InspectorBridgeOptions = {}): Promise<LoopbackInspectorServer> {
  const maxMessageBytes = options.maxMessageBytes ?? 1_048_576;
  const replayEvents = options.replayEvents ?? 200;
  const maxActors = options.maxActors ?? 500;
  let boundPort = port;
  const guard = new LoopbackGuard(() => boundPort);
  const token = guard.token;
  const tokenIs = (candidate: string): boolean => guard.tokenMatches(candidate);

  const httpServer = http.createServer({ maxHeaderSize: 8_192 }, (req, res) => {
    const refuse = (status: number, why: string): void => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.end(`${why}\n`);
    };
    if (!guard.hostAllowed(req.headers.host)) return refuse(421, 'unexpected Host');
    if (req.method !== 'GET') return refuse(405, 'read-only');
    const match = /^\/([A-Za-z0-9_-]+)\/$/.exec(req.url ?? '');
    if (!match || !tokenIs(match[1] as string)) return refuse(404, 'not found');
    const nonce = randomBytes(16).toString('base64');
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; frame-src ${INSPECTOR_ORIGIN}; connect-src ws://${HOST}:${boundPort} ws://localhost:${boundPort}; base-uri 'none'; frame-ancestors 'none'`,
    });
    res.end(bridgePage(token, nonce));
  });

  // Two servers, two size limits: the demo's inspectors send events; browsers send nothing.
  const sources = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes });
  const viewers = new WebSocketServer({ noServer: true, maxPayload: 1_024 });
  const actors = new Map<string, string>(); // sessionId → its @xstate.actor message
  const snapshots = new Map<string, string>(); // sessionId → its latest @xstate.snapshot message
  const recent: string[] = [];

  httpServer.on('upgrade', (req, socket, head) => {
    if (!guard.hostAllowed(req.headers.host)) return reject(socket, 421, 'Misdirected Request');
    const match = /^\/([A-Za-z0-9_-]+)\/(source|view)$/.exec(req.url ?? '');
    if (!match || !tokenIs(match[1] as string)) return reject(socket, 404, 'Not Found');
    const origin = req.headers.origin;
    if (match[2] === 'source') {
      // The demo's own inspectors run in Node and send no Origin; every browser sends one.
      if (origin !== undefined) return reject(socket, 403, 'Forbidden');
      sources.handleUpgrade(req, socket, head, (ws) => sources.emit('connection', ws, req));
    } else {
      if (!guard.isOwnOrigin(origin)) return reject(socket, 403, 'Forbidden');
      viewers.handleUpgrade(req, socket, head, (ws) => viewers.emit('connection', ws, req));
    }
  });

  sources.on('connection', (ws: WebSocket) => {
    ws.on('error', () => ws.terminate()); // e.g. a message over maxPayload (close code 1009)
    ws.on('message', (data: RawData) => {
      const message = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8');
      let parsed: { type?: unknown; sessionId?: unknown };
      try {
        parsed = JSON.parse(message) as { type?: unknown; sessionId?: unknown };
      } catch {
        return; // not an inspection event: dropped
      }
      const sessionId = typeof parsed.sessionId === 'string' ? parsed.sessionId : undefined;
      if (parsed.type === '@xstate.actor' && sessionId !== undefined) {
        actors.delete(sessionId);
        actors.set(sessionId, message);
        if (actors.size > maxActors) {
          const oldest = actors.keys().next().value as string;
          actors.delete(oldest);
          snapshots.delete(oldest);
        }
      } else if (parsed.type === '@xstate.snapshot' && sessionId !== undefined && actors.has(sessionId)) {
        snapshots.set(sessionId, message);
      } else {
        recent.push(message);
        if (recent.length > replayEvents) recent.shift();
      }
      for (const viewer of viewers.clients) if (viewer.readyState === WebSocket.OPEN) viewer.send(message);
    });
  });

  viewers.on('connection', (ws: WebSocket) => {
    ws.on('error', () => ws.terminate());
    // Browsers are receivers only: anything they send ends their connection and goes nowhere.
    ws.on('message', () => ws.close(1008, 'viewers are read-only'));
    // A late browser first learns every known actor and its latest state, then recent events.
    for (const message of [...actors.values(), ...snapshots.values(), ...recent]) ws.send(message);
  });

  await new Promise<void>((resolve, rejectListen) => {
    httpServer.once('error', (err: NodeJS.ErrnoException) => rejectListen(err.code === 'EADDRINUSE' ? new PortInUseError(HOST, port, err) : err));
    httpServer.listen({ host: HOST, port, exclusive: true }, () => resolve());
  });
  boundPort = (httpServer.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    port: boundPort,
    pageUrl: `http://${HOST}:${boundPort}/${token}/`,
    sourceUrl: `ws://${HOST}:${boundPort}/${token}/source`,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        for (const client of [...sources.clients, ...viewers.clients]) client.terminate();
        sources.close();
        viewers.close();
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      })),
  };
}
