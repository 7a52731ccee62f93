// Headless Chromium for the live view's browser tests: Debian's `chromium` package
// (/usr/bin/chromium, installed by .ci/run), driven by playwright-core, never a
// downloaded browser. Each launch gets a fresh profile directory, removed on close.
// Without Chromium the tests skip with a message — except under CI (any CI but false/0), where that fails.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { isCi } from '../helpers/ci.js';

export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const message = `chromium not found at ${CHROMIUM}: install it with "apt-get install -y chromium"`;
  if (isCi()) throw new Error(`${message} (CI is set: a missing browser is a failure, not a skip)`);
  console.warn(`SKIPPING the live view's browser tests — ${message}`);
  return false;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'ae-sync-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    viewport: { width: 1600, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
