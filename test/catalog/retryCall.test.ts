// Reads (and state changes proven not to have applied) retried on another server inside
// the same pass (src/catalog/retryCall.ts): a jittered wait of U(0, callTimeout / 16), at
// most RETRY_ATTEMPTS attempts, none starting past the call's deadline. Fake clock, both
// sides of every wait and deadline; a real ServerManager picks and rotates the servers.
import { describe, expect, it } from 'vitest';
import type { CatalogBackend, CatalogClient } from '../../src/catalog/backend.js';
import { callRetrying, RETRY_ATTEMPTS, RETRY_JITTER_FRACTION, type RetryCaller } from '../../src/catalog/retryCall.js';
import type { ServerCaller } from '../../src/catalog/registryOptions.js';
import { ServerManager } from '../../src/servers/serverManager.js';
import type { Server } from '../../src/servers/types.js';
import { isTimeoutError } from '../../src/shared/errors.js';
import { constantRandom, createTestClock, scriptedPinger, type TestClock } from '../../src/testing.js';
import { server } from '../helpers/index.js';

const CALL_TIMEOUT_MS = 5_000;
// random 0.5: the wait before a retry is ⌊0.5 × 5000 / 16⌋ = 156 ms.
const WAIT_MS = Math.floor(0.5 * (CALL_TIMEOUT_MS / RETRY_JITTER_FRACTION));

/** How each attempt on a server goes: reject after `afterMs`, resolve, or hang until aborted. */
type Plan = { fail: true; afterMs?: number } | { fail: false } | { hang: true };

function harness(plan: (server: string, attempt: number, front: string | undefined) => Plan, options: { manager?: boolean; random?: number } = {}) {
  const clock = createTestClock();
  const tried: string[] = [];
  const at: number[] = [];
  let first: string | undefined;
  const client = (s: Server): CatalogClient =>
    ({
      countNodes: (signal: AbortSignal) => {
        tried.push(s.name);
        at.push(clock.now);
        const p = plan(s.name, tried.length, first);
        if ('hang' in p) return new Promise<number>((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));
        if (!p.fail) return Promise.resolve(7);
        const err = new Error(`${s.name} refused`);
        return p.afterMs ? new Promise<number>((_r, reject) => clock.setTimeout(() => reject(err), p.afterMs as number)) : Promise.reject(err);
      },
    }) as unknown as CatalogClient;
  const backend = { client } as unknown as CatalogBackend;
  let manager: ServerManager | undefined;
  let servers: ServerCaller;
  if (options.manager) {
    manager = new ServerManager({ pinger: scriptedPinger(() => true), clock, random: constantRandom(0) });
    manager.setServers([server('a'), server('b'), server('c')]);
    servers = manager;
    first = manager.findServer()?.name;
  } else {
    // Always the same server: the wait and deadline arithmetic, with no manager timers.
    servers = { call: (fn) => fn(server('a'), new AbortController().signal) };
  }
  const caller: RetryCaller = { servers, backend, clock, callTimeoutMs: CALL_TIMEOUT_MS, random: constantRandom(options.random ?? 0.5) };
  return { clock, tried, at, caller, manager };
}

const count = (c: CatalogClient, _s: Server, signal: AbortSignal): Promise<number> => c.countNodes(signal);

async function settleWithin<T>(clock: TestClock, p: Promise<T>, ms: number): Promise<{ value?: T; error?: unknown; done: boolean }> {
  const out: { value?: T; error?: unknown; done: boolean } = { done: false };
  p.then(
    (value) => Object.assign(out, { value, done: true }),
    (error: unknown) => Object.assign(out, { error, done: true }),
  );
  await clock.tickAsync(ms);
  return out;
}

describe('callRetrying', () => {
  it('retries a failed read on the next server after the jittered wait, not a millisecond sooner', async () => {
    // The manager's front server fails every read; the others serve.
    const h = harness((s, _n, front) => (s === front ? { fail: true } : { fail: false }), { manager: true });
    const order = h.manager!.servers().map((s) => s.name);
    const [front, next] = order as [string, string];
    const result = settleWithin(h.clock, callRetrying(h.caller, new AbortController().signal, count, () => true), WAIT_MS - 1);
    const early = await result;
    expect(h.tried).toEqual([front]);
    expect(early.done).toBe(false);
    await h.clock.tickAsync(1);
    expect(h.tried).toEqual([front, next]);
    expect(h.at).toEqual([0, WAIT_MS]);
    expect(early.done && early.value).toBe(7);
    // The failed server was held against it as any failed call: rotated to the back.
    expect(h.manager!.servers().map((s) => s.name)).toEqual([...order.slice(1), front]);
    await h.manager!.stop();
  });

  it('draws the wait from U(0, callTimeout / 16): random 0 retries at once, random 0.999 just under 312 ms', async () => {
    for (const [random, expected] of [
      [0, 0],
      [0.999, Math.floor(0.999 * (CALL_TIMEOUT_MS / RETRY_JITTER_FRACTION))],
    ] as const) {
      const h = harness((_s, n) => (n === 1 ? { fail: true } : { fail: false }), { random });
      const p = callRetrying(h.caller, new AbortController().signal, count, () => true);
      await h.clock.tickAsync(CALL_TIMEOUT_MS);
      await expect(p).resolves.toBe(7);
      expect(h.at).toEqual([0, expected]);
    }
  });

  it('gives up with the last error when the wait would end past the deadline, and leaves no timer', async () => {
    // The first attempt fails 4 900 ms in: 100 ms left, less than the 156 ms wait.
    const h = harness(() => ({ fail: true, afterMs: CALL_TIMEOUT_MS - 100 }));
    const out = await settleWithin(h.clock, callRetrying(h.caller, new AbortController().signal, count, () => true), CALL_TIMEOUT_MS + 1_000);
    expect(out.done).toBe(true);
    expect((out.error as Error).message).toBe('a refused');
    expect(h.tried).toEqual(['a']);
    expect(h.clock.countTimers()).toBe(0);
  });

  it('retries when the wait ends just before the deadline', async () => {
    // Fails 4 843 ms in: the 156 ms wait ends at 4 999 ms, 1 ms before the deadline.
    const h = harness((_s, n) => (n === 1 ? { fail: true, afterMs: CALL_TIMEOUT_MS - WAIT_MS - 1 } : { fail: false }));
    const out = await settleWithin(h.clock, callRetrying(h.caller, new AbortController().signal, count, () => true), CALL_TIMEOUT_MS);
    expect(out.value).toBe(7);
    expect(h.at).toEqual([0, CALL_TIMEOUT_MS - 1]);
  });

  it('bounds a retry by what is left of the deadline, not a fresh callTimeout', async () => {
    const h = harness((_s, n) => (n === 1 ? { fail: true, afterMs: 1_000 } : { hang: true }));
    const p = callRetrying(h.caller, new AbortController().signal, count, () => true);
    const before = await settleWithin(h.clock, p, CALL_TIMEOUT_MS - 1);
    expect(before.error).toBeUndefined();
    expect(before.done).toBe(false);
    expect(h.at).toEqual([0, 1_000 + WAIT_MS]);
    await h.clock.tickAsync(1);
    expect(before.done).toBe(true);
    expect(isTimeoutError(before.error)).toBe(true);
    expect(h.tried).toHaveLength(2);
  });

  it(`makes at most ${RETRY_ATTEMPTS} attempts, however much time is left`, async () => {
    // Every attempt up to the bound fails; one more would have succeeded.
    const h = harness((_s, n) => (n <= RETRY_ATTEMPTS ? { fail: true } : { fail: false }), { random: 0 });
    const out = await settleWithin(h.clock, callRetrying(h.caller, new AbortController().signal, count, () => true), CALL_TIMEOUT_MS);
    expect(out.done).toBe(true);
    expect((out.error as Error).message).toBe('a refused');
    expect(h.tried).toHaveLength(RETRY_ATTEMPTS);
  });

  it('does not retry an error mayRetry refuses (a write not proven unapplied)', async () => {
    const h = harness(() => ({ fail: true }));
    const seen: unknown[] = [];
    const out = await settleWithin(
      h.clock,
      callRetrying(h.caller, new AbortController().signal, count, (e) => (seen.push(e), false)),
      CALL_TIMEOUT_MS,
    );
    expect((out.error as Error).message).toBe('a refused');
    expect(h.tried).toEqual(['a']);
    expect(seen).toHaveLength(1);
  });

  it('stops waiting and rejects with the reason when its caller aborts during the wait, with no further attempt', async () => {
    const h = harness(() => ({ fail: true }));
    const outer = new AbortController();
    const p = callRetrying(h.caller, outer.signal, count, () => true);
    const out = await settleWithin(h.clock, p, WAIT_MS - 10);
    expect(out.done).toBe(false);
    outer.abort(new Error('stopped'));
    await h.clock.tickAsync(0);
    expect(out.done).toBe(true);
    expect((out.error as Error).message).toBe('stopped');
    await h.clock.tickAsync(CALL_TIMEOUT_MS);
    expect(h.tried).toEqual(['a']);
    expect(h.clock.countTimers()).toBe(0);
  });
});
