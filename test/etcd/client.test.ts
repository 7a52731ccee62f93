// Unit tests of the bound on every etcd call: a call that never settles (a stuck
// channel, a bug, a member that accepted the connection and froze) rejects after
// callTimeout on the backend's clock, whatever its gRPC deadline does.
import { describe, expect, it } from 'vitest';
import { createClock } from '@sinonjs/fake-timers';
import { boundedCall } from '../../src/etcd/client.js';
import { createEtcdBackend } from '../../src/etcd/index.js';
import { rawMemberClient } from '../../src/etcd/rawClient.js';
import { isTimeoutError } from '../../src/shared/errors.js';

const never = new AbortController().signal;

describe('boundedCall', () => {
  it('rejects a call that never settles after timeoutMs, not a millisecond sooner', async () => {
    const clock = createClock();
    const outcome: unknown[] = [];
    void boundedCall(never, 1000, () => new Promise(() => undefined), clock).catch((err: unknown) => outcome.push(err));
    await clock.tickAsync(999);
    expect(outcome).toEqual([]);
    await clock.tickAsync(1);
    expect(outcome).toHaveLength(1);
    expect(isTimeoutError(outcome[0])).toBe(true);
    expect(String(outcome[0])).toMatch(/etcd call timed out after 1000 ms/);
    expect(clock.countTimers()).toBe(0);
  });

  it('settles with the call when it answers in time and leaves no timer behind', async () => {
    const clock = createClock();
    await expect(boundedCall(never, 1000, async (o) => typeof o.deadline, clock)).resolves.toBe('number');
    expect(clock.countTimers()).toBe(0);
  });
});

describe('etcd backend calls that never settle', () => {
  it('bounds every catalog call, the ping and openSession by callTimeout', async () => {
    const clock = createClock();
    const backend = createEtcdBackend({ endpoints: ['127.0.0.1:1'], clock, callTimeout: 500 });
    const [server] = backend.initialServers();
    rawMemberClient(backend, server!).mock({ exec: () => new Promise(() => undefined) } as never);
    const c = backend.client(server!);
    const calls: Array<[string, Promise<unknown>]> = [
      ['listServices', c.listServices('n', never)],
      ['putService', c.putService('n', { id: 'a', name: 'a', address: '10.0.0.1', port: 1 }, '1', never)],
      ['deleteService', c.deleteService('n', 'a', never)],
      ['countNodes', c.countNodes(never)],
      ['ping', backend.pinger.ping(server!, never)],
      ['openSession', backend.openSession(server!, 'n', 3000, never)],
    ];
    const settled: string[] = [];
    for (const [name, p] of calls) p.then(() => settled.push(`${name} resolved`), (err: unknown) => settled.push(`${name} ${isTimeoutError(err) ? 'timed out' : String(err)}`));
    await clock.tickAsync(499);
    expect(settled).toEqual([]);
    await clock.tickAsync(1);
    expect(settled.sort()).toEqual(['countNodes timed out', 'deleteService timed out', 'listServices timed out', 'openSession timed out', 'ping timed out', 'putService timed out']);
    const closing = backend.close();
    await clock.tickAsync(1000);
    await closing;
  });
});
