import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { RacingAbortController } from '../../src/shared/abort.js';

const never = () => new Promise<never>(() => undefined);

describe('RacingAbortController', () => {
  it('settles like the work when it settles first, and forgets it', async () => {
    const controller = new RacingAbortController();
    await expect(controller.race(Promise.resolve(7))).resolves.toBe(7);
    await expect(controller.race(Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a user's work may reject with anything
    await expect(controller.race(Promise.reject('text'))).rejects.toThrow('text');
    expect(controller.running).toBe(0);
  });

  it('cuts off every piece still running on abort(), after the signal’s listeners ran, with no listener of its own', async () => {
    const controller = new RacingAbortController();
    const order: string[] = [];
    const pieces = Array.from({ length: 100 }, (_, i) => controller.race(never()).catch((err: unknown) => (order.push(`piece ${i}`), err)));
    expect(controller.running).toBe(100);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    controller.signal.addEventListener('abort', () => order.push('listener'));
    const reason = new Error('stopped');
    controller.abort(reason);
    expect(controller.running).toBe(0);
    const errors = await Promise.all(pieces);
    expect(errors.every((e) => e === reason)).toBe(true);
    expect(order[0]).toBe('listener');
    expect(order).toHaveLength(101);
  });

  it('rejects at once once aborted, and a late failure of the work is not unhandled', async () => {
    const controller = new RacingAbortController();
    controller.abort('bye');
    const err: unknown = await controller.race(Promise.reject(new Error('late'))).catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
    expect((err as Error).message).toBe('bye');
    // A second abort changes nothing.
    controller.abort(new Error('again'));
    expect(controller.signal.reason).toBe('bye');
  });

  it('ignores a piece that settles after it was cut off', async () => {
    const controller = new RacingAbortController();
    let settle: (value: number) => void = () => undefined;
    const piece = controller.race(new Promise<number>((resolve) => (settle = resolve)));
    controller.abort(new Error('stopped'));
    settle(1);
    await expect(piece).rejects.toThrow('stopped');
    expect(controller.running).toBe(0);
  });
});
