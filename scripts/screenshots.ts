// `npm run screenshots`: the live view's pictures in docs/ (live-view-1024.png,
// live-view-1400.png), made from the demo scenario on a fake clock so every run shows
// the same moment: the failover just happened, each chart drawn with its active state.
// Chromium is Debian's /usr/bin/chromium (CHROMIUM_BIN to change it) driven by
// playwright-core with --headless --no-sandbox --disable-gpu; a page screenshot through
// the DevTools protocol works while the event stream is open (Chromium's own
// `--screenshot` flag waits for the page to go idle, which a live stream never does).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startLiveView } from '../src/view/index.js';
import { runDemo } from '../src/demo/scenario.js';
import { memoryTarget } from '../src/demo/target.js';
import { createTestClock, seededRandom } from '../src/testing.js';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const DOCS = fileURLToPath(new URL('../docs/', import.meta.url));
const WIDTHS = [1024, 1400] as const;

// Page functions run in the browser; this file is typechecked without the DOM library.
declare const document: { querySelectorAll(selector: string): ArrayLike<unknown> };

const clock = createTestClock(Date.parse('2026-01-01T12:00:00Z'));
// The view reads the agents' clock, so "next full sync in 3 s" is right on a fake clock too.
const view = await startLiveView({ title: 'ae-sync demo', clock });
const target = memoryTarget({ clock, random: seededRandom(1) });
let phase = '';
let finished = false;
const demo = runDemo({
  target,
  clock,
  seed: 1,
  agents: 3,
  inspectorFor: (node) => view.inspector(node),
  onPhase: (name) => {
    phase = name;
    view.mark(name);
  },
}).finally(() => (finished = true));
// Play until just after the server fails: the agents are moving to another server.
for (let step = 0; step < 20_000 && !phase.includes('fails') && !finished; step++) await clock.tickAsync(10);
for (let step = 0; step < 5; step++) await clock.tickAsync(10);

const profile = mkdtempSync(join(tmpdir(), 'ae-sync-screenshots-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
try {
  for (const width of WIDTHS) {
    const page = await browser.newPage();
    await page.setViewportSize({ width, height: 900 });
    await page.goto(view.url);
    await page.waitForFunction(() => document.querySelectorAll('.machine[data-drawn="true"]').length === 6, undefined, { timeout: 60_000 });
    const path = join(DOCS, `live-view-${width}.png`);
    await page.screenshot({ path });
    process.stdout.write(`wrote ${path}\n`);
    await page.close();
  }
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
  for (let step = 0; step < 40_000 && !finished; step++) await clock.tickAsync(50);
  await demo;
  await target.close();
  await view.close();
}
