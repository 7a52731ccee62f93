import { getEventListeners } from 'node:events';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { dropLeftListeners } from '../../src/shared/leftListeners.js';

// Counts the scans: the point of the tracking is that a quiet call does not scan.
const scans = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:events', async (importOriginal) => {
  const events = await importOriginal<typeof import('node:events')>();
  return {
    ...events,
    getEventListeners: (...args: Parameters<typeof events.getEventListeners>): ReturnType<typeof events.getEventListeners> => {
      scans.count++;
      return events.getEventListeners(...args);
    },
  };
});


function abortListeners(signal: AbortSignal): number {
  scans.count--; // the test's own look does not count
  return getEventListeners(signal, 'abort').length;
}

describe('dropLeftListeners', () => {
  beforeEach(() => {
    scans.count = 0;
  });

  it('removes every abort listener, capture ones included, and the onabort handler', () => {
    const controller = new AbortController();
    const signal = controller.signal;
    const fired: string[] = [];
    signal.addEventListener('abort', () => fired.push('plain'));
    signal.addEventListener('abort', () => fired.push('once'), { once: true });
    signal.addEventListener('abort', () => fired.push('capture'), { capture: true });
    signal.onabort = () => fired.push('onabort');
    dropLeftListeners(signal);
    expect(abortListeners(signal)).toBe(0);
    expect(signal.onabort).toBeNull();
    controller.abort();
    expect(fired).toEqual([]);
  });

  it('scans once, then only after a listener was added: N quiet calls cost no scan', () => {
    const signal = new AbortController().signal;
    dropLeftListeners(signal);
    expect(scans.count).toBe(1);
    for (let i = 0; i < 100; i++) dropLeftListeners(signal);
    expect(scans.count).toBe(1);
    signal.addEventListener('abort', () => undefined);
    dropLeftListeners(signal);
    expect(scans.count).toBe(2);
    expect(abortListeners(signal)).toBe(0);
    dropLeftListeners(signal);
    expect(scans.count).toBe(2);
  });

  it('drops a listener added after many quiet calls, and leaves no listener after N calls that each added one', () => {
    const controller = new AbortController();
    const signal = controller.signal;
    for (let i = 0; i < 50; i++) dropLeftListeners(signal);
    let fired = 0;
    for (let i = 0; i < 50; i++) {
      signal.addEventListener('abort', () => fired++);
      dropLeftListeners(signal);
    }
    expect(abortListeners(signal)).toBe(0);
    controller.abort();
    expect(fired).toBe(0);
  });

  it('keeps listeners of other events, and the listeners a later call adds still fire on abort', () => {
    const controller = new AbortController();
    const signal = controller.signal;
    const other = vi.fn();
    signal.addEventListener('other', other);
    dropLeftListeners(signal);
    const inFlight = vi.fn();
    signal.addEventListener('abort', inFlight);
    signal.dispatchEvent(new Event('other'));
    controller.abort();
    expect(other).toHaveBeenCalledOnce();
    expect(inFlight).toHaveBeenCalledOnce();
  });

  it('scans every time on a signal it cannot mark (not extensible)', () => {
    const signal = new AbortController().signal;
    Object.preventExtensions(signal);
    dropLeftListeners(signal);
    dropLeftListeners(signal);
    expect(scans.count).toBe(2);
    signal.addEventListener('abort', () => undefined);
    dropLeftListeners(signal);
    expect(abortListeners(signal)).toBe(0);
  });

  it('leaves an aborted signal alone', () => {
    const signal = AbortSignal.abort();
    dropLeftListeners(signal);
    expect(scans.count).toBe(0);
  });
});
