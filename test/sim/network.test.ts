import { describe, expect, it } from 'vitest';
import { HeapClock } from '../../src/sim/heapClock.js';
import { Network, SimRpcError } from '../../src/sim/network.js';
import { createRandom } from '../../src/shared/random.js';

const servers = [
  { name: 's0', address: 'a' },
  { name: 's1', address: 'b' },
];

function setup(options = {}) {
  const clock = new HeapClock();
  const net = new Network(clock, createRandom(1), servers, 4, { baseRttMs: 5, jitterMs: 0, pingFailRate: 0, rpcFailRate: 0, unreachableMs: 2000, ...options });
  return { clock, net };
}

async function settle<T>(clock: HeapClock, p: Promise<T>, ms: number): Promise<{ value?: T; error?: unknown; done: boolean }> {
  const out: { value?: T; error?: unknown; done: boolean } = { done: false };
  p.then(
    (value) => Object.assign(out, { value, done: true }),
    (error: unknown) => Object.assign(out, { error, done: true }),
  );
  await clock.advance(ms);
  return out;
}

describe('Network', () => {
  it('answers a ping after one round trip and not before when the server is healthy', async () => {
    const { clock, net } = setup();
    const p = net.ping(0, servers[0]!);
    expect((await settle(clock, p, 4)).done).toBe(false);
    const r = await settle(clock, p, 1);
    expect(r).toEqual({ value: true, done: true });
  });

  it('fails pings and RPCs to a down server after a round trip', async () => {
    const { clock, net } = setup();
    net.setUp(1, false);
    expect(await settle(clock, net.ping(0, servers[1]!), 5)).toEqual({ value: false, done: true });
    const r = await settle(clock, net.rpc(0, 1), 5);
    expect(r.error).toBeInstanceOf(SimRpcError);
    net.setUp(1, true);
    expect(await settle(clock, net.rpc(0, 1), 5)).toEqual({ value: undefined, done: true });
  });

  it('makes a partitioned server unreachable for one group only, failing after unreachableMs', async () => {
    const { clock, net } = setup();
    net.setGroup(2, 1);
    net.block(1, 0);
    const blocked = net.rpc(2, 0);
    expect((await settle(clock, blocked, 1999)).done).toBe(false);
    expect((await settle(clock, blocked, 1)).error).toBeInstanceOf(SimRpcError);
    expect((await settle(clock, net.rpc(3, 0), 5)).done).toBe(true); // group 0 still reaches s0
    net.healAll();
    expect(await settle(clock, net.rpc(2, 0), 5)).toEqual({ value: undefined, done: true });
  });

  it('fails about pingFailRate of pings when the server is healthy', async () => {
    const { clock, net } = setup({ pingFailRate: 0.2 });
    const pings = Array.from({ length: 2000 }, () => net.ping(0, servers[0]!));
    await clock.advance(10);
    const results = await Promise.all(pings);
    const failed = results.filter((ok) => !ok).length;
    expect(failed).toBeGreaterThan(300);
    expect(failed).toBeLessThan(500);
  });

  it('rejects an RPC whose signal was aborted before the reply arrived', async () => {
    const { clock, net } = setup();
    const controller = new AbortController();
    const p = net.rpc(0, 0, controller.signal);
    controller.abort();
    expect((await settle(clock, p, 5)).error).toBeInstanceOf(SimRpcError);
  });

  it('treats an unknown server as unreachable', async () => {
    const { clock, net } = setup();
    expect(net.serverIndex({ name: 'nope', address: '' })).toBe(-1);
    expect(await settle(clock, net.ping(0, { name: 'nope', address: '' }), 2000)).toEqual({ value: false, done: true });
  });
});
