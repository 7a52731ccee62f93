// The `error.type` attribute: a failure's class from a bounded list, as OpenTelemetry's
// general attributes ask. ae-sync's own errors give their stable code; anything else
// (a user's sync throwing, a backend's error) is `_OTHER`: its message or class name
// could be anything, and a metric attribute must not be.
import { isAeSyncError } from '../shared/errors.js';

export const OTHER_ERROR = '_OTHER';

export function errorType(err: unknown): string {
  if (isAeSyncError(err)) return err.code;
  if (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError') return 'AbortError';
  return OTHER_ERROR;
}
