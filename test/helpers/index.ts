// The test suite's shared utilities, in one module: a log capture, the two ways of
// letting promises run (with and without a fake clock), a bounded real-time wait for
// integration tests, and server fixtures. The test doubles a user also needs
// (scripted SyncState and pingers) live in ae-sync/testing and are re-exported here.
import type { ClaimRow } from '../../src/sim/claims.js';
import type { ScenarioResult } from '../../src/sim/scenarios/types.js';
import { pino, type Logger } from 'pino';
import type { Server } from '../../src/servers/types.js';
import { ServerManager, type ServerManagerOptions } from '../../src/servers/serverManager.js';
import { createRandom } from '../../src/shared/random.js';
import { createTestClock, scriptedPinger, type TestClock } from '../../src/testing.js';

export { scriptedSyncState, scriptedPinger, manualPinger, type ScriptedSyncState, type SyncCall, type PendingPing } from '../../src/testing.js';
export type { SyncKind } from '../../src/syncer/syncRunner.js';

export interface LogRecord {
  level: number;
  msg: string;
  component?: string;
  [key: string]: unknown;
}

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/** A pino logger (debug level) whose records land in `records`, parsed. */
export function captureLogger(): {
  logger: Logger;
  records: LogRecord[];
  /** Messages, optionally of one level only. */
  messages(level?: keyof typeof LEVELS): string[];
  /** Records at warn level. */
  warnings(): LogRecord[];
} {
  const records: LogRecord[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => records.push(JSON.parse(line) as LogRecord) });
  return {
    logger,
    records,
    messages: (level) => records.filter((r) => (level ? r.level === LEVELS[level] : true)).map((r) => r.msg),
    warnings: () => records.filter((r) => r.level === LEVELS.warn),
  };
}

/** Runs `rounds` microtask turns: lets promise chains move on, with no clock involved. */
export async function flushPromises(rounds = 50): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** Lets every pending promise callback run on a fake clock without advancing its time. */
export async function settle(clock: TestClock): Promise<void> {
  await clock.tickAsync(0);
}

/**
 * Integration tests only (real processes, real time): polls `check` every 50 ms until it
 * holds; throws after `timeoutMs`, naming `what`. Returns how long it took, ms.
 */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - started;
}

/** A server named `name` with a plausible address. */
export function server(name: string, extra: Partial<Server> = {}): Server {
  return { name, address: `10.0.0.${name.replace(/\D/g, '') || '1'}:8300`, ...extra };
}

/** `n` servers named `<prefix>1` … `<prefix>n`. */
export function servers(n: number, prefix = 's'): Server[] {
  return Array.from({ length: n }, (_, i) => server(`${prefix}${i + 1}`));
}

/**
 * A ServerManager on a fake clock with seeded randomness and a captured log, and what
 * it reported: `events` ('up:a', 'removed:a:leave', 'offline', 'online',
 * 'rebalanced:a', 'rebalanced:a:frozen') and `health` ('a:healthy>suspect:call').
 */
export function managerHarness(options: Partial<ServerManagerOptions> = {}) {
  const clock = createTestClock();
  const log = captureLogger();
  const manager = new ServerManager({
    pinger: scriptedPinger(() => true),
    clock,
    random: createRandom(1),
    logger: log.logger,
    ...options,
  });
  const events: string[] = [];
  const health: string[] = [];
  const fatal: Error[] = [];
  manager.on('serverUp', (s) => events.push(`up:${s.name}`));
  manager.on('serverRemoved', (e) => events.push(`removed:${e.server.name}:${e.reason}`));
  manager.on('offline', () => events.push('offline'));
  manager.on('online', () => events.push('online'));
  manager.on('rebalanced', (e) => events.push(`rebalanced:${e.server.name}${e.frozen ? ':frozen' : ''}`));
  manager.on('healthChanged', (e) => health.push(`${e.server.name}:${e.previous}>${e.state}:${e.cause}`));
  manager.on('fatal', (err) => fatal.push(err));
  const names = (): string[] => manager.servers().map((s) => s.name);
  const states = (): string[] => manager.health().map((h) => `${h.server.name}:${h.state}`);
  return { manager, clock, log, events, health, fatal, names, states };
}

/** The claim row of `result` whose description starts with `what` (throws naming it when there is none). */
export function claimOf(result: ScenarioResult, what: string): ClaimRow {
  const found = result.claims.find((c) => c.what.startsWith(what));
  if (!found) throw new Error(`no claim row "${what}" in ${result.scenario}`);
  return found;
}
