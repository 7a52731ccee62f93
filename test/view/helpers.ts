// Test utilities for the live view: raw HTTP requests (so Host and Origin can be set),
// a reader of its server-sent-event stream, and machines to watch.
import http from 'node:http';
import { createMachine } from 'xstate';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request to 127.0.0.1:`port` with exactly these headers (Host defaults to 127.0.0.1:port). */
export function request(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string; host?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: options.host ?? '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { host: `127.0.0.1:${port}`, ...options.headers }, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.setTimeout(5_000, () => req.destroy(new Error(`no answer to ${path} within 5 s`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

export interface SseMessage {
  event: string;
  data: unknown;
}

/** Reads a server-sent-event stream; `next(type)` waits (≤ 5 s) for the next message of that type. */
export function openStream(url: string, headers: Record<string, string> = {}): Promise<{
  status: number;
  messages: SseMessage[];
  next(type: string): Promise<SseMessage>;
  closed: Promise<void>;
  close(): void;
}> {
  return new Promise((resolve, reject) => {
    const messages: SseMessage[] = [];
    const read = new Map<string, number>(); // per type: `next` of one type never skips another's
    let buffer = '';
    let ended = false;
    let wake: (() => void) | undefined;
    const req = http.get(url, { headers, agent: false }, (res) => {
      res.setEncoding('utf8');
      const closed = new Promise<void>((done) => res.on('close', () => ((ended = true), wake?.(), done())));
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event !== undefined && data !== undefined) messages.push({ event, data: JSON.parse(data) });
        }
        wake?.();
      });
      resolve({
        status: res.statusCode ?? 0,
        messages,
        closed,
        close: () => req.destroy(),
        async next(type) {
          const deadline = Date.now() + 5_000;
          for (;;) {
            for (let i = read.get(type) ?? 0; i < messages.length; i++) {
              const m = messages[i] as SseMessage;
              if (m.event !== type) continue;
              read.set(type, i + 1);
              return m;
            }
            read.set(type, messages.length);
            if (ended) throw new Error(`stream ended before a "${type}" message`);
            if (Date.now() > deadline) throw new Error(`no "${type}" message within 5 s`);
            await new Promise<void>((r) => {
              wake = r;
              setTimeout(r, 100);
            });
          }
        },
      });
    });
    req.on('error', reject);
  });
}

/** A small two-level machine: idle ⇄ busy.working, and a final `done`. */
export const toggleMachine = createMachine({
  id: 'toggle',
  initial: 'idle',
  states: {
    idle: { on: { GO: 'busy' } },
    busy: { initial: 'working', states: { working: { on: { REST: 'resting' } }, resting: {} }, on: { BACK: 'idle' } },
    done: { type: 'final' },
  },
  on: { STOP: '.done' },
});
