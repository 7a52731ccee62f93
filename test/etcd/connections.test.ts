// How many connections a fleet of agents holds to each member of a real 3-member
// cluster (client ports 25561-25563), with and without the idle close of member
// clients. Time is scaled down 24×: rebalances every 5-7.5 s instead of 120-180 s,
// idle close after 5.3 s instead of 127 s — the same ratio as the defaults. Counted
// as open member clients: in one process grpc-js shares a TCP connection between
// channels to the same address, but each agent of a real fleet is its own process,
// where each open client is one connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdCluster, etcdAvailable } from '../helpers/etcdCluster.js';
import { service, startTestAgent, type TestAgent } from '../helpers/etcdAgent.js';

const run = etcdAvailable();
const AGENTS = 30;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!run)('connections per member across a fleet (real cluster)', () => {
  let cluster: EtcdCluster;

  beforeAll(async () => {
    cluster = new EtcdCluster({ basePort: 25561, inMemory: true });
    await cluster.start();
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 30_000);

  /** Runs AGENTS agents for `runMs`, sampling open member clients every second after `warmupMs`. */
  async function fleet(idleCloseMs: number | undefined, runMs: number, warmupMs: number) {
    const agents: TestAgent[] = [];
    const samples: number[][] = [];
    const maxPerAgent: number[] = [];
    try {
      for (let i = 0; i < AGENTS; i++) {
        const agent = startTestAgent({ endpoints: cluster.endpoints, node: `fleet-${i}`, prefix: '/t-conn', minReuseDurationMs: 5000, sessionTtlMs: 6000, ...(idleCloseMs === undefined ? {} : { idleCloseMs }) });
        agent.registry.register(service(`s-${i}`));
        agents.push(agent);
      }
      const started = Date.now();
      while (Date.now() - started < runMs) {
        await sleep(1000);
        if (Date.now() - started < warmupMs) continue;
        const perMember = cluster.endpoints.map((e) => agents.filter((a) => a.backend.openMembers().includes(e)).length);
        samples.push(perMember);
        maxPerAgent.push(Math.max(...agents.map((a) => a.backend.openMembers().length)));
      }
    } finally {
      for (const a of agents) await a.stop();
    }
    const mean = (rows: number[][]): number => rows.reduce((n, r) => n + r.reduce((x, y) => x + y, 0), 0) / (rows.length * cluster.members.length);
    return { perMember: mean(samples), maxPerAgent: Math.max(...maxPerAgent), last: samples[samples.length - 1] };
  }

  it('holds about one connection per agent with the idle close, and one to every member without it', async () => {
    const without = await fleet(2 ** 31 - 1, 40_000, 25_000);
    const withClose = await fleet(5300, 40_000, 25_000);
    console.info(
      `[figure] ${AGENTS} agents, 3 members, rebalance every 5-7.5 s, sampled 25-40 s after start: ` +
        `without idle close ${without.perMember.toFixed(1)} open clients per member, ` +
        `with idle close after 5.3 s ${withClose.perMember.toFixed(1)} per member, at most ${withClose.maxPerAgent} members per agent; last samples ${JSON.stringify(without.last)} vs ${JSON.stringify(withClose.last)}`,
    );
    // Without the close, rebalances leave every agent connected to (nearly) every member.
    expect(without.perMember).toBeGreaterThan(AGENTS * 0.8);
    // With it, an agent keeps the member it uses and, for up to idleCloseMs, those it just
    // left (a rebalance can come sooner than the close, so briefly 3): under 2 on average.
    expect(withClose.perMember).toBeLessThan((AGENTS * 2) / 3);
  }, 180_000);
});
