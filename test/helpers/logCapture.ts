// A pino logger whose records land in an array, so tests can assert on what was logged.
import { pino, type Logger } from 'pino';

export interface LogRecord {
  level: number;
  msg: string;
  component?: string;
  [key: string]: unknown;
}

export function captureLogger(): { logger: Logger; records: LogRecord[]; messages(level?: 'warn' | 'error'): string[] } {
  const records: LogRecord[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => records.push(JSON.parse(line) as LogRecord) });
  const levels = { warn: 40, error: 50 };
  return {
    logger,
    records,
    messages: (level) => records.filter((r) => (level ? r.level === levels[level] : true)).map((r) => r.msg),
  };
}
