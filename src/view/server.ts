// The live view's HTTP side: one page and its assets under a per-run random token,
// and a server-sent-events stream of the store's messages. Loopback only; Host and
// Origin checked on every request; GET only and no request body: nothing a browser
// sends is read, kept or relayed, so one tab cannot reach another through the view.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Hello, ViewMessage } from './store.js';
import { PortInUseError } from './errors.js';
import type { Logger } from '../shared/logger.js';

import { LOOPBACK_HOST, LoopbackGuard } from './guard.js';

export const HOST = LOOPBACK_HOST;
/** Request headers larger than this are refused by Node before any handler runs. */
export const MAX_REQUEST_HEADER_BYTES = 8_192;

export interface Asset {
  type: string;
  body: string | Buffer;
}

export interface ViewServerOptions {
  port: number;
  maxClients: number;
  /** Open TCP connections at once (any request, token or not); more are closed on accept. */
  maxConnections: number;
  /** ms a connection may take to send its request headers (enforced every second). */
  headersTimeoutMs: number;
  maxClientBacklogBytes: number;
  /** Served at `/<token>/<name>`; '' is the page. */
  assets: ReadonlyMap<string, Asset>;
  hello(): Hello;
  log: Logger;
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'x-frame-options': 'DENY',
  // Scripts, styles and the event stream come from the agent only: no CDN, no inline code.
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
} as const;

function sse(type: string, data: unknown): string {
  // JSON escapes every line break, so one `data:` line always holds the whole message.
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class ViewServer {
  readonly #guard = new LoopbackGuard(() => this.#port);
  readonly #options: ViewServerOptions;
  readonly #server: http.Server;
  readonly #clients = new Set<http.ServerResponse>();
  #port = 0;
  #closing: Promise<void> | undefined;
  #viewerWaiters: (() => void)[] = [];

  constructor(options: ViewServerOptions) {
    this.#options = options;
    const headersTimeout = options.headersTimeoutMs;
    this.#server = http.createServer(
      {
        maxHeaderSize: MAX_REQUEST_HEADER_BYTES,
        headersTimeout,
        requestTimeout: Math.max(headersTimeout, 10_000),
        // Node checks the two timeouts above only this often (30 s by default): an
        // idle connection would hold its descriptor that long.
        connectionsCheckingInterval: Math.min(1_000, headersTimeout),
        keepAliveTimeout: 5_000,
      },
      (req, res) => this.#handle(req, res),
    );
    // Past this, Node closes new connections as they are accepted: a local process
    // opening thousands cannot take the agent's file descriptors.
    this.#server.maxConnections = options.maxConnections;
    // Node 20 keeps a connection whose headers timed out open unless a handler closes
    // it: answer in one line and free the descriptor once that is flushed.
    this.#server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      this.#options.log.debug({ status, code: err.code }, 'live view closed a connection');
      if (!socket.writable) return void socket.destroy();
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
    });
  }

  /** Resolves when a browser's event stream is open (at once if one already is), or when the server closes. */
  whenViewer(): Promise<void> {
    if (this.#clients.size > 0 || this.#closing) return Promise.resolve();
    return new Promise((resolve) => this.#viewerWaiters.push(resolve));
  }

  /** The run's secret, the first segment of every path. */
  get token(): string {
    return this.#guard.token;
  }

  get port(): number {
    return this.#port;
  }

  get clients(): number {
    return this.#clients.size;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        reject(err.code === 'EADDRINUSE' ? new PortInUseError(HOST, this.#options.port, err) : err);
      };
      this.#server.once('error', onError);
      this.#server.listen({ host: HOST, port: this.#options.port, exclusive: true }, () => {
        this.#server.off('error', onError);
        this.#server.on('error', (err) => this.#options.log.warn({ err }, 'live view server error'));
        this.#port = (this.#server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** Sends `message` to every connected browser; a browser that cannot keep up is dropped (it reconnects). */
  broadcast(message: ViewMessage): void {
    if (this.#clients.size === 0) return;
    const chunk = sse(message.type, message);
    for (const res of this.#clients) this.#send(res, chunk);
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      for (const wake of this.#viewerWaiters.splice(0)) wake();
      for (const res of this.#clients) res.end();
      this.#clients.clear();
      if (!this.#server.listening) return resolve();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closing;
  }

  #send(res: http.ServerResponse, chunk: string): void {
    res.write(chunk);
    if (res.writableLength > this.#options.maxClientBacklogBytes) {
      this.#options.log.warn({ backlog: res.writableLength }, 'live view: a browser is not keeping up; disconnecting it');
      this.#clients.delete(res);
      res.destroy();
    }
  }

  #refuse(res: http.ServerResponse, status: number, why: string, extra: Record<string, string> = {}): void {
    this.#options.log.debug({ status, why }, 'live view refused a request');
    res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', connection: 'close', ...extra });
    res.end(`${why}\n`);
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 still sends its own Host.
    if (!this.#guard.hostAllowed(req.headers.host)) return this.#refuse(res, 421, 'unexpected Host');
    const origin = req.headers.origin;
    if (origin !== undefined && !this.#guard.isOwnOrigin(origin)) return this.#refuse(res, 403, 'cross-origin request');
    if (req.headers['sec-fetch-site'] === 'cross-site') return this.#refuse(res, 403, 'cross-site request');
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.#refuse(res, 405, 'read-only', { allow: 'GET, HEAD' });
    // Nothing is read from a browser: a request that announces a body is refused unread.
    if (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0) {
      return this.#refuse(res, 413, 'request bodies are not accepted');
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const match = /^\/([A-Za-z0-9_-]+)(\/.*)?$/.exec(path);
    if (!match || !this.#guard.tokenMatches(match[1] as string)) return this.#refuse(res, 404, 'not found');
    const rest = match[2];
    if (rest === undefined) {
      res.writeHead(308, { ...SECURITY_HEADERS, location: `/${this.token}/` });
      res.end();
      return;
    }
    const name = rest.slice(1);
    if (name === 'events') return this.#openStream(req, res);
    const asset = this.#options.assets.get(name);
    if (!asset) return this.#refuse(res, 404, 'not found');
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': asset.type });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  }

  #openStream(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.#closing) return this.#refuse(res, 503, 'closing');
    const headers = { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8' };
    // A HEAD gets the headers and nothing else: it never takes a viewer's slot.
    if (req.method === 'HEAD') {
      res.writeHead(200, headers);
      res.end();
      return;
    }
    if (this.#clients.size >= this.#options.maxClients) return this.#refuse(res, 503, 'too many viewers');
    res.writeHead(200, { ...headers, connection: 'keep-alive' });
    req.socket.setNoDelay(true);
    this.#clients.add(res);
    res.on('close', () => this.#clients.delete(res));
    // A late browser gets the whole current picture first (bounded by the store's
    // limits, so not held to the backlog limit), then live messages.
    res.write(`retry: 1000\n${sse('hello', this.#options.hello())}`);
    for (const wake of this.#viewerWaiters.splice(0)) wake();
  }
}
