// What the page is made of, all served by the agent from installed files: the page
// itself, its script and style (src/view/client/), and elkjs's browser bundle from
// node_modules (an optional peer of ae-sync: without it, importing `ae-sync/view`
// fails naming the package). No CDN, no internet.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Asset } from './server.js';
import { isPackageMissing, MissingPeerError } from '../shared/peer.js';

function resolveElk(): string {
  try {
    return createRequire(import.meta.url).resolve('elkjs/lib/elk.bundled.js');
  } catch (err) {
    if (isPackageMissing(err, 'elkjs')) throw new MissingPeerError('elkjs', 'ae-sync/view', err);
    throw err;
  }
}

const ELK_BUNDLE = resolveElk();
const CLIENT_DIR = new URL('./client/', import.meta.url);

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="style.css">
</head>
<body data-connection="connecting">
<header>
  <h1>${escapeHtml(title)}</h1>
  <span id="connection">connecting…</span>
  <span id="banner" aria-live="polite"></span>
  <span id="counts"></span>
</header>
<nav id="controls" aria-label="view controls">
  <label>agent <select id="filter-agent"><option value="">all</option></select></label>
  <label>event <select id="filter-event"><option value="">all</option></select></label>
  <button type="button" id="pause" aria-pressed="false">pause log</button>
  <button type="button" id="compact" aria-pressed="false">compact cards</button>
</nav>
<main>
  <section id="machines" aria-label="machines"></section>
  <aside>
    <h2>Events</h2>
    <ol id="log" aria-label="event log"></ol>
    <section id="detail" aria-label="event detail" hidden>
      <h2>Event <button type="button" id="detail-close" aria-label="close">×</button></h2>
      <pre id="detail-body"></pre>
    </section>
  </aside>
</main>
<script src="elk.js"></script>
<script src="app.js"></script>
</body>
</html>
`;
}

/** Reads every asset once; the page's title is fixed for the run. */
export async function loadAssets(title: string): Promise<Map<string, Asset>> {
  const [elk, app, style] = await Promise.all([
    readFile(ELK_BUNDLE),
    readFile(fileURLToPath(new URL('app.js', CLIENT_DIR))),
    readFile(fileURLToPath(new URL('style.css', CLIENT_DIR))),
  ]);
  return new Map<string, Asset>([
    ['', { type: 'text/html; charset=utf-8', body: page(title) }],
    ['elk.js', { type: 'text/javascript; charset=utf-8', body: elk }],
    ['app.js', { type: 'text/javascript; charset=utf-8', body: app }],
    ['style.css', { type: 'text/css; charset=utf-8', body: style }],
  ]);
}
