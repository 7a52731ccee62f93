// The demo as a user watches it: `demo --inspect` in a child process, driven by headless
// Chromium. The scenario waits for the browser, the page shows every phase as a marker,
// and the rebalancer's card follows the failover (its front server changes).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../view/chromium.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = chromiumAvailable();

// Page functions run in the browser; this file is typechecked without the DOM library.
interface PageElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  closest(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
}
declare const document: { body: PageElement; querySelectorAll(selector: string): ArrayLike<PageElement> };
declare const window: Record<string, unknown>;
declare class MutationObserver {
  constructor(callback: () => void);
  observe(target: PageElement, options: { subtree: boolean; childList: boolean; characterData: boolean }): void;
}

describe.runIf(run)('demo --inspect in Chromium', () => {
  it('waits for the browser, then shows each phase as a marker and the rebalancer card changing its front server', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/demo/main.ts', '--inspect', '--agents', '2'], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const line = async (pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = pattern.exec(output);
        if (m) return m;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no line matching ${pattern}; output:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const browser = await launchChromium();
    try {
      const url = (await line(/waiting for the live view at (http:\/\/127\.0\.0\.1:\d+\/[\w-]+\/) …/, 30_000))[1] as string;
      // Nothing starts while no browser watches.
      await new Promise((r) => setTimeout(r, 1_000));
      expect(output).not.toContain('ae-sync demo:');
      expect(child.exitCode).toBe(null);

      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      // Record every front server each rebalancer card shows, from the first paint on.
      await page.addInitScript(() => {
        const seen: Record<string, string[]> = {};
        window.__fronts = seen;
        const record = (): void => {
          for (const dd of Array.from(document.querySelectorAll('.machine[data-kind="rebalancer"] dd[data-key="front"]'))) {
            const label = dd.closest('.machine')?.dataset.label ?? '?';
            const list = (seen[label] ??= []);
            const text = dd.textContent ?? '';
            if (list.at(-1) !== text) list.push(text);
          }
        };
        new MutationObserver(record).observe(document as unknown as PageElement, { subtree: true, childList: true, characterData: true });
      });
      await page.goto(url);
      await line(/a browser is watching: starting the scenario/, 15_000);
      const victim = (await line(/server (\S+) fails \(front server of/, 30_000))[1] as string;
      expect(await exited, output).toBe(0);
      expect(output).toContain('all checks held');

      // The page connected before anything ran: its log opens with the first phase's marker.
      const rows = await page.evaluate(() =>
        Array.from(document.querySelectorAll('#log li')).map((li) => `${li.dataset.seq ?? ''}:${(li as unknown as { className: string }).className}:${li.textContent ?? ''}`),
      );
      expect(rows[0]).toMatch(/^1:marker:.*steady state$/);
      const markers = rows.filter((r) => r.includes(':marker:')).map((r) => r.replace(/^\d+:marker:\d\d:\d\d:\d\d\.\d{3}/, ''));
      expect(markers).toEqual(['steady state', `server ${victim} fails`, 'remote deletions', 'a server joins', 'agent-1 is cut off', 'scenario done: all checks held']);
      expect(await page.evaluate(() => document.querySelectorAll('.machine').length)).toBe(4); // two agents × syncer and rebalancer

      // Some agent's rebalancer card showed the failed server in front, then another.
      const fronts = (await page.evaluate(() => window.__fronts)) as Record<string, string[]>;
      const movedOff = Object.entries(fronts).filter(([, list]) => list.includes(victim) && list.at(-1) !== victim);
      expect(movedOff.length, JSON.stringify(fronts)).toBeGreaterThan(0);
      expect(errors).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await browser.close();
    }
  }, 120_000);
});
