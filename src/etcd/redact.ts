// Credentials never reach a log line: the etcd backend's logger censors the paths below
// in every object it logs, itself, so it holds for any logger (pino's own redaction
// would only hold for pino).
import type { LogFn, Logger } from '../shared/logger.js';

/** Where credentials can sit in what the backend logs (pino's path syntax: `*` is any one key). */
export const REDACT_PATHS = [
  'password',
  'auth.password',
  'auth.username',
  '*.password',
  '*.auth.password',
  '*.auth.username',
  'privateKey',
  'options.auth.password',
  'options.auth.username',
  'options.tls.privateKey',
  'tls.privateKey',
  '*.privateKey',
  '*.tls.privateKey',
];

export const CENSOR = '[redacted]';

const SPLIT_PATHS = REDACT_PATHS.map((p) => p.split('.'));

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** `obj` with every value at one of the paths replaced by `[redacted]`; copies what it changes, never mutates `obj`. */
export function redact(obj: object, paths: readonly (readonly string[])[] = SPLIT_PATHS): object {
  let out: Record<string, unknown> | undefined;
  const src = obj as Record<string, unknown>;
  for (const path of paths) {
    const head = path[0]!;
    const keys = head === '*' ? Object.keys(out ?? src) : [head];
    for (const key of keys) {
      const current = (out ?? src)[key];
      if (current === undefined) continue;
      let next: unknown;
      if (path.length === 1) next = CENSOR;
      else if (isPlainObject(current)) next = redact(current, [path.slice(1)]);
      else continue;
      if (next === current) continue;
      out ??= { ...src };
      out[key] = next;
    }
  }
  return out ?? obj;
}

type Level = 'debug' | 'info' | 'warn' | 'error';

/** `logger` with `redact` applied to every object it logs, its children's bindings included. */
export function redactingLogger(logger: Logger): Logger {
  const write =
    (level: Level): LogFn =>
    (objOrMsg: object | string, msg?: string): void => {
      if (typeof objOrMsg === 'string') logger[level](objOrMsg);
      else if (msg === undefined) logger[level](redact(objOrMsg));
      else logger[level](redact(objOrMsg), msg);
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (bindings) => redactingLogger(logger.child(redact(bindings) as Record<string, unknown>)),
  };
}
