// Unit tests of the etcd backend's pure parts: option validation, key layout,
// value encoding and membership diffing. No etcd needed.
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import type { IMember } from 'etcd3';
import { createEtcdBackend, decodeService, encodeService, KeyLayout, CORRUPT_META_KEY, DEFAULT_ETCD_CALL_TIMEOUT_MS, DEFAULT_IDLE_CLOSE_MS, DEFAULT_POLL_MEMBERS_MS } from '../../src/etcd/index.js';
import { REDACT_PATHS } from '../../src/etcd/backend.js';
import { redact, redactingLogger } from '../../src/etcd/redact.js';
import type { Logger } from '../../src/shared/logger.js';
import { createCatalogAgent } from '../../src/catalog/catalogAgent.js';
import { diffServers, membersToServers } from '../../src/etcd/members.js';
import type { Server } from '../../src/servers/types.js';

describe('createEtcdBackend options', () => {
  it('applies the documented defaults when only endpoints are given', async () => {
    const backend = createEtcdBackend({ endpoints: ['127.0.0.1:1', 'http://localhost:2'] });
    expect(backend.keys.prefix).toBe('/ae-sync');
    expect(backend.initialServers()).toEqual([
      { name: '127.0.0.1:1', address: '127.0.0.1:1' },
      { name: 'localhost:2', address: 'localhost:2' },
    ]);
    await backend.close();
  });

  it.each([
    [{ endpoints: '127.0.0.1:2379' }, TypeError, /endpoints must be an array.*"127.0.0.1:2379"/],
    [{ endpoints: [] }, RangeError, /at least one member/],
    [{ endpoints: ['127.0.0.1'] }, RangeError, /endpoints\[0\].*"127.0.0.1"/],
    [{ endpoints: ['127.0.0.1:0'] }, RangeError, /endpoints\[0\].*"127.0.0.1:0"/],
    [{ endpoints: ['127.0.0.1:70000'] }, RangeError, /70000/],
    [{ endpoints: ['a:1', 'a:1'] }, RangeError, /repeat.*"a:1"/],
    [{ endpoints: [42] }, TypeError, /endpoints\[0\] must be a string, received 42/],
    [{ endpoints: ['a:1'], prefix: 'nope' }, RangeError, /prefix.*"nope"/],
    [{ endpoints: ['a:1'], prefix: '/' }, RangeError, /prefix.*"\/"/],
    [{ endpoints: ['a:1'], prefix: 7 }, TypeError, /prefix must be a string, received 7/],
    [{ endpoints: ['a:1'], callTimeout: 0 }, RangeError, /callTimeout.*received 0/],
    [{ endpoints: ['a:1'], callTimeout: '5' }, TypeError, /callTimeout must be a number, received "5"/],
    [{ endpoints: ['a:1'], pollMembersInterval: -1 }, RangeError, /pollMembersInterval.*received -1/],
    // The deprecated names are checked under the name given.
    [{ endpoints: ['a:1'], callTimeoutMs: 0 }, RangeError, /^callTimeoutMs must be a finite number > 0, received 0$/],
    [{ endpoints: ['a:1'], pollMembersMs: -1 }, RangeError, /^pollMembersMs must be a finite number > 0, received -1$/],
    [{ endpoints: ['a:1'], idleCloseMs: 2000 }, RangeError, /^idleCloseMs must exceed callTimeout \(2000 ms\), received 2000$/],
    // A new name and its alias with different values: which one was meant is unknown.
    [{ endpoints: ['a:1'], callTimeout: 1000, callTimeoutMs: 3000 }, TypeError, /^callTimeout and its deprecated alias callTimeoutMs were both given, with different values: received 1000 and 3000; pass callTimeout only$/],
    [{ endpoints: ['a:1'], pollMembersInterval: 1000, pollMembersMs: 2000 }, TypeError, /pollMembersInterval and its deprecated alias pollMembersMs were both given/],
    [{ endpoints: ['a:1'], idleClose: 200_000, idleCloseMs: 100_000 }, TypeError, /idleClose and its deprecated alias idleCloseMs were both given/],
    [{ endpoints: ['a:1'], pollMembers: 'no' }, TypeError, /pollMembers must be a boolean, received "no"/],
    [{ endpoints: ['a:1'], staleReads: 'off' }, TypeError, /staleReads must be a boolean, received "off"/],
    [{ endpoints: ['a:1'], staleReads: 0 }, TypeError, /staleReads must be a boolean, received 0/],
    [{ endpoints: ['a:1'], auth: 'root' }, TypeError, /auth must be an object/],
    [{ endpoints: ['a:1'], tls: { rootCertificate: 'pem' } }, TypeError, /tls.rootCertificate must be a Buffer/],
    [{ endpoints: ['a:1'], logger: {} }, TypeError, /logger must be a logger with debug, info, warn, error and child methods .*received an object without debug, info, warn, error, child$/],
    // Durations a timer cannot hold (Node turns them into 1 ms timers).
    [{ endpoints: ['a:1'], callTimeout: 2 ** 31 }, RangeError, /callTimeout must be at most 2147483647 ms.*received 2147483648/],
    [{ endpoints: ['a:1'], pollMembersInterval: 30 * 86_400_000 }, RangeError, /pollMembersInterval must be at most 2147483647 ms.*received 2592000000/],
    [{ endpoints: ['a:1'], idleClose: 2 ** 31 }, RangeError, /idleClose must be at most 2147483647 ms/],
    [{ endpoints: ['a:1'], idleClose: 2000 }, RangeError, /^idleClose must exceed callTimeout \(2000 ms\), received 2000$/],
    [{ endpoints: ['a:1'], callTimeout: 5000, idleClose: 5000 }, RangeError, /^idleClose must exceed callTimeout \(5000 ms\), received 5000$/],
    [{ endpoints: ['a:1'], sessionGrace: 0.5 }, RangeError, /sessionGrace must be a finite number in \[1, 1000\], received 0.5/],
    [{ endpoints: ['a:1'], sessionGrace: Infinity }, RangeError, /sessionGrace.*received Infinity/],
    [{ endpoints: ['a:1'], sessionGrace: '2' }, TypeError, /sessionGrace must be a number, received "2"/],
    [{ endpoints: ['a:1'], insecureAuth: 'yes' }, TypeError, /insecureAuth must be a boolean, received "yes"/],
    [{ endpoints: ['a:1'], maxTxnOps: 0 }, RangeError, /maxTxnOps must be an integer ≥ 1, received 0/],
    [{ endpoints: ['a:1'], maxTxnOps: 12.5 }, RangeError, /maxTxnOps must be an integer ≥ 1, received 12.5/],
    [{ endpoints: ['a:1'], maxTxnOps: '128' }, TypeError, /maxTxnOps must be a number, received "128"/],
    // Prefixes that would be ambiguous or invisible in keys.
    [{ endpoints: ['a:1'], prefix: '/a\u0000b' }, RangeError, /prefix must not contain NUL, control characters or spaces/],
    [{ endpoints: ['a:1'], prefix: '/a\nb' }, RangeError, /prefix must not contain NUL, control characters or spaces/],
    [{ endpoints: ['a:1'], prefix: '/a b' }, RangeError, /prefix must not contain NUL, control characters or spaces, received "\/a b"/],
    [{ endpoints: ['a:1'], prefix: '/a\u200bb' }, RangeError, /prefix must not contain NUL, control characters or spaces/],
    [{ endpoints: ['a:1'], prefix: '/a/../b' }, RangeError, /prefix must not contain "." or ".." segments, received "\/a\/..\/b"/],
    [{ endpoints: ['a:1'], prefix: '/a/.' }, RangeError, /"\." or "\.\." segments/],
    // TLS must not silently upgrade an explicit http:// endpoint.
    [{ endpoints: ['http://a:1'], tls: { rootCertificate: Buffer.from('x') } }, RangeError, /endpoints\[0\] is http:\/\/ but tls is set/],
    // Auth over plain http:// sends the password in clear text.
    [{ endpoints: ['a:1'], auth: { username: 'u', password: 'p' } }, RangeError, /auth over plain http:\/\/.*a:1.*insecureAuth: true/],
  ])('refuses %j with a typed error naming the value', (options, type, message) => {
    expect(() => createEtcdBackend(options as never)).toThrow(type);
    expect(() => createEtcdBackend(options as never)).toThrow(message);
  });

  it('never echoes a password in a validation error', () => {
    let caught: unknown;
    try {
      createEtcdBackend({ endpoints: ['a:1'], auth: { username: 'root', password: '' } });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TypeError);
    expect(String(caught)).toMatch(/auth.password must be a non-empty string/);
    let caught2: unknown;
    try {
      createEtcdBackend({ endpoints: ['a:1'], auth: { username: 's3cr3t-user-xyz', password: 5 as never } });
    } catch (err) {
      caught2 = err;
    }
    expect(String(caught2)).not.toContain('s3cr3t-user-xyz');
  });

  it('refuses an endpoint carrying credentials without echoing the password', () => {
    for (const endpoint of ['http://root:pa55-w0rd-xyz@127.0.0.1:2379', 'root:pa55-w0rd-xyz@127.0.0.1:2379', 'https://pa55-w0rd-xyz@10.0.0.1:2379/']) {
      let caught: unknown;
      try {
        createEtcdBackend({ endpoints: ['a:1', endpoint] });
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(RangeError);
      expect(String(caught)).toMatch(/endpoints\[1\] must not carry credentials \(pass them as `auth`\)/);
      expect(String(caught)).toContain('[redacted]@');
      expect(String(caught)).not.toContain('pa55-w0rd-xyz');
    }
  });

  it('refuses a sessionTtl shorter than a second when the agent is built, not at every sync', async () => {
    const backend = createEtcdBackend({ endpoints: ['a:1'] });
    expect(backend.minSessionTtlMs).toBe(1000);
    expect(() => createCatalogAgent({ backend, node: 'n', interval: 60_000, sessionTtl: 999 })).toThrow(RangeError);
    expect(() => createCatalogAgent({ backend, node: 'n', interval: 60_000, sessionTtl: 999 })).toThrow(/sessionTtl must be ≥ 1000 ms for this backend, received 999/);
    expect(() => createCatalogAgent({ backend, node: 'n', interval: 60_000, sessionTtl: 1000 })).not.toThrow();
    await backend.close();
  });

  it('accepts auth with tls, and over http only with insecureAuth', async () => {
    const b1 = createEtcdBackend({ endpoints: ['a:1'], auth: { username: 'u', password: 'p' }, tls: { rootCertificate: Buffer.from('x') } });
    const b2 = createEtcdBackend({ endpoints: ['a:1'], auth: { username: 'u', password: 'p' }, insecureAuth: true });
    expect(b2.initialServers()).toEqual([{ name: 'a:1', address: 'a:1' }]);
    await b1.close();
    await b2.close();
  });

  it('uses https endpoints when tls is given and trims a trailing slash off the prefix', async () => {
    const backend = createEtcdBackend({ endpoints: ['127.0.0.1:1'], tls: { rootCertificate: Buffer.from('x') }, prefix: '/svc/' });
    expect(backend.initialServers()).toEqual([{ name: '127.0.0.1:1', address: '127.0.0.1:1', useTLS: true }]);
    expect(backend.keys.prefix).toBe('/svc');
    await backend.close();
  });

  it('keeps credentials out of its logs when it logs its configuration', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done(); } });
    const logger = pino({ level: 'trace' }, sink);
    const backend = createEtcdBackend({ endpoints: ['127.0.0.1:1'], auth: { username: 'alice-user', password: 'hunter2-secret' }, insecureAuth: true, logger });
    await backend.close();
    const out = lines.join('');
    // The backend's own logger logs its configuration, auth included: only redaction keeps the secret out.
    const created = lines.map((l) => JSON.parse(l) as { msg: string; options?: { auth?: unknown } }).find((r) => r.msg === 'etcd backend created');
    expect(created?.options?.auth).toEqual({ username: '[redacted]', password: '[redacted]' });
    expect(out).not.toContain('hunter2-secret');
    expect(out).not.toContain('alice-user');
    expect(out).toContain('etcd auth over plain http://');
  });
});

describe('createEtcdBackend renamed options', () => {
  /** The effective configuration the backend logs at debug level when created. */
  async function effective(options: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
    let logged: Record<string, unknown> | undefined;
    const logger: Logger = {
      debug: (o: object | string, m?: string) => {
        if (m === 'etcd backend created') logged = (o as { options: Record<string, unknown> }).options;
      },
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
      child: () => logger,
    };
    const backend = createEtcdBackend({ endpoints: ['127.0.0.1:1'], logger, ...options });
    await backend.close();
    return logged;
  }

  it('takes callTimeout, pollMembersInterval and idleClose, with their defaults when absent', async () => {
    expect(await effective({})).toMatchObject({ callTimeout: DEFAULT_ETCD_CALL_TIMEOUT_MS, pollMembersInterval: DEFAULT_POLL_MEMBERS_MS, idleClose: DEFAULT_IDLE_CLOSE_MS });
    expect(await effective({ callTimeout: 700, pollMembersInterval: 900, idleClose: 60_000 })).toMatchObject({ callTimeout: 700, pollMembersInterval: 900, idleClose: 60_000 });
  });

  it('still takes the deprecated callTimeoutMs, pollMembersMs and idleCloseMs, alone or with the same value as the new name', async () => {
    expect(await effective({ callTimeoutMs: 700, pollMembersMs: 900, idleCloseMs: 60_000 })).toMatchObject({ callTimeout: 700, pollMembersInterval: 900, idleClose: 60_000 });
    expect(await effective({ callTimeout: 700, callTimeoutMs: 700 })).toMatchObject({ callTimeout: 700 });
  });
});

describe('REDACT_PATHS', () => {
  const secrets = { password: 'pw-top', auth: { username: 'user-a', password: 'pw-a' }, options: { auth: { username: 'user-b', password: 'pw-b' }, tls: { privateKey: 'key-b' } }, tls: { privateKey: 'key-a' }, keep: 'visible' };

  it('censors credentials wherever an options-like object puts them, without touching the object logged', () => {
    const before = structuredClone(secrets);
    const out = JSON.stringify(redact(secrets));
    for (const secret of ['pw-top', 'user-a', 'pw-a', 'user-b', 'pw-b', 'key-a', 'key-b']) expect(out).not.toContain(secret);
    expect(out.match(/\[redacted\]/g)).toHaveLength(7);
    expect(out).toContain('visible');
    expect(secrets).toEqual(before);
    expect(REDACT_PATHS).toContain('*.auth.password');
  });

  it('censors them for any logger, through children too (not only pino)', () => {
    const seen: unknown[] = [];
    const plain = (bindings: object): Logger => ({
      debug: (o: object | string, m?: string) => void seen.push([bindings, o, m]),
      info: (o: object | string, m?: string) => void seen.push([bindings, o, m]),
      warn: (o: object | string, m?: string) => void seen.push([bindings, o, m]),
      error: (o: object | string, m?: string) => void seen.push([bindings, o, m]),
      child: (more) => plain({ ...bindings, ...more }),
    });
    const log = redactingLogger(plain({})).child({ auth: { username: 'user-c', password: 'pw-c' } });
    log.warn(secrets, 'm');
    log.info('no object');
    const out = JSON.stringify(seen);
    for (const secret of ['pw-top', 'user-a', 'pw-a', 'user-b', 'pw-b', 'key-a', 'key-b', 'user-c', 'pw-c']) expect(out).not.toContain(secret);
    expect(seen[1]).toEqual([{ auth: { username: '[redacted]', password: '[redacted]' } }, 'no object', undefined]);
  });
});

describe('KeyLayout', () => {
  it('places services under <prefix>/nodes/<node>/services/<id> and sessions in their own range', () => {
    const keys = new KeyLayout('/ae-sync');
    expect(keys.serviceKey('node-1', 'web')).toBe('/ae-sync/nodes/node-1/services/web');
    expect(keys.sessionKey('node-1')).toBe('/ae-sync/sessions/node-1');
    expect(keys.sessionsPrefix()).toBe('/ae-sync/sessions/');
  });

  it('encodes slashes in node names and ids so one node cannot reach into another', () => {
    const keys = new KeyLayout('/p');
    const key = keys.serviceKey('a/b', 'x/y');
    expect(key).toBe('/p/nodes/a%2Fb/services/x%2Fy');
    expect(keys.serviceIdOf('a/b', key)).toBe('x/y');
  });
});

describe('encodeService / decodeService', () => {
  it('serializes equal services identically whatever their key order', () => {
    const a = encodeService({ id: 'w', name: 'web', address: '10.0.0.1', port: 80, tags: ['x'], meta: { b: '2', a: '1' } });
    const b = encodeService({ meta: { a: '1', b: '2' }, tags: ['x'], port: 80, address: '10.0.0.1', name: 'web', id: 'w' });
    expect(a).toBe(b);
    expect(a).toBe('{"id":"w","name":"web","address":"10.0.0.1","port":80,"tags":["x"],"meta":{"a":"1","b":"2"}}');
  });

  it('round-trips a service', () => {
    const s = { id: 'w', name: 'web', address: 'h', port: 1, tags: ['a', 'b'], meta: { k: 'v' } };
    expect(decodeService('w', encodeService(s))).toEqual({ service: s, corrupt: false });
  });

  it.each([['not json'], ['{"id":"w","name":"web","address":"h"}'], ['{"id":"other","name":"n","address":"h","port":1}'], ['[]'], ['{"id":"w","name":"n","address":"h","port":1,"meta":{"k":1}}']])(
    'reports %s as a corrupt placeholder that equals no valid service',
    (value) => {
      const { service, corrupt } = decodeService('w', value);
      expect(corrupt).toBe(true);
      expect(service).toEqual({ id: 'w', name: '', address: '', port: 0, meta: { [CORRUPT_META_KEY]: 'true' } });
    },
  );
});

describe('membersToServers / diffServers', () => {
  const member = (name: string, port: number, extra: Partial<IMember> = {}): IMember => ({
    ID: `id-${name}`, name, peerURLs: [], clientURLs: [`http://127.0.0.1:${port}`], isLearner: false, ...extra,
  });

  it('names a member by its client address and skips learners and unstarted members', () => {
    const servers = membersToServers([member('m2', 2), member('m1', 1), member('m3', 3, { isLearner: true }), member('m4', 4, { clientURLs: [] })], false);
    expect(servers).toEqual([
      { name: '127.0.0.1:1', address: '127.0.0.1:1', meta: { memberId: 'id-m1', memberName: 'm1' } },
      { name: '127.0.0.1:2', address: '127.0.0.1:2', meta: { memberId: 'id-m2', memberName: 'm2' } },
    ]);
  });

  it('emits leaves, then joins and updates, and nothing for an unchanged list', () => {
    const a: Server = { name: 'a:1', address: 'a:1' };
    const b: Server = { name: 'b:1', address: 'b:1' };
    const b2: Server = { name: 'b:1', address: 'b:1', meta: { memberName: 'b' } };
    const c: Server = { name: 'c:1', address: 'c:1' };
    expect(diffServers([a, b], [b2, c])).toEqual([
      { type: 'leave', server: a },
      { type: 'update', server: b2 },
      { type: 'join', server: c },
    ]);
    expect(diffServers([a, b2], [a, { ...b2, meta: { memberName: 'b' } }])).toEqual([]);
  });
});
