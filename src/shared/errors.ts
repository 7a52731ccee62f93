// Typed errors at ae-sync's boundaries. Each has a stable `code` and a guard so
// callers can branch without instanceof across package copies.

/** Base class for every error ae-sync throws on purpose. */
export class AeSyncError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** True for any error ae-sync raised on purpose. */
export function isAeSyncError(err: unknown): err is AeSyncError {
  return err instanceof Error && typeof (err as Partial<AeSyncError>).code === 'string' && (err).name.length > 0;
}

/** The server manager knows no server to send a call to. */
export class NoServersError extends AeSyncError {
  constructor(message = 'no servers available') {
    super('ERR_NO_SERVERS', message);
  }
}
export const isNoServersError = (err: unknown): err is NoServersError =>
  err instanceof Error && err.name === 'NoServersError';

/** A component was used after `stop()`, e.g. `start()` on a stopped syncer. */
export class StoppedError extends AeSyncError {
  constructor(message: string) {
    super('ERR_STOPPED', message);
  }
}
export const isStoppedError = (err: unknown): err is StoppedError =>
  err instanceof Error && err.name === 'StoppedError';

/** An operation ran longer than its configured timeout and was aborted. */
export class TimeoutError extends AeSyncError {
  constructor(message: string) {
    super('ERR_TIMEOUT', message);
  }
}
export const isTimeoutError = (err: unknown): err is TimeoutError =>
  err instanceof Error && err.name === 'TimeoutError';
