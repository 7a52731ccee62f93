// The `--inspect` bridge: a small HTTP + WebSocket server on 127.0.0.1 that relays
// the agents' xstate inspection events to the Stately inspector page in a browser.
// @statelyai/inspect ships a similar server, but it listens on every interface;
// this one binds loopback only, so running the demo never opens a port to the network.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

/** Events kept for a browser that connects late (oldest dropped first). */
const REPLAY_BUFFER = 200;
const INSPECTOR_URL = 'https://stately.ai/inspect';

function bridgePage(wsPort: number): string {
  // The page embeds the inspector UI and forwards each event it receives over the socket.
  return `<!DOCTYPE html><html><head><title>ae-sync — Stately inspector</title>
<style>html,body,iframe{margin:0;height:100%;width:100%;border:0}</style></head>
<body><iframe id="ui" src="${INSPECTOR_URL}"></iframe><script>
const ui = document.getElementById('ui'); let ready = false; const early = [];
addEventListener('message', (e) => { if (e.data && e.data.type === '@statelyai.connected') { ready = true; early.splice(0).forEach((m) => ui.contentWindow.postMessage(m, '*')); } });
new WebSocket('ws://127.0.0.1:${wsPort}').onmessage = (e) => { const m = JSON.parse(e.data); ready ? ui.contentWindow.postMessage(m, '*') : early.push(m); };
</script></body></html>`;
}

export interface LoopbackInspectorServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the bridge on 127.0.0.1:`port` (0 picks a free port). */
export async function startLoopbackInspectorServer(port: number): Promise<LoopbackInspectorServer> {
  const httpServer = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(bridgePage((httpServer.address() as AddressInfo).port));
  });
  const wss = new WebSocketServer({ server: httpServer });
  const replay: string[] = [];
  wss.on('connection', (socket) => {
    for (const message of replay) socket.send(message);
    socket.on('message', (data: Buffer) => {
      const message = data.toString();
      replay.push(message);
      if (replay.length > REPLAY_BUFFER) replay.shift();
      for (const client of wss.clients) {
        if (client !== socket && client.readyState === WebSocket.OPEN) client.send(message);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (httpServer.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        httpServer.close(() => resolve());
      }),
  };
}
