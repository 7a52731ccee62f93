import { describe, expect, it } from 'vitest';
import {
  AeSyncError,
  isAeSyncError,
  isNoServersError,
  isNotPausedError,
  isStoppedError,
  isTimeoutError,
  NoServersError,
  NotPausedError,
  StoppedError,
  TimeoutError,
} from '../../src/shared/errors.js';
import {
  CatalogSyncError,
  isCatalogSyncError,
  isServerUnavailableError,
  isSessionLostError,
  isSessionNotFoundError,
  ServerUnavailableError,
  SessionLostError,
  SessionNotFoundError,
} from '../../src/catalog/errors.js';

// Every error class with its guard: each guard accepts its own class and refuses every other.
const cases: [string, () => Error, (err: unknown) => boolean][] = [
  ['NoServersError', () => new NoServersError(), isNoServersError],
  ['StoppedError', () => new StoppedError('stopped'), isStoppedError],
  ['TimeoutError', () => new TimeoutError('late'), isTimeoutError],
  ['NotPausedError', () => new NotPausedError(), isNotPausedError],
  ['CatalogSyncError', () => new CatalogSyncError([], 0), isCatalogSyncError],
  ['ServerUnavailableError', () => new ServerUnavailableError('s1', 'down'), isServerUnavailableError],
  ['SessionNotFoundError', () => new SessionNotFoundError('x'), isSessionNotFoundError],
  ['SessionLostError', () => new SessionLostError('gone'), isSessionLostError],
];

describe('error guards', () => {
  it.each(cases)('%s is an Error and an AeSyncError, named after its class, and only its own guard accepts it', (name, make, guard) => {
    const err = make();
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(AeSyncError);
    expect(err.name).toBe(name);
    expect(isAeSyncError(err)).toBe(true);
    expect(guard(err)).toBe(true);
    for (const [other, , otherGuard] of cases) if (other !== name) expect(otherGuard(err), `${other}'s guard`).toBe(false);
  });

  it('carries a stable code per class', () => {
    expect(new NoServersError().code).toBe('ERR_NO_SERVERS');
    expect(new TimeoutError('t').code).toBe('ERR_TIMEOUT');
    expect(new StoppedError('s').code).toBe('ERR_STOPPED');
    expect(new NotPausedError().code).toBe('ERR_NOT_PAUSED');
  });

  it('refuses Node system errors that carry a string code', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', errno: -111 });
    expect(isAeSyncError(refused)).toBe(false);
  });

  it("refuses errors that merely copy a class's name or code", async () => {
    const timeout = await new Promise<unknown>((resolve) => {
      const signal = AbortSignal.timeout(1);
      signal.addEventListener('abort', () => resolve(signal.reason), { once: true });
    });
    expect((timeout as Error).name).toBe('TimeoutError');
    expect(isTimeoutError(timeout)).toBe(false);
    const copied = Object.assign(new Error('no servers'), { name: 'NoServersError', code: 'ERR_NO_SERVERS' });
    expect(isNoServersError(copied)).toBe(false);
    expect(isAeSyncError(copied)).toBe(false);
    expect(isAeSyncError(undefined)).toBe(false);
    expect(isAeSyncError('ERR_TIMEOUT')).toBe(false);
  });

  it('keeps the brand out of enumerable properties, so logs and JSON show only code and name', () => {
    const err = new TimeoutError('late');
    expect(Object.keys(err)).toEqual(['code', 'name']);
    expect(JSON.parse(JSON.stringify(err))).toEqual({ code: 'ERR_TIMEOUT', name: 'TimeoutError' });
  });
});
