// The serving side of a MemoryCluster on its own: what a client session learns when the
// servers drop its session behind its back (nothing public does that to a live session).
import { describe, expect, it } from 'vitest';
import { isSessionLostError, SessionNotFoundError } from '../../../src/catalog/errors.js';
import { MemoryNetwork } from '../../../src/catalog/memory/network.js';
import { MemoryServers } from '../../../src/catalog/memory/servers.js';
import { SessionTable } from '../../../src/catalog/memory/sessionTable.js';
import { EntryStore } from '../../../src/catalog/memory/store.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { createTestClock } from '../../../src/testing.js';

function servers() {
  const clock = createTestClock();
  const network = new MemoryNetwork(clock);
  network.add('mem-1');
  const events: string[] = [];
  const built: MemoryServers = new MemoryServers({
    clock,
    log: silentLogger(),
    network,
    store: new EntryStore(),
    sessions: new SessionTable(clock, 2, (session) => built.expired(session)),
    latency: () => 0,
    emit: (event) => events.push(String(event)),
  });
  return { clock, servers: built, events };
}

describe('MemoryServers', () => {
  it('reports a session lost at the next renewal when the servers dropped it', async () => {
    const { clock, servers: s } = servers();
    const session = s.grant('n1', 900, 'agent-1', 'mem-1');
    const lost: unknown[] = [];
    session.onLost((err) => lost.push(err));
    s.revokeNow(session.id);
    await clock.tickAsync(299);
    expect(lost).toEqual([]);
    await clock.tickAsync(1); // the renewal at TTL / 3 finds it gone
    // One error for a lost session on every backend (etcd's too), with the servers' reason as its cause.
    expect(isSessionLostError(lost[0])).toBe(true);
    expect((lost[0] as Error).cause).toBeInstanceOf(SessionNotFoundError);
    s.close();
  });

  it('drops the session’s entries with it and refuses a put under it', () => {
    const { servers: s } = servers();
    const session = s.grant('n1', 900, undefined, 'mem-1');
    s.put('n1', { id: 'a', name: 'web', address: '127.0.0.1', port: 80 }, session.id);
    expect(s.store.read('n1')).toHaveLength(1);
    s.revokeNow(session.id);
    expect(s.store.read('n1')).toEqual([]);
    expect(() => s.put('n1', { id: 'b', name: 'web', address: '127.0.0.1', port: 80 }, session.id)).toThrow(SessionNotFoundError);
    s.close();
  });
});
