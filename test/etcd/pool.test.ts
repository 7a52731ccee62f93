// Unit tests of the member pool's idle close on a fake clock: a member's client
// closes 127 s after its last use (not a millisecond sooner) and reopens on demand.
import { describe, expect, it } from 'vitest';
import { createClock } from '@sinonjs/fake-timers';
import type { Etcd3 } from 'etcd3';
import { MemberPool } from '../../src/etcd/pool.js';
import { createEtcdBackend, DEFAULT_IDLE_CLOSE_MS } from '../../src/etcd/index.js';
import { silentLogger } from '../../src/shared/logger.js';
import { server } from '../helpers/index.js';

function harness(idleCloseMs = DEFAULT_IDLE_CLOSE_MS) {
  const clock = createClock();
  const log: string[] = [];
  const pool = new MemberPool({
    clock,
    idleCloseMs,
    log: silentLogger(),
    create: (s) => {
      log.push(`open ${s.name}`);
      return { close: () => void log.push(`close ${s.name}`) } as unknown as Etcd3;
    },
  });
  return { clock, log, pool };
}

describe('MemberPool', () => {
  it('closes a client 127 s after its last use, not a millisecond sooner', () => {
    const { clock, log, pool } = harness();
    expect(DEFAULT_IDLE_CLOSE_MS).toBe(127_000);
    pool.get(server('a'));
    clock.tick(126_999);
    expect(pool.openMembers()).toEqual(['a']);
    expect(log).toEqual(['open a']);
    clock.tick(1);
    expect(pool.openMembers()).toEqual([]);
    expect(log).toEqual(['open a', 'close a']);
  });

  it('counts every use: a client used once a minute (with 59 s of drift) is never closed', () => {
    const { clock, log, pool } = harness();
    const a = pool.get(server('a'));
    for (const gapMs of [60_000, 119_000, 126_999, 60_000]) {
      clock.tick(gapMs);
      expect(pool.get(server('a'))).toBe(a);
    }
    expect(log).toEqual(['open a']);
    clock.tick(126_999);
    expect(log).toEqual(['open a']);
    clock.tick(1);
    expect(log).toEqual(['open a', 'close a']);
  });

  it('reopens a closed member on demand with a new client, and closes each member on its own schedule', () => {
    const { clock, log, pool } = harness();
    const first = pool.get(server('a'));
    clock.tick(100_000);
    pool.get(server('b'));
    clock.tick(27_000);
    expect(pool.openMembers()).toEqual(['b']);
    const again = pool.get(server('a'));
    expect(again).not.toBe(first);
    expect(pool.openMembers()).toEqual(['a', 'b']);
    clock.tick(99_999);
    expect(pool.openMembers()).toEqual(['a', 'b']);
    clock.tick(1);
    expect(pool.openMembers()).toEqual(['a']);
    expect(log).toEqual(['open a', 'open b', 'close a', 'open a', 'close b']);
    pool.closeAll();
    expect(log.at(-1)).toBe('close a');
    expect(clock.countTimers()).toBe(0);
  });
});

describe('etcd backend idle close', () => {
  it('opens member clients lazily and closes them after idleCloseMs', async () => {
    const clock = createClock();
    const backend = createEtcdBackend({ endpoints: ['127.0.0.1:1', '127.0.0.1:2'], clock, idleClose: 10_000 });
    const [s1] = backend.initialServers();
    expect(backend.openMembers()).toEqual([]);
    backend.memberClient(s1!);
    expect(backend.openMembers()).toEqual(['127.0.0.1:1']);
    clock.tick(9_999);
    expect(backend.openMembers()).toEqual(['127.0.0.1:1']);
    clock.tick(1);
    expect(backend.openMembers()).toEqual([]);
    await backend.close();
  });
});
