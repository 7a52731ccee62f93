// Typed errors at ae-sync's boundaries. Each class carries a brand (a hidden
// property set only by AeSyncError's constructor, holding the class's code) and
// has a guard that checks it: never `name` (anyone can copy a name, and
// AbortSignal.timeout() already rejects with a `TimeoutError`) and never
// `instanceof` alone (two copies of the package in one process must agree).

/** Global symbol, so guards of another copy of ae-sync recognise our errors too. */
const BRAND: unique symbol = Symbol.for('ae-sync.error');

/** Base class for every error ae-sync raises on purpose. `code` is stable; match on it or use a guard. */
export class AeSyncError extends Error {
  readonly code: string;
  declare readonly [BRAND]: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, BRAND, { value: code, enumerable: false });
  }
}

/** True only for errors built by ae-sync's own classes (not for Node's `code`-carrying system errors). */
export function isAeSyncError(err: unknown): err is AeSyncError {
  return typeof err === 'object' && err !== null && typeof (err as { [BRAND]?: unknown })[BRAND] === 'string';
}

/** A guard for the class whose constructor passes `code` to AeSyncError. */
export function brandGuard<T extends AeSyncError>(code: string): (err: unknown) => err is T {
  return (err: unknown): err is T => isAeSyncError(err) && err[BRAND] === code;
}

/** The server manager knows no server to send a call to. */
export class NoServersError extends AeSyncError {
  constructor(message = 'no servers available') {
    super('ERR_NO_SERVERS', message);
  }
}
export const isNoServersError = brandGuard<NoServersError>('ERR_NO_SERVERS');

/** A component was used after `stop()`, e.g. `start()` on a stopped syncer or `call()` on a stopped manager. */
export class StoppedError extends AeSyncError {
  constructor(message: string) {
    super('ERR_STOPPED', message);
  }
}
export const isStoppedError = brandGuard<StoppedError>('ERR_STOPPED');

/**
 * One of ae-sync's own deadlines ran out: a sync (`syncTimeout`), a ping
 * (`pingTimeout`) or a catalog call (`callTimeout`). A user's own
 * `AbortSignal.timeout()` rejection is not one of these.
 */
export class TimeoutError extends AeSyncError {
  constructor(message: string) {
    super('ERR_TIMEOUT', message);
  }
}
export const isTimeoutError = brandGuard<TimeoutError>('ERR_TIMEOUT');

/** `resume()` was called on a syncer that is not paused. Nothing changed. */
export class NotPausedError extends AeSyncError {
  constructor(message = 'unbalanced resume(): the syncer is not paused') {
    super('ERR_NOT_PAUSED', message);
  }
}
export const isNotPausedError = brandGuard<NotPausedError>('ERR_NOT_PAUSED');
