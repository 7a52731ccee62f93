// The live view in a real browser (headless Chromium): the page draws every agent of the
// demo scenario (src/demo/scenario.ts on a fake clock, so the test decides when agents
// move), highlights the state each syncer is in as it moves, and a browser that opens
// the page late sees every machine in its current state. AE_SYNC_SCREENSHOT=<file.png>
// also saves a screenshot (the docs' pictures come from `npm run screenshots`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startLiveView, type LiveView } from '../../src/view/index.js';
import { activeStateIds } from '../../src/view/graph.js';
import { runDemo } from '../../src/demo/scenario.js';
import { memoryTarget } from '../../src/demo/target.js';
import type { CatalogAgent } from '../../src/catalog/catalogAgent.js';
import { createTestClock, seededRandom } from '../../src/testing.js';
import { chromiumAvailable, launchChromium, type Browser } from './chromium.js';

const run = chromiumAvailable();

// The page functions below run in the browser; this file is typechecked without the DOM
// library, so they see the DOM through these few declarations.
interface PageElement {
  dataset: Record<string, string | undefined>;
  getAttribute(name: string): string | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
}
declare const document: { body: PageElement; querySelector(selector: string): PageElement | null; querySelectorAll(selector: string): ArrayLike<PageElement> };
declare const window: { scrollTo(x: number, y: number): void };

/** The deepest active state of an agent's syncer, as Node sees it: `partialSync.idle`. */
function nodeState(agent: CatalogAgent): string {
  const value = agent.agent.syncer.actor?.getSnapshot().value;
  return activeStateIds(value).at(-1) ?? '';
}

/** What the page shows for `label`: the card's state and the id of its highlighted leaf state box. */
async function shown(page: Page, label: string): Promise<{ state: string; leaf: string[] } | undefined> {
  return page.evaluate((l) => {
    const card = document.querySelector(`.machine[data-label="${l}"]`);
    if (!card) return undefined;
    const leaf = Array.from(card.querySelectorAll('g.state.leaf')).map((g) => g.getAttribute('data-state-id') ?? '');
    return { state: card.dataset.state ?? '', leaf };
  }, label);
}

async function waitShown(page: Page, label: string, state: string): Promise<void> {
  await page.waitForFunction(
    ([l, s]) => {
      const card = document.querySelector(`.machine[data-label="${l}"]`);
      const leaves = Array.from(card?.querySelectorAll('g.state.leaf') ?? []).map((g) => g.getAttribute('data-state-id'));
      return card?.dataset.drawn === 'true' && card.dataset.state === s && leaves.length === 1 && leaves[0] === s;
    },
    [label, state] as const,
    { timeout: 10_000 },
  );
}

describe.runIf(run)('live view in Chromium', () => {
  let browser: Browser;
  let view: LiveView;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await view?.close();
    await browser?.close();
  });

  it('highlights the state each demo agent is in as it moves, and a late browser sees every machine', async () => {
    view = await startLiveView({ title: 'ae-sync demo' });
    const clock = createTestClock(Date.parse('2026-01-01T12:00:00Z'));
    const target = memoryTarget({ clock, random: seededRandom(1) });
    let agents: readonly CatalogAgent[] = [];
    let finished = false;
    const demo = runDemo({ target, clock, seed: 1, inspectorFor: (node) => view.inspector(node), onAgents: (list) => (agents = list) }).finally(
      () => (finished = true),
    );

    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(view.url);
    await page.waitForFunction(() => document.body.dataset.connection === 'live', undefined, { timeout: 10_000 });

    // Step the fake clock; each time agent-1's syncer changes state, stop and check that
    // the page highlights exactly that state.
    const seen: string[] = [];
    let last = '';
    for (let step = 0; step < 4_000 && seen.length < 6 && !finished; step++) {
      await clock.tickAsync(5);
      const agent = agents[0];
      if (!agent) continue;
      const now = nodeState(agent);
      if (now === last || now === '') continue;
      last = now;
      seen.push(now);
      await waitShown(page, 'agent-1 › stateSyncer', now);
      expect((await shown(page, 'agent-1 › stateSyncer'))?.leaf).toEqual([now]);
    }
    expect(seen.length).toBe(6);
    expect(new Set(seen).size).toBeGreaterThanOrEqual(2); // it moved: not one state seen six times
    expect(seen).toContain('partialSync.idle');
    expect(seen.some((s) => s.startsWith('fullSync.'))).toBe(true);

    // A browser that connects now, in the middle of the scenario, draws all six agents'
    // syncers and rebalancers in the states they are in (the clock stands still while it loads).
    const late = await browser.context.newPage();
    late.on('pageerror', (err) => errors.push(err.message));
    await late.goto(view.url);
    await late.waitForFunction(() => document.querySelectorAll('.machine[data-drawn="true"]').length === 12, undefined, { timeout: 15_000 });
    expect(agents).toHaveLength(6);
    for (const agent of agents) {
      const state = nodeState(agent);
      await waitShown(late, `${agent.node} › stateSyncer`, state);
      expect(await shown(late, `${agent.node} › stateSyncer`)).toEqual({ state, leaf: [state] });
    }
    expect(await late.locator('#log li').count()).toBeGreaterThan(10);

    if (process.env.AE_SYNC_SCREENSHOT) {
      await late.evaluate(() => window.scrollTo(0, 0));
      await late.screenshot({ path: process.env.AE_SYNC_SCREENSHOT });
    }

    // Play the scenario to its end: every agent stops, which the page shows as `done`.
    for (let step = 0; step < 20_000 && !finished; step++) await clock.tickAsync(50);
    const result = await demo;
    await target.close();
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    for (const agent of agents) await waitShown(late, `${agent.node} › stateSyncer`, 'done');
    expect(errors).toEqual([]);
    await page.close();
    await late.close();
  }, 120_000);
});
