import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { deadline } from '../../src/shared/deadline.js';
import { isNoServersError, isStoppedError, isTimeoutError, NoServersError, StoppedError, TimeoutError } from '../../src/shared/errors.js';
import { createTestClock } from '../../src/testing.js';
import type { Server } from '../../src/servers/types.js';
import { managerHarness, server, servers } from '../helpers/index.js';

/** A call whose fn waits for its signal and rejects with the signal's reason (a well-behaved RPC). */
function abortable(seen: AbortSignal[] = []) {
  return (_s: Server, signal: AbortSignal) =>
    new Promise<never>((_resolve, reject) => {
      seen.push(signal);
      signal.addEventListener('abort', () => reject(signal.reason as Error));
    });
}

describe('ServerManager call', () => {
  it('runs the function against the chosen server and resolves its result, recording a success', async () => {
    const { manager, clock, names } = managerHarness();
    manager.addServer(server('a'));
    manager.addServer(server('b'));
    clock.tick(42);
    const seen: string[] = [];
    await expect(manager.call((s) => (seen.push(s.name), Promise.resolve(42)))).resolves.toBe(42);
    expect(seen).toEqual(['a']);
    expect(names()).toEqual(['a', 'b']);
    expect(manager.health()[0]?.lastSuccess).toBe(42);
  });

  it('rotates the server and rethrows when the function rejects or throws', async () => {
    const { manager, names, states } = managerHarness({ health: false });
    for (const s of servers(3)) manager.addServer(s);
    const err = new Error('rpc failed');
    await expect(manager.call(() => Promise.reject(err))).rejects.toBe(err);
    expect(names()).toEqual(['s2', 's3', 's1']);
    await expect(
      manager.call(() => {
        throw err;
      }),
    ).rejects.toBe(err);
    expect(names()).toEqual(['s3', 's1', 's2']);
    expect(states()).toEqual(['s3:healthy', 's1:suspect', 's2:suspect']);
  });

  it('rejects with NoServersError when no server is known', async () => {
    const { manager } = managerHarness();
    const err: unknown = await manager.call(() => Promise.resolve(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoServersError);
    expect(isNoServersError(err)).toBe(true);
  });

  it.each([
    ['a non-function', 5, undefined],
    ['options that are not an object', () => 1, 'x'],
    ['a signal that is not an AbortSignal', () => 1, { signal: { aborted: false } }],
  ])('rejects %s with a TypeError and keeps the list', async (_l, fn, options) => {
    const { manager, names } = managerHarness();
    manager.addServer(server('a'));
    await expect(manager.call(fn as never, options as never)).rejects.toThrow(TypeError);
    expect(names()).toEqual(['a']);
  });

  it('rejects with StoppedError after stop() without calling the function', async () => {
    const { manager } = managerHarness();
    manager.addServer(server('a'));
    await manager.stop();
    let called = false;
    const err: unknown = await manager.call(() => ((called = true), Promise.resolve(1))).catch((e: unknown) => e);
    expect(isStoppedError(err)).toBe(true);
    expect(called).toBe(false);
  });

  it('aborts the signal on stop(), rejects with StoppedError, and does not hold it against the server', async () => {
    const { manager, names, states } = managerHarness();
    for (const s of servers(2)) manager.addServer(s);
    const seen: AbortSignal[] = [];
    const pending = manager.call(abortable(seen));
    expect(seen[0]?.aborted).toBe(false);
    await manager.stop();
    await expect(pending).rejects.toBeInstanceOf(StoppedError);
    expect(names()).toEqual(['s1', 's2']);
    expect(states()).toEqual(['s1:healthy', 's2:healthy']);
  });

  it('rejects on stop() even when the function ignores its signal and never settles', async () => {
    const { manager } = managerHarness();
    manager.addServer(server('a'));
    const pending = manager.call(() => new Promise<never>(() => undefined));
    await manager.stop();
    await expect(pending).rejects.toBeInstanceOf(StoppedError);
  });

  it("does not rotate a healthy server away when the caller's own signal aborts the call", async () => {
    const { manager, names, states, health } = managerHarness();
    for (const s of servers(3)) manager.addServer(s);
    const controller = new AbortController();
    const seen: AbortSignal[] = [];
    const pending = manager.call(abortable(seen), { signal: controller.signal });
    controller.abort(new Error('caller gave up'));
    await expect(pending).rejects.toThrow('caller gave up');
    expect(seen[0]?.aborted).toBe(true);
    expect(names()).toEqual(['s1', 's2', 's3']);
    expect(states()).toEqual(['s1:healthy', 's2:healthy', 's3:healthy']);
    expect(health).toEqual([]);
  });

  it("rejects at once, without calling fn, when the caller's signal is already aborted", async () => {
    const { manager, names } = managerHarness();
    for (const s of servers(2)) manager.addServer(s);
    let called = false;
    const reason = new Error('already gone');
    await expect(manager.call(() => ((called = true), Promise.resolve(1)), { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(called).toBe(false);
    expect(names()).toEqual(['s1', 's2']);
  });

  it("still counts a failure the server caused while the caller's signal stayed quiet", async () => {
    const { manager, names } = managerHarness();
    for (const s of servers(2)) manager.addServer(s);
    const controller = new AbortController();
    await expect(manager.call(() => Promise.reject(new Error('refused')), { signal: controller.signal })).rejects.toThrow('refused');
    expect(names()).toEqual(['s2', 's1']);
  });

  it("leaves no listener on the caller's or the manager's signal once calls settled", async () => {
    const { manager } = managerHarness();
    manager.addServer(server('a'));
    const controller = new AbortController();
    const seen: AbortSignal[] = [];
    for (let i = 0; i < 20; i++) await manager.call((_s, signal) => (seen.push(signal), Promise.resolve(i)), { signal: controller.signal });
    await manager.call((_s, signal) => (seen.push(signal), Promise.resolve(0)));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    for (const signal of seen) expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('clears offline and re-admits the server when a call succeeds after a failed rebalance', async () => {
    let up = false;
    const { manager, events, states } = managerHarness({ pinger: { ping: () => Promise.resolve(up) }, failureThreshold: 1 });
    manager.addServer(server('a'));
    await manager.rebalanceServers();
    expect(manager.isOffline()).toBe(true);
    up = true;
    await manager.call(() => Promise.resolve('ok'));
    expect(manager.isOffline()).toBe(false);
    expect(states()).toEqual(['a:healthy']);
    expect(events.slice(-2)).toEqual(['offline', 'online']);
  });

  it("cuts off a call that ignores its signal and never settles at the caller's deadline, not a millisecond before", async () => {
    const { manager, names, health } = managerHarness();
    for (const s of servers(2)) manager.addServer(s);
    const clock = createTestClock();
    const limit = deadline(clock, 1_000, () => new TimeoutError('call timed out'));
    let outcome: unknown = 'pending';
    const pending = manager.call(() => new Promise<never>(() => undefined), { signal: limit.signal }).catch((err: unknown) => (outcome = err));
    await clock.tickAsync(999);
    expect(outcome).toBe('pending');
    await clock.tickAsync(1);
    await pending;
    expect(isTimeoutError(outcome)).toBe(true);
    // The caller's deadline says nothing about the server.
    expect(names()).toEqual(['s1', 's2']);
    expect(health).toEqual([]);
  });

  it("rejects at once when the caller's signal aborts, even though fn ignores it and never settles", async () => {
    const { manager } = managerHarness();
    manager.addServer(server('a'));
    const controller = new AbortController();
    const seen: AbortSignal[] = [];
    const order: string[] = [];
    const pending = manager
      .call(
        (_s, signal) => {
          seen.push(signal);
          signal.addEventListener('abort', () => order.push('fn saw the abort'));
          return new Promise<never>(() => undefined);
        },
        { signal: controller.signal },
      )
      .catch((err: unknown) => (order.push('call rejected'), err));
    controller.abort(new Error('caller gave up'));
    // No timer, no other event: the rejection waits only for the microtasks it queued.
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['fn saw the abort', 'call rejected']);
    expect(((await pending) as Error).message).toBe('caller gave up');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(seen[0]?.aborted).toBe(true);
  });

  it("adds no listener to the manager's signal per call: 200 calls in flight, none; stop() still cuts every one off", async () => {
    const { manager } = managerHarness();
    manager.addServer(server('a'));
    const seen: AbortSignal[] = [];
    const calls = Array.from({ length: 200 }, () =>
      manager.call((_s, signal) => (seen.push(signal), new Promise<never>(() => undefined))).catch((err: unknown) => err),
    );
    const lifetime = seen[0]!;
    expect(seen.every((s) => s === lifetime)).toBe(true);
    expect(getEventListeners(lifetime, 'abort')).toHaveLength(0);
    await manager.stop();
    const errors = await Promise.all(calls);
    expect(errors.every((e) => isStoppedError(e))).toBe(true);
  });

  it('rejects with StoppedError when fn itself stops the manager, with or without a signal of its own', async () => {
    for (const options of [undefined, { signal: new AbortController().signal }]) {
      const { manager, names } = managerHarness();
      for (const s of servers(2)) manager.addServer(s);
      const err: unknown = await manager
        .call(() => {
          void manager.stop();
          return new Promise<never>(() => undefined);
        }, options)
        .catch((e: unknown) => e);
      expect(isStoppedError(err)).toBe(true);
      expect(names()).toEqual(['s1', 's2']);
    }
  });

  it('handles many concurrent calls without a listener-leak warning', async () => {
    const { manager } = managerHarness();
    manager.addServer(server('a'));
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const calls = Array.from({ length: 50 }, () => manager.call(() => gate));
    release();
    await Promise.all(calls);
    // Node emits the warning on a later turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });
});
