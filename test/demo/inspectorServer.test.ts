// The `--inspect=stately` bridge over real loopback sockets: it relays only what the
// demo's own inspectors send, to browsers of its own origin; it replays actors to late
// browsers; and it refuses foreign hosts, origins, tokens, oversized messages and any
// message from a browser.
import http from 'node:http';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startLoopbackInspectorServer, type LoopbackInspectorServer } from '../../src/demo/inspectorServer.js';
import { isPortInUseError } from '../../src/view/errors.js';
import { request } from '../view/helpers.js';

let server: LoopbackInspectorServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

// Messages are queued from the moment the socket exists: a replay can arrive with the handshake.
const inbox = new WeakMap<WebSocket, string[]>();

function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const queue: string[] = [];
    inbox.set(ws, queue);
    ws.on('message', (data: Buffer) => queue.push(data.toString()));
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

const viewerUrl = (s: LoopbackInspectorServer): string => s.sourceUrl.replace(/\/source$/, '/view');
const openViewer = (s: LoopbackInspectorServer): Promise<WebSocket> => open(viewerUrl(s), { origin: `http://127.0.0.1:${s.port}` });

async function nextMessage(ws: WebSocket): Promise<string> {
  const queue = inbox.get(ws)!;
  for (let i = 0; i < 200 && queue.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  const message = queue.shift();
  if (message === undefined) throw new Error('no message within 2 s');
  return message;
}

/** Resolves with the close code once `ws` closes (bounded). */
function closeCode(ws: WebSocket): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('socket still open after 2 s')), 2_000);
    ws.once('close', (code: number) => (clearTimeout(t), resolve(code)));
  });
}

describe('startLoopbackInspectorServer', () => {
  it('relays the demo inspectors\' events to browsers and replays actors and their latest state to a late one', async () => {
    server = await startLoopbackInspectorServer(0);
    const page = await request(server.port, new URL(server.pageUrl).pathname);
    expect(page.status).toBe(200);
    expect(page.body).toContain('/view');
    expect(page.headers['content-security-policy']).toContain('frame-src https://stately.ai');

    const source = await open(server.sourceUrl);
    const early = await openViewer(server);
    const actor = JSON.stringify({ type: '@xstate.actor', sessionId: 'agent-1/x:0' });
    source.send(actor);
    for (let i = 0; i < 250; i++) source.send(JSON.stringify({ type: '@xstate.event', sessionId: 'agent-1/x:0', n: i }));
    source.send(JSON.stringify({ type: '@xstate.snapshot', sessionId: 'agent-1/x:0', value: 'idle' }));
    expect(await nextMessage(early)).toBe(actor);

    const late = await openViewer(server); // connects after 252 messages: its actor is not lost
    expect(JSON.parse(await nextMessage(late))).toEqual({ type: '@xstate.actor', sessionId: 'agent-1/x:0' });
    expect(JSON.parse(await nextMessage(late))).toMatchObject({ type: '@xstate.snapshot', value: 'idle' });
    expect(JSON.parse(await nextMessage(late))).toMatchObject({ type: '@xstate.event', n: 50 }); // the last 200 events
    for (const ws of [source, early, late]) ws.close();
  });

  it('relays nothing a browser sends, and ends that browser\'s connection', async () => {
    server = await startLoopbackInspectorServer(0);
    const source = await open(server.sourceUrl);
    const a = await openViewer(server);
    const b = await openViewer(server);
    const closed = closeCode(a);
    a.send(JSON.stringify({ type: '@xstate.event', forged: true }));
    expect(await closed).toBe(1008);
    source.send(JSON.stringify({ type: '@xstate.event', real: true }));
    expect(JSON.parse(await nextMessage(b))).toEqual({ type: '@xstate.event', real: true }); // not the forged one
    expect(inbox.get(source)).toEqual([]);
    source.close();
    b.close();
  });

  it('refuses a wrong token, a foreign Host, a browser posing as a source, and a foreign or missing browser Origin', async () => {
    server = await startLoopbackInspectorServer(0);
    const port = server.port;
    const refused = (url: string, headers: Record<string, string>): Promise<string> =>
      open(url, headers).then(
        (ws) => (ws.close(), 'open'),
        (err: Error) => err.message,
      );
    expect(await refused(server.sourceUrl.replace(/\/[^/]+\/source$/, '/wrong/source'), {})).toMatch(/404/);
    expect(await refused(server.sourceUrl, { host: `evil.example:${port}` })).toMatch(/421/);
    expect(await refused(server.sourceUrl, { origin: 'http://evil.example' })).toMatch(/403/);
    expect(await refused(viewerUrl(server), { origin: 'http://evil.example' })).toMatch(/403/);
    expect(await refused(viewerUrl(server), {})).toMatch(/403/);
    expect((await request(port, '/')).status).toBe(404);
    expect((await request(port, new URL(server.pageUrl).pathname, { headers: { host: `evil.example:${port}` } })).status).toBe(421);
  });

  it('closes a source that sends a message over maxMessageBytes and relays none of it', async () => {
    server = await startLoopbackInspectorServer(0, { maxMessageBytes: 1_024 });
    const source = await open(server.sourceUrl);
    const viewer = await openViewer(server);
    const closed = closeCode(source);
    source.send(JSON.stringify({ type: '@xstate.event', blob: 'x'.repeat(2_000) }));
    expect(await closed).toBe(1009); // "message too big"
    await new Promise((r) => setTimeout(r, 50));
    expect(inbox.get(viewer)).toEqual([]);
    viewer.close();
  });

  it('listens on 127.0.0.1 only: another loopback address reaches a 0.0.0.0 listener but not the bridge', async () => {
    server = await startLoopbackInspectorServer(0);
    // Linux routes all of 127.0.0.0/8 to the loopback interface, so this probe never leaves
    // the host and can succeed: the control server shows it does.
    const control = createServer((s) => s.end()).listen(0, '0.0.0.0');
    await new Promise((r) => control.once('listening', r));
    const connect = (port: number): Promise<string> =>
      new Promise((resolve) => {
        const req = http.get({ host: '127.0.0.2', port, path: '/', agent: false }, () => resolve('answered'));
        req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      });
    expect(await connect((control.address() as { port: number }).port)).not.toBe('ECONNREFUSED');
    expect(await connect(server.port)).toBe('ECONNREFUSED');
    control.close();
  });

  it('rejects with a PortInUseError when its port is taken', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => taken.once('listening', r));
    const port = (taken.address() as { port: number }).port;
    const err = await startLoopbackInspectorServer(port).then(() => undefined, (e: unknown) => e);
    expect(isPortInUseError(err)).toBe(true);
    taken.close();
  });
});
