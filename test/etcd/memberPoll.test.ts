// The member poll against a real 3-member loopback cluster (client ports 25601-25603)
// where m2 and m3 advertise a client URL nothing answers at (127.0.0.1:25606-25607), as
// members behind NAT or a port-forward do: the endpoints given stay, only members that
// answer join, and an agent configured with such an endpoint keeps syncing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnection } from 'node:net';
import type { Etcd3 } from 'etcd3';
import { createEtcdBackend } from '../../src/etcd/index.js';
import type { MembershipEvent } from '../../src/catalog/backend.js';
import { EtcdCluster, etcdAvailable } from '../helpers/etcdCluster.js';
import { service, startTestAgent, waitConverged } from '../helpers/etcdAgent.js';
import { until } from '../helpers/index.js';

const run = etcdAvailable();

/** Whether anything accepts a TCP connection at `address` (bounded by 1 s). */
function listening(address: string): Promise<boolean> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = createConnection({ host, port: Number(port) });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

describe.skipIf(!run)('etcd member poll with unreachable advertised URLs (real cluster)', () => {
  let cluster: EtcdCluster;
  let admin: Etcd3;

  beforeAll(async () => {
    cluster = new EtcdCluster({ basePort: 25601, inMemory: true, unreachableAdvertise: ['m2', 'm3'] });
    await cluster.start();
    admin = cluster.adminClient();
  }, 60_000);

  afterAll(async () => {
    admin?.close();
    await cluster?.stop();
  }, 30_000);

  it('keeps the endpoint given, joins the member that answers and never the advertised URL nothing answers at', async () => {
    const [m1, m2, m3] = cluster.members;
    // The premise: the advertised URLs really are loopback ports where nothing listens.
    expect(await listening(m2!.advertised)).toBe(false);
    expect(await listening(m3!.advertised)).toBe(false);
    expect((await admin.cluster.memberList({})).members.map((m) => m.clientURLs[0]).sort()).toEqual([m1, m2, m3].map((m) => `http://${m!.advertised}`).sort());
    const backend = createEtcdBackend({ endpoints: [m2!.endpoint], prefix: '/t-poll', callTimeout: 500, pollMembersInterval: 100 });
    const events: MembershipEvent[] = [];
    const stop = backend.watchMembers((e) => events.push(e));
    try {
      await until(() => events.length >= 1, 10_000, 'the answering member to join');
      // Several more polls (each ~100 ms plus one 500 ms probe deadline) change nothing.
      await new Promise((r) => setTimeout(r, 2000));
      expect(events.map((e) => [e.type, e.server.name, e.server.meta?.memberName])).toEqual([['join', m1!.endpoint, 'm1']]);
    } finally {
      stop();
      await backend.close();
    }
  }, 20_000);

  it('keeps full-syncing through endpoints whose members advertise unreachable URLs, never adding those URLs', async () => {
    const [, m2, m3] = cluster.members;
    const prefix = '/t-poll-agent';
    const agent = startTestAgent({ endpoints: [m2!.endpoint, m3!.endpoint], node: 'nat', prefix, intervalMs: 500 });
    try {
      agent.registry.register(service('web-1'));
      const seen = new Set<string>();
      const sample = (): void => {
        for (const s of agent.servers.servers()) seen.add(s.name);
      };
      await until(() => {
        sample();
        return agent.syncer.stats().fullSyncs >= 5;
      }, 20_000, 'five full syncs');
      await waitConverged(admin, agent, prefix, 10_000);
      sample();
      expect(agent.syncer.stats().fullSyncFailures).toBe(0);
      expect(seen.has(m2!.advertised)).toBe(false);
      expect(seen.has(m3!.advertised)).toBe(false);
      const names = agent.servers.servers().map((s) => s.name);
      expect(names).toEqual(expect.arrayContaining([m2!.endpoint, m3!.endpoint]));
    } finally {
      await agent.stop();
    }
  }, 40_000);

  it('uses exactly the endpoints given when pollMembers is false', async () => {
    const [, m2] = cluster.members;
    const backend = createEtcdBackend({ endpoints: [m2!.endpoint], prefix: '/t-poll', callTimeout: 500, pollMembers: false, pollMembersInterval: 100 });
    const events: MembershipEvent[] = [];
    const stop = backend.watchMembers((e) => events.push(e));
    try {
      await new Promise((r) => setTimeout(r, 1000));
      expect(events).toEqual([]);
      expect(backend.openMembers()).toEqual([]); // not even a connection was opened for it
    } finally {
      stop();
      await backend.close();
    }
  }, 10_000);
});
