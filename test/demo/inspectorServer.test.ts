import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startLoopbackInspectorServer, type LoopbackInspectorServer } from '../../src/demo/inspectorServer.js';

let server: LoopbackInspectorServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

// Messages are queued from the moment the socket exists: a replay can arrive with the handshake.
const inbox = new WeakMap<WebSocket, string[]>();

function open(port: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    const queue: string[] = [];
    inbox.set(ws, queue);
    ws.on('message', (data: Buffer) => queue.push(data.toString()));
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function nextMessage(ws: WebSocket): Promise<string> {
  const queue = inbox.get(ws)!;
  for (let i = 0; i < 200 && queue.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  const message = queue.shift();
  if (message === undefined) throw new Error('no message within 2 s');
  return message;
}

describe('startLoopbackInspectorServer', () => {
  it('serves the bridge page on 127.0.0.1 and relays events to browsers, replaying earlier ones', async () => {
    server = await startLoopbackInspectorServer(0);
    const page = await (await fetch(`http://127.0.0.1:${server.port}/`)).text();
    expect(page).toContain(`ws://127.0.0.1:${server.port}`);

    const app = await open(server.port);
    const early = await open(server.port);
    app.send(JSON.stringify({ type: '@xstate.event', n: 1 }));
    expect(JSON.parse(await nextMessage(early))).toEqual({ type: '@xstate.event', n: 1 });

    const late = await open(server.port); // connects after the event: gets it replayed
    expect(JSON.parse(await nextMessage(late))).toEqual({ type: '@xstate.event', n: 1 });
    for (const ws of [app, early, late]) ws.close();
  });

  it('does not accept connections on other interfaces than loopback', async () => {
    server = await startLoopbackInspectorServer(0);
    const { networkInterfaces } = await import('node:os');
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!external) return; // no non-loopback interface on this machine: nothing to check
    // Connecting to our own machine's non-loopback address never leaves the host.
    await expect(fetch(`http://${external.address}:${server.port}/`)).rejects.toThrow();
  });
});
