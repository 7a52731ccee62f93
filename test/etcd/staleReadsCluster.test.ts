// Stale reads on a real 3-member cluster (client ports 25661-25663): which member
// serves a fleet's full-sync reads with stale reads off and on, counted from each
// member's own /metrics (Range RPCs it handled) and from the raft traffic between the
// members (ReadIndex requests to the leader); that a linearizable read needs the
// leader and a stale one does not (the leader frozen); and that a follower made to
// lag (cut off from raft messages by a peer proxy) never hands a full-sync read older
// than the agent's own last write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { EtcdCluster, etcdAvailable, type Member } from '../helpers/etcdCluster.js';
import { service, startTestAgent, type TestAgent } from '../helpers/etcdAgent.js';
import { until } from '../helpers/index.js';
import { MSG_READ_INDEX } from '../helpers/raftStream.js';
import { createEtcdBackend } from '../../src/etcd/index.js';
import { prefixEnd } from '../../src/etcd/paging.js';
import { isTimeoutError } from '../../src/shared/errors.js';

const run = etcdAvailable();
const AGENTS = 30;
const WINDOW_MS = 30_000;
/** The target: the leader serves at most its fair share of the reads plus 10 points. */
const LEADER_SHARE_BOUND = 1 / 3 + 0.1;
/** Rounds of the lagging-follower test (each: cut the follower off, write, read, release). */
const LAG_ROUNDS = 6;
const never = new AbortController().signal;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Range RPCs each member has handled so far, from its /metrics (gRPC server counter, every status code). */
async function rangesHandled(members: Member[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const m of members) {
    const text = await (await fetch(`http://${m.directEndpoint}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    let total = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith('grpc_server_handled_total{') || !line.includes('grpc_method="Range"')) continue;
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    counts.set(m.name, total);
  }
  return counts;
}

describe.skipIf(!run)('stale reads (real cluster)', () => {
  let cluster: EtcdCluster;

  beforeAll(async () => {
    // A long election timeout: freezing the leader for a few seconds must not elect another.
    cluster = new EtcdCluster({ basePort: 25661, inMemory: true, peerProxy: true, extraArgs: ['--election-timeout', '8000'] });
    await cluster.start();
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 30_000);

  /** AGENTS agents, each on its own backend; Range RPCs per member over WINDOW_MS once they have converged. */
  async function fleet(staleReads: boolean, prefix: string) {
    const agents: TestAgent[] = [];
    try {
      for (let i = 0; i < AGENTS; i++) {
        const agent = startTestAgent({ endpoints: cluster.endpoints, node: `reader-${i}`, prefix, minReuseDurationMs: 2000, staleReads });
        agent.registry.register(service(`a-${i}`));
        agent.registry.register(service(`b-${i}`));
        agents.push(agent);
      }
      await until(() => agents.every((a) => a.registry.stats().fullSyncPasses >= 2 && a.registry.dirtyIds().length === 0), 60_000, 'every agent converged');
      const leader = await cluster.leader();
      const start = await rangesHandled(cluster.members);
      const readIndex0 = cluster.raftMessages(MSG_READ_INDEX);
      const statsAt = (): { stale: number; behind: number; linearizable: number } =>
        agents.reduce((sum, a) => {
          const s = a.backend.readStats();
          return { stale: sum.stale + s.stale, behind: sum.behind + s.behind, linearizable: sum.linearizable + s.linearizable };
        }, { stale: 0, behind: 0, linearizable: 0 });
      const stats0 = statsAt();
      const passes0 = agents.reduce((n, a) => n + a.registry.stats().fullSyncPasses, 0);
      await sleep(WINDOW_MS);
      const end = await rangesHandled(cluster.members);
      const readIndex = cluster.raftMessages(MSG_READ_INDEX) - readIndex0;
      const stats1 = statsAt();
      const passes = agents.reduce((n, a) => n + a.registry.stats().fullSyncPasses, 0) - passes0;
      expect(await cluster.leader(), 'no election during the window').toBe(leader);
      const perMember = Object.fromEntries(cluster.members.map((m) => [m.name, (end.get(m.name) ?? 0) - (start.get(m.name) ?? 0)]));
      const total = Object.values(perMember).reduce((a, b) => a + b, 0);
      return {
        leader,
        perMember,
        total,
        leaderShare: (perMember[leader] ?? 0) / total,
        readIndex,
        /** Reads the leader took part in: those it served, plus a ReadIndex request for each (batch of) linearizable reads on a follower. */
        leaderInvolved: Math.min(1, ((perMember[leader] ?? 0) + readIndex) / total),
        passes,
        reads: { stale: stats1.stale - stats0.stale, behind: stats1.behind - stats0.behind, linearizable: stats1.linearizable - stats0.linearizable },
      };
    } finally {
      for (const a of agents) await a.stop();
    }
  }

  it('spreads the fleet\'s full-sync reads over the members: the leader serves at most 1/3 + 10 % of them', async () => {
    const off = await fleet(false, '/t-stale-off');
    const on = await fleet(true, '/t-stale-on');
    const describeRun = (r: typeof on): string =>
      `${r.total} Range RPCs over ${r.passes} full syncs, per member ${JSON.stringify(r.perMember)} (leader ${r.leader}: ${(r.leaderShare * 100).toFixed(1)} %), ` +
      `ReadIndex requests to the leader ${r.readIndex} (leader involved in ${(r.leaderInvolved * 100).toFixed(1)} % of the reads), ` +
      `reads stale ${r.reads.stale} / behind→linearizable ${r.reads.behind} / linearizable ${r.reads.linearizable}`;
    console.info(`[figure] ${AGENTS} agents, 3 members, ${WINDOW_MS / 1000} s — staleReads off: ${describeRun(off)}; staleReads on: ${describeRun(on)}`);
    // The members' own counters saw the reads (not only our bookkeeping).
    expect(on.total).toBeGreaterThanOrEqual(on.passes);
    // Off: every read linearizable; a follower asked the leader (ReadIndex, counted on the
    // wire between the members) before answering, so the leader took part in nearly all.
    expect(off.reads).toEqual({ stale: 0, behind: 0, linearizable: off.reads.linearizable });
    expect(off.readIndex).toBeGreaterThan(0);
    expect(off.leaderInvolved).toBeGreaterThan(LEADER_SHARE_BOUND);
    // On: reads are served by the member each agent is connected to; the leader serves its share.
    expect(on.reads.stale).toBeGreaterThan(0);
    expect(on.leaderShare).toBeLessThanOrEqual(LEADER_SHARE_BOUND);
    // Reads the leader took part in with stale reads on: those it served, plus the ReadIndex
    // requests of any fallback.
    expect(on.leaderInvolved).toBeLessThanOrEqual(LEADER_SHARE_BOUND);
  }, 240_000);

  it('serves a stale read from a follower while the leader is frozen; a linearizable one waits for the leader', async () => {
    const leader = await cluster.leader();
    const follower = cluster.members.find((m) => m.name !== leader) as Member;
    const stale = createEtcdBackend({ endpoints: [follower.endpoint], prefix: '/t-probe', callTimeout: 1500, pollMembers: false });
    const linear = createEtcdBackend({ endpoints: [follower.endpoint], prefix: '/t-probe', callTimeout: 1500, pollMembers: false, staleReads: false });
    const [viaFollower] = stale.initialServers();
    try {
      // Connect first, so the frozen window measures the read, not the dial.
      await stale.client(viaFollower!).countNodes(never);
      await linear.client(viaFollower!).countNodes(never);
      cluster.freeze(leader);
      let outcomes: string[];
      try {
        // Whichever deadline ends the read first — ours, gRPC's, or the member's own
        // ReadIndex wait bounded by the propagated deadline — it did not answer.
        const outcome = (p: Promise<unknown>): Promise<string> => p.then(() => 'answered', (err: unknown) => (isTimeoutError(err) || /deadline exceeded/i.test(String(err)) ? 'timed out' : String(err)));
        outcomes = await Promise.all([outcome(stale.client(viaFollower!).listServices('probe', never)), outcome(linear.client(viaFollower!).listServices('probe', never))]);
      } finally {
        cluster.thaw(leader);
      }
      expect(outcomes).toEqual(['answered', 'timed out']);
    } finally {
      await stale.close();
      await linear.close();
    }
  }, 60_000);

  it('never lets a full-sync read through a lagging follower be older than the agent\'s own last write', async () => {
    const leader = cluster.member(await cluster.leader());
    const follower = cluster.members.find((m) => m.name !== leader.name) as Member;
    const prefix = '/t-lag';
    const backend = createEtcdBackend({ endpoints: cluster.endpoints, prefix, callTimeout: 3000, pollMembers: false });
    const servers = backend.initialServers();
    const viaLeader = servers.find((s) => s.name === leader.endpoint)!;
    const viaFollower = servers.find((s) => s.name === follower.endpoint)!;
    // A raw serializable read of the follower: what a full sync without the floor would act on.
    const raw = new Etcd3({ hosts: `http://${follower.directEndpoint}`, defaultCallOptions: (c) => (c.isStream ? {} : { deadline: Date.now() + 3000 }) });
    const nodePrefix = Buffer.from(backend.keys.servicesPrefix('lag'));
    const rawIds = async (): Promise<string[]> => {
      const res = await raw.kv.range({ key: nodePrefix, range_end: prefixEnd(nodePrefix), serializable: true, keys_only: true });
      return res.kvs.map((kv) => decodeURIComponent(kv.key.subarray(nodePrefix.length).toString())).sort();
    };
    const session = await backend.openSession(viaLeader, 'lag', 3000, never);
    const writer = backend.client(viaLeader);
    const reader = backend.client(viaFollower);
    const rounds: string[] = [];
    try {
      await reader.listServices('lag', never); // connect the follower's client first
      await rawIds();
      let expected: string[] = [];
      for (let round = 0; round < LAG_ROUNDS; round++) {
        await cluster.isolate(follower.name);
        let listing: Promise<string[]>;
        let rawGot: string[];
        try {
          // Through the leader (it commits with the third member): a put, or a transaction
          // putting one entry and deleting the previous one.
          if (round % 2 === 0) {
            await writer.putService('lag', service(`s-${round}`), session.id, never);
            expected = [...expected, `s-${round}`].sort();
          } else {
            await writer.writeBatch!('lag', [{ op: 'put', service: service(`s-${round}`) }, { op: 'delete', id: `s-${round - 1}` }], session.id, never);
            expected = [...expected.filter((id) => id !== `s-${round - 1}`), `s-${round}`].sort();
          }
          rawGot = await rawIds();
          listing = reader.listServices('lag', never).then((list) => list.map((s) => s.id));
          // The stale answer is in and found behind; the linearizable read waits for the follower to hear from the leader.
          await sleep(300);
        } finally {
          await cluster.release(follower.name);
        }
        const got = await listing;
        const same = (a: string[]): boolean => JSON.stringify(a) === JSON.stringify(expected);
        rounds.push(`${same(rawGot) ? 'raw read current' : 'raw read behind'}, ${same(got) ? 'own writes seen' : `STALE ${JSON.stringify(got)} ≠ ${JSON.stringify(expected)}`}`);
      }
      const stats = backend.readStats();
      console.info(`[figure] lagging follower: ${JSON.stringify(rounds)}; the backend's reads: stale ${stats.stale}, behind→linearizable ${stats.behind}`);
      // Every round the follower really lagged (a read without the floor would have missed
      // the agent's own write), and not one listing a full sync acts on was older than it.
      expect(rounds).toEqual(Array.from({ length: LAG_ROUNDS }, () => 'raw read behind, own writes seen'));
      expect(stats.behind).toBe(LAG_ROUNDS);
    } finally {
      raw.close();
      await session.close();
      await backend.close();
    }
  }, 120_000);
});
