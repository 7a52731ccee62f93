// A logger that throws (a broken transport, serializer or hook) must never crash what
// logs through it: every component's logger is guarded in one place (guardLogger).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pino, type Logger } from 'pino';
import { componentLogger, guardLogger } from '../../src/shared/logger.js';
import { StateSyncer } from '../../src/syncer/stateSyncer.js';
import { ServerManager } from '../../src/servers/serverManager.js';
import { constantRandom, createTestClock } from '../../src/testing.js';
import { scriptedSyncState, settle } from '../helpers/index.js';

/** A real pino logger whose every line throws (a logMethod hook standing in for a broken serializer). */
function throwingLogger(): { logger: Logger; attempts: () => number } {
  let attempts = 0;
  const logger = pino({
    level: 'trace',
    hooks: {
      logMethod() {
        attempts++;
        throw new Error('logger down');
      },
    },
  });
  return { logger, attempts: () => attempts };
}

let warning: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  warning = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
});
afterEach(() => {
  warning.mockRestore();
});

describe('guardLogger', () => {
  it('drops a line whose logger throws, and keeps working lines and other members intact', () => {
    const { logger, attempts } = throwingLogger();
    const log = guardLogger(logger);
    expect(() => log.error({ err: new Error('x') }, 'boom')).not.toThrow();
    expect(() => log.warn('w')).not.toThrow();
    expect(attempts()).toBe(2);
    // Said once per process (this is the file's first throwing line), never per line.
    expect(warning.mock.calls.map((c: unknown[]) => (c[1] as { code?: string } | undefined)?.code)).toEqual(['AE_SYNC_LOGGER_THREW']);
    expect(log.level).toBe('trace');
    expect(guardLogger(log)).toBe(log); // idempotent
    const lines: string[] = [];
    const ok = guardLogger(pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }));
    ok.child({ component: 'c' }).info({ a: 1 }, 'hello');
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([expect.objectContaining({ component: 'c', a: 1, msg: 'hello' })]);
  });

  it('answers a child() that throws with the guarded parent, and guards the children it makes', () => {
    const { logger, attempts } = throwingLogger();
    const broken = Object.assign(Object.create(logger) as Logger, {
      child: () => {
        throw new Error('child down');
      },
    });
    const log = componentLogger(broken, 'stateSyncer');
    expect(() => log.error('still fine')).not.toThrow();
    expect(attempts()).toBe(1);
    expect(() => componentLogger(logger, 'x').child({ a: 1 }).fatal('f')).not.toThrow();
  });
});

describe('a throwing logger', () => {
  it('does not keep the syncer from emitting fullSyncFailed, nor from retrying', async () => {
    const clock = createTestClock();
    const state = scriptedSyncState(clock);
    const { logger, attempts } = throwingLogger();
    const syncer = new StateSyncer({ state, interval: 60_000, clusterSize: () => 1, random: constantRandom(0), clock, logger, retryFailInterval: 15_000 });
    const failures: number[] = [];
    syncer.on('fullSyncFailed', (e) => failures.push(e.consecutiveFailures));
    state.mode.syncFull = 'reject';
    syncer.start();
    await settle(clock);
    expect(failures).toEqual([1]);
    expect(attempts()).toBeGreaterThan(0); // the logger was called, and threw
    await clock.tickAsync(15_000);
    expect(failures).toEqual([1, 2]);
    expect(syncer.state).toBe('retryFullSync');
    const stopped = syncer.stop();
    await clock.tickAsync(20_000);
    await stopped;
  });

  it('does not make findServer() throw on an empty list', () => {
    const clock = createTestClock();
    const { logger, attempts } = throwingLogger();
    const manager = new ServerManager({ clock, random: constantRandom(0), clusterSize: () => 1, logger, pinger: { ping: () => Promise.resolve(true) } });
    expect(manager.findServer()).toBeUndefined();
    expect(attempts()).toBe(1); // it did warn, through the broken logger
  });
});
