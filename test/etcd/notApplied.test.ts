// Which etcd errors prove that a call never reached a member (the registry retries a
// session open on another member only then): a connection that could not be made.
// No etcd process: the member is a loopback port where nothing listens.
import { describe, expect, it } from 'vitest';
import { createEtcdBackend } from '../../src/etcd/index.js';
import { etcd3 } from '../../src/etcd/client.js';
import { TimeoutError } from '../../src/shared/errors.js';
import { freePort } from '../helpers/prometheus.js';

describe('etcd backend notApplied', () => {
  it('is true for a session open refused by a member nobody listens for, false for a timeout or an unavailable after connecting', async () => {
    const port = await freePort();
    const backend = createEtcdBackend({ endpoints: [`127.0.0.1:${port}`], prefix: '/t-not-applied', callTimeoutMs: 2_000 });
    try {
      const [member] = backend.initialServers();
      const error = await backend.openSession(member!, 'n1', 5_000, new AbortController().signal).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(etcd3.GRPCUnavailableError);
      expect(backend.notApplied(error)).toBe(true);
      expect(backend.notApplied(new TimeoutError('call to server m1 timed out after 2000 ms'))).toBe(false);
      expect(backend.notApplied(new etcd3.GRPCUnavailableError('14 UNAVAILABLE: Connection dropped'))).toBe(false);
      expect(backend.notApplied(new Error('No connection established'))).toBe(false);
    } finally {
      await backend.close();
    }
  }, 20_000);
});
