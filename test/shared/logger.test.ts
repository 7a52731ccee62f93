// A logger that throws (a broken transport, serializer or hook) must never crash what
// logs through it: every component's logger is guarded in one place (guardLogger).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pino, type Logger as PinoLogger } from 'pino';
import { componentLogger, fromConsole, guardLogger, silentLogger, type ConsoleLike, type LogFn } from '../../src/shared/logger.js';
import type { Logger } from '../../src/shared/logger.js';
import { StateSyncer } from '../../src/syncer/stateSyncer.js';
import { ServerManager } from '../../src/servers/serverManager.js';
import { constantRandom, createTestClock } from '../../src/testing.js';
import { scriptedSyncState, settle } from '../helpers/index.js';

/** A real pino logger whose every line throws (a logMethod hook standing in for a broken serializer). */
function throwingLogger(): { logger: PinoLogger; attempts: () => number } {
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
    const broken = Object.assign(Object.create(logger) as PinoLogger, {
      child: () => {
        throw new Error('child down');
      },
    });
    const log = componentLogger(broken, 'stateSyncer');
    expect(() => log.error('still fine')).not.toThrow();
    expect(attempts()).toBe(1);
    expect(() => componentLogger(logger, 'x').child({ a: 1 }).error('f')).not.toThrow();
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

/** A console stand-in that records each call as [level, ...args]. */
function recordingConsole(): { target: ConsoleLike; calls: unknown[][] } {
  const calls: unknown[][] = [];
  const at =
    (level: string) =>
    (...args: unknown[]): void =>
      void calls.push([level, ...args]);
  return { target: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, calls };
}

/** A StateSyncer whose first full sync fails, logging through `logger`; resolves once that is logged. */
async function failOnce(logger: Logger): Promise<void> {
  const clock = createTestClock();
  const state = scriptedSyncState(clock);
  state.mode.syncFull = 'reject';
  const syncer = new StateSyncer({ state, interval: 60_000, clusterSize: () => 1, random: constantRandom(0), clock, logger, retryFailInterval: 15_000 });
  syncer.start();
  await settle(clock);
  const stopped = syncer.stop();
  await clock.tickAsync(20_000);
  await stopped;
}

describe('fromConsole', () => {
  it('writes message first and the object second, with the child bindings merged in', () => {
    const { target, calls } = recordingConsole();
    const log = fromConsole(target);
    log.info('plain');
    log.warn({ server: 's1' }, 'ping failed');
    log.child({ component: 'c' }).child({ node: 'n' }).error({ server: 's2' }, 'down');
    log.child({ component: 'c' }).debug('bound');
    expect(calls).toEqual([
      ['info', 'plain'],
      ['warn', 'ping failed', { server: 's1' }],
      ['error', 'down', { component: 'c', node: 'n', server: 's2' }],
      ['debug', 'bound', { component: 'c' }],
    ]);
  });
});

describe('the loggers a user can give', () => {
  const line = 'full sync failed; will retry in 15 s (retryFailInterval plus stagger)';

  it('gets the syncer\'s lines to pino', async () => {
    const records: Record<string, unknown>[] = [];
    await failOnce(pino({ level: 'info' }, { write: (l: string) => void records.push(JSON.parse(l) as Record<string, unknown>) }));
    expect(records).toEqual([expect.objectContaining({ level: 50, component: 'stateSyncer', msg: line, retryInMs: 15_000, err: expect.objectContaining({ message: 'syncFull failed' }) })]);
  });

  it('gets the syncer\'s lines to a console through fromConsole', async () => {
    const { target, calls } = recordingConsole();
    await failOnce(fromConsole(target));
    expect(calls).toEqual([['error', line, { component: 'stateSyncer', err: expect.objectContaining({ message: 'syncFull failed' }), retryInMs: 15_000 }]]);
  });

  it('gets the syncer\'s lines to any object with the five members', async () => {
    const lines: { level: string; bindings: Record<string, unknown>; obj: unknown; msg: unknown }[] = [];
    const custom = (bindings: Record<string, unknown>): Logger => {
      const at =
        (level: string): LogFn =>
        (obj: object | string, msg?: string) =>
          void lines.push({ level, bindings, obj, msg });
      return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (more) => custom({ ...bindings, ...more }) };
    };
    await failOnce(custom({}));
    expect(lines).toEqual([{ level: 'error', bindings: { component: 'stateSyncer' }, obj: expect.objectContaining({ retryInMs: 15_000 }), msg: line }]);
  });

  it('refuses console itself (no child, message-first) with a TypeError that names fromConsole', () => {
    const state = scriptedSyncState(createTestClock());
    // @ts-expect-error console is not a Logger: it has no child() and takes the message first
    const attempt = (): unknown => new StateSyncer({ state, interval: 60_000, clusterSize: () => 1, logger: console });
    expect(attempt).toThrow(TypeError);
    expect(attempt).toThrow(/logger must be a logger with debug, info, warn, error and child methods \(a pino logger, or fromConsole\(console\)\), received an object without child$/);
    // The adapter's result is one, at compile time too.
    const ok = new StateSyncer({ state, interval: 60_000, clusterSize: () => 1, logger: fromConsole(console) });
    expect(ok.state).toBe('fullSync');
  });

  it('needs no pino for the default: the silent logger is its own child and writes nothing', () => {
    const silent = silentLogger();
    expect(silent.child({ component: 'x' })).toBe(silent);
    expect(componentLogger(undefined, 'x')).toBe(silent);
    expect(guardLogger(silent)).toBe(silent);
  });
});

describe('componentLogger', () => {
  /** A five-member logger that counts its child() calls and records every line with its bindings. */
  function countingLogger(bindings: Record<string, unknown> = {}, count = { children: 0, lines: [] as Record<string, unknown>[] }) {
    const at =
      (level: string): LogFn =>
      (obj: object | string, msg?: string) =>
        void count.lines.push({ level, ...bindings, ...(typeof obj === 'string' ? { msg: obj } : { ...obj, msg }) });
    const logger: Logger = {
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: (more) => (count.children++, countingLogger({ ...bindings, ...more }, count).logger),
    };
    return { logger, count };
  }

  it('makes one child per logger and component, however many syncers log through it, and their lines are unchanged', async () => {
    const { logger, count } = countingLogger();
    for (let i = 0; i < 20; i++) await failOnce(logger);
    expect(count.children).toBe(1);
    expect(count.lines).toHaveLength(20);
    for (const line of count.lines) expect(line).toEqual(expect.objectContaining({ level: 'error', component: 'stateSyncer', retryInMs: 15_000 }));
    expect(componentLogger(logger, 'serverManager')).not.toBe(componentLogger(logger, 'stateSyncer'));
    expect(count.children).toBe(2);
    expect(guardLogger(logger)).toBe(guardLogger(logger));
  });

  it("follows a pino parent's later level change, as a child made then would", () => {
    const records: Record<string, unknown>[] = [];
    const parent = pino({ level: 'info' }, { write: (l: string) => void records.push(JSON.parse(l) as Record<string, unknown>) });
    componentLogger(parent, 'serverManager').debug('hidden');
    parent.level = 'debug';
    componentLogger(parent, 'serverManager').debug({ server: 'a' }, 'shown');
    expect(records).toEqual([expect.objectContaining({ level: 20, component: 'serverManager', server: 'a', msg: 'shown' })]);
  });

  it('asks again after a child() that threw, so a later component still gets its binding', () => {
    const { logger, count } = countingLogger();
    const flaky: Logger = {
      ...logger,
      child: (more) => {
        if (count.children++ === 0) throw new Error('child down once');
        return logger.child(more);
      },
    };
    componentLogger(flaky, 'stateSyncer').warn('first');
    componentLogger(flaky, 'stateSyncer').warn('second');
    expect(count.lines.map((l) => [l.msg, l.component])).toEqual([
      ['first', undefined],
      ['second', 'stateSyncer'],
    ]);
  });
});
