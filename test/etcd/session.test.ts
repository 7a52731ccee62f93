// Unit tests of the etcd session's keepalive loop and of the member poll, on a
// fake clock with stub etcd clients: every timer is checked just before and
// just after it fires.
import { describe, expect, it } from 'vitest';
import { createClock } from '@sinonjs/fake-timers';
import type { Etcd3 } from 'etcd3';
import { EtcdSession, LOST_AFTER_TTLS, SessionLostError, isSessionLostError } from '../../src/etcd/session.js';
import { createEtcdBackend } from '../../src/etcd/index.js';
import { rawMemberClient } from '../../src/etcd/rawClient.js';
import { silentLogger } from '../../src/shared/logger.js';
import type { MembershipEvent } from '../../src/catalog/backend.js';
import { captureLogger } from '../helpers/index.js';

type Behaviour = 'ok' | 'expired' | 'fail' | 'hang' | 'hang-open';

/** A member stub: records keepalives and revokes, answers as told. */
function stubMember(name: string, log: string[]) {
  const member = { name, behaviour: 'ok' as Behaviour, keepalives: 0, revokes: 0 };
  const client = {
    leaseClient: {
      leaseKeepAlive: () => {
        if (member.behaviour === 'hang-open') {
          log.push(`open ${name}`);
          return new Promise(() => undefined); // a stream that never opens
        }
        const handlers: Record<string, (arg: unknown) => void> = {};
        const stream = {
          on(event: string, fn: (arg: unknown) => void) {
            handlers[event] = fn;
            return stream;
          },
          write() {
            member.keepalives++;
            log.push(`keepalive ${name}`);
            const b = member.behaviour;
            queueMicrotask(() => {
              if (b === 'ok') handlers.data?.({ ID: '1', TTL: '3' });
              else if (b === 'expired') handlers.data?.({ ID: '1', TTL: '-1' });
              else if (b === 'fail') handlers.error?.(new Error(`${name} unavailable`));
            });
          },
          end() {},
          cancel() {},
        };
        return Promise.resolve(stream);
      },
      leaseRevoke: () => {
        member.revokes++;
        log.push(`revoke ${name}`);
        return member.behaviour === 'ok' ? Promise.resolve({}) : Promise.reject(new Error(`${name} unavailable`));
      },
    },
  };
  return { member, entry: { name, client: () => client as unknown as Etcd3 } };
}

function setup(ttlMs = 3000, callTimeoutMs = 2000, logger = silentLogger()) {
  const clock = createClock();
  const log: string[] = [];
  const a = stubMember('a', log);
  const b = stubMember('b', log);
  const ended: string[] = [];
  const session = new EtcdSession('1', 'node-1', ttlMs, {
    clients: (preferred) => (preferred === 'b' ? [b.entry, a.entry] : [a.entry, b.entry]),
    grantedVia: 'a',
    callTimeoutMs,
    clock,
    log: logger,
    onEnd: (s) => ended.push(s.id),
  });
  const lost: unknown[] = [];
  session.onLost((err) => lost.push(err));
  return { clock, log, a: a.member, b: b.member, session, lost, ended };
}

describe('EtcdSession', () => {
  it('renews every TTL/3 through the member it was granted on, not before', async () => {
    const { clock, log, session } = setup(3000);
    await clock.tickAsync(999);
    expect(log).toEqual([]);
    await clock.tickAsync(1);
    expect(log).toEqual(['keepalive a']);
    await clock.tickAsync(999);
    expect(log).toEqual(['keepalive a']);
    await clock.tickAsync(1);
    expect(log).toEqual(['keepalive a', 'keepalive a']);
    await session.close();
  });

  it('renews through the next member when one fails and then sticks with the one that worked', async () => {
    const { clock, log, a, session, lost } = setup(3000);
    a.behaviour = 'fail';
    await clock.tickAsync(1000);
    expect(log).toEqual(['keepalive a', 'keepalive b']);
    await clock.tickAsync(1000);
    expect(log).toEqual(['keepalive a', 'keepalive b', 'keepalive b']);
    expect(lost).toEqual([]);
    await session.close();
  });

  it('abandons a keepalive that gets no answer after min(callTimeout, TTL/3) and tries the next member', async () => {
    const { clock, log, a, session } = setup(3000, 500);
    a.behaviour = 'hang';
    await clock.tickAsync(1000);
    expect(log).toEqual(['keepalive a']);
    await clock.tickAsync(499);
    expect(log).toEqual(['keepalive a']);
    await clock.tickAsync(1);
    expect(log).toEqual(['keepalive a', 'keepalive b']);
    await session.close();
  });

  it(`is lost once no renewal has succeeded for ${LOST_AFTER_TTLS} TTL, not one attempt earlier`, async () => {
    const { clock, a, b, lost, ended, session } = setup(3000);
    a.behaviour = 'fail';
    b.behaviour = 'fail';
    // Attempts fail at once, so they run at 1000, 2000, 3000 ms.
    await clock.tickAsync(2999);
    expect(lost).toEqual([]);
    await clock.tickAsync(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeInstanceOf(SessionLostError);
    expect(isSessionLostError(lost[0])).toBe(true);
    expect((lost[0] as SessionLostError).code).toBe('ERR_SESSION_LOST');
    expect(String(lost[0])).toMatch(/not renewed for 3000 ms \(TTL 3000 ms\)/);
    expect(ended).toEqual(['1']);
    const attempts = a.keepalives;
    await clock.tickAsync(10_000);
    expect(a.keepalives).toBe(attempts); // the loop stopped
    await session.close(); // never rejects, does nothing more
    expect(lost).toHaveLength(1);
  });

  it('is lost exactly one TTL after the last renewal even while attempts are still running', async () => {
    // callTimeout 700 ms: attempts at 1000-1700 (a) and 1700-2400 (b) hang; the next pass
    // would only start at 3400. The loss must not wait for it.
    const { clock, a, b, lost, session } = setup(3000, 700);
    a.behaviour = 'hang';
    b.behaviour = 'hang';
    await clock.tickAsync(2999);
    expect(lost).toEqual([]);
    await clock.tickAsync(1);
    expect(lost).toHaveLength(1);
    expect(String(lost[0])).toMatch(/not renewed for 3000 ms/);
    await session.close();
  });

  it('is lost at once when etcd answers a keepalive with TTL ≤ 0, and tells late listeners too', async () => {
    const { clock, a, lost, session } = setup(3000);
    a.behaviour = 'expired';
    await clock.tickAsync(1000);
    expect(lost).toHaveLength(1);
    expect(String(lost[0])).toMatch(/expired or was revoked/);
    const late: unknown[] = [];
    session.onLost((err) => late.push(err));
    await Promise.resolve();
    expect(late).toEqual(lost);
  });

  it('calls a late listener that throws inside a guard: logged, the next late listener still runs, nothing escapes', async () => {
    const { records, logger } = captureLogger();
    const { clock, a, session } = setup(3000, 2000, logger);
    a.behaviour = 'expired';
    await clock.tickAsync(1000);
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown): void => void uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const late: unknown[] = [];
      session.onLost(() => {
        throw new Error('listener bug');
      });
      session.onLost((err) => late.push(err));
      await new Promise((r) => setImmediate(r));
      expect(late).toHaveLength(1);
      expect(uncaught).toEqual([]);
      expect(records.filter((r) => r.msg === 'session lost listener threw').map((r) => (r.err as { message?: string } | undefined)?.message)).toEqual(['listener bug']);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('bounds a keepalive whose stream never opens and tries the next member', async () => {
    const { clock, log, a, lost, session } = setup(3000, 500);
    a.behaviour = 'hang-open';
    await clock.tickAsync(1000);
    expect(log).toEqual(['open a']);
    await clock.tickAsync(499);
    expect(log).toEqual(['open a']);
    await clock.tickAsync(1);
    expect(log).toEqual(['open a', 'keepalive b']);
    expect(lost).toEqual([]);
    await session.close();
  });

  it('revokes through the preferred member on close and stops renewing', async () => {
    const { clock, log, lost, ended, session } = setup(3000);
    await clock.tickAsync(500);
    await session.close();
    expect(log).toEqual(['revoke a']);
    expect(ended).toEqual(['1']);
    await clock.tickAsync(10_000);
    expect(log).toEqual(['revoke a']);
    expect(lost).toEqual([]);
  });

  it('keeps a healthy session when the wall clock steps forward by 2/3 of the TTL between renewals', async () => {
    const { clock, log, lost, session } = setup(3000);
    await clock.tickAsync(1000);
    expect(log).toEqual(['keepalive a']);
    clock.setSystemTime(clock.now + 2000);
    await clock.tickAsync(1000);
    expect(log).toEqual(['keepalive a', 'keepalive a']);
    expect(lost).toEqual([]);
    clock.setSystemTime(clock.now + 2000);
    await clock.tickAsync(10_000);
    expect(lost).toEqual([]);
    expect(session.closed).toBe(false);
    await session.close();
  });

  it('gives a silent session up one TTL after its last renewal when the wall clock steps back a day', async () => {
    const { clock, a, b, lost } = setup(3000);
    await clock.tickAsync(1000); // renewed at 1000 ms
    a.behaviour = 'fail';
    b.behaviour = 'fail';
    clock.setSystemTime(clock.now - 86_400_000);
    await clock.tickAsync(2999);
    expect(lost).toEqual([]);
    await clock.tickAsync(1);
    expect(lost).toHaveLength(1);
    expect(isSessionLostError(lost[0])).toBe(true);
    expect(String((lost[0] as Error).message)).toMatch(/not renewed for 3000 ms/);
  });

  it('tries every member to revoke and still resolves when none answers', async () => {
    const { a, b, log, session } = setup(3000);
    a.behaviour = 'fail';
    b.behaviour = 'fail';
    await expect(session.close()).resolves.toBeUndefined();
    expect(log).toEqual(['revoke a', 'revoke b']);
  });
});

describe('createEtcdBackend watchMembers', () => {
  it('polls at once and then every pollMembersMs, emitting only changes', async () => {
    const clock = createClock();
    const backend = createEtcdBackend({ endpoints: ['127.0.0.1:1'], pollMembersInterval: 1000, clock });
    const [server] = backend.initialServers();
    let members = [{ ID: '11', name: 'm1', peerURLs: [], clientURLs: ['http://127.0.0.1:1'], isLearner: false }];
    let polls = 0;
    rawMemberClient(backend, server!).mock({
      exec: (service: string, method: string) => {
        if (service !== 'Cluster' || method !== 'memberList') return Promise.reject(new Error(`unexpected ${service}.${method}`));
        polls++;
        return Promise.resolve({ header: {}, members });
      },
    } as never);
    // The new member answers at its advertised address (it joins only then).
    rawMemberClient(backend, { name: '127.0.0.1:2', address: '127.0.0.1:2' }).mock({
      exec: (service: string, method: string) =>
        service === 'Maintenance' && method === 'status' ? Promise.resolve({ header: {}, leader: '11' }) : Promise.reject(new Error(`unexpected ${service}.${method}`)),
    } as never);
    const events: MembershipEvent[] = [];
    const stop = backend.watchMembers((e) => events.push(e));
    await clock.tickAsync(0);
    expect(polls).toBe(1);
    expect(events).toEqual([{ type: 'update', server: { name: '127.0.0.1:1', address: '127.0.0.1:1', meta: { memberId: '11', memberName: 'm1' } } }]);
    members = [...members, { ID: '12', name: 'm2', peerURLs: [], clientURLs: ['http://127.0.0.1:2'], isLearner: false }];
    await clock.tickAsync(999);
    expect(polls).toBe(1);
    await clock.tickAsync(1);
    expect(polls).toBe(2);
    expect(events.slice(1)).toEqual([{ type: 'join', server: { name: '127.0.0.1:2', address: '127.0.0.1:2', meta: { memberId: '12', memberName: 'm2' } } }]);
    await clock.tickAsync(1000);
    expect(polls).toBe(3);
    expect(events).toHaveLength(2);
    stop();
    await clock.tickAsync(5000);
    expect(polls).toBe(3);
    await backend.close();
  });

  it('keeps the endpoints given and adds an advertised member only once it answers, removing it when the list drops it', async () => {
    const clock = createClock();
    const backend = createEtcdBackend({ endpoints: ['127.0.0.1:1'], pollMembersInterval: 1000, callTimeout: 500, clock });
    const [server] = backend.initialServers();
    // Behind NAT: the member behind the endpoint advertises another address, and so does a second member.
    let members = [
      { ID: '11', name: 'm1', peerURLs: [], clientURLs: ['http://127.0.0.1:11'], isLearner: false },
      { ID: '12', name: 'm2', peerURLs: [], clientURLs: ['http://127.0.0.1:12'], isLearner: false },
    ];
    rawMemberClient(backend, server!).mock({ exec: () => Promise.resolve({ header: {}, members }) } as never);
    const probes: string[] = [];
    let m2Answers = false;
    for (const port of [11, 12]) {
      const address = `127.0.0.1:${port}`;
      rawMemberClient(backend, { name: address, address }).mock({
        exec: (service: string, method: string) => {
          probes.push(`${address} ${service}.${method}`);
          if (port === 12 && m2Answers) return Promise.resolve({ header: {}, leader: '11' });
          return new Promise(() => undefined); // an advertised URL nothing answers at: only the deadline ends it
        },
      } as never);
    }
    const events: MembershipEvent[] = [];
    const stop = backend.watchMembers((e) => events.push(e));
    await clock.tickAsync(499);
    expect(probes.sort()).toEqual(['127.0.0.1:11 Maintenance.status', '127.0.0.1:12 Maintenance.status']);
    await clock.tickAsync(1);
    expect(events).toEqual([]); // no leave for the endpoint, no join for an address that did not answer
    m2Answers = true;
    await clock.tickAsync(1000);
    expect(events).toEqual([]); // the next poll starts 1000 ms after the first ended (at 500 ms)
    await clock.tickAsync(500);
    expect(events).toEqual([{ type: 'join', server: { name: '127.0.0.1:12', address: '127.0.0.1:12', meta: { memberId: '12', memberName: 'm2' } } }]);
    members = members.slice(0, 1);
    await clock.tickAsync(2000);
    expect(events.slice(1)).toEqual([{ type: 'leave', server: { name: '127.0.0.1:12', address: '127.0.0.1:12', meta: { memberId: '12', memberName: 'm2' } } }]);
    stop();
    await backend.close();
  });

  it('reports nothing and asks nothing when pollMembers is false', async () => {
    const clock = createClock();
    const backend = createEtcdBackend({ endpoints: ['127.0.0.1:1'], pollMembers: false, pollMembersInterval: 1000, clock });
    const [server] = backend.initialServers();
    let calls = 0;
    rawMemberClient(backend, server!).mock({
      exec: () => {
        calls++;
        return Promise.resolve({ header: {}, members: [{ ID: '12', name: 'm2', peerURLs: [], clientURLs: ['http://127.0.0.1:2'], isLearner: false }] });
      },
    } as never);
    const events: MembershipEvent[] = [];
    const stop = backend.watchMembers((e) => events.push(e));
    await clock.tickAsync(10_000);
    expect(calls).toBe(0);
    expect(events).toEqual([]);
    stop();
    await backend.close();
  });

  it('emits nothing when the member list fails or comes back empty', async () => {
    const clock = createClock();
    const backend = createEtcdBackend({ endpoints: ['127.0.0.1:1'], pollMembersInterval: 1000, clock });
    const [server] = backend.initialServers();
    let answer: 'fail' | 'empty' = 'fail';
    rawMemberClient(backend, server!).mock({
      exec: () => (answer === 'fail' ? Promise.reject(new Error('unavailable')) : Promise.resolve({ header: {}, members: [] })),
    } as never);
    const events: MembershipEvent[] = [];
    const stop = backend.watchMembers((e) => events.push(e));
    await clock.tickAsync(0);
    answer = 'empty';
    await clock.tickAsync(1000);
    expect(events).toEqual([]);
    stop();
    await backend.close();
  });
});
