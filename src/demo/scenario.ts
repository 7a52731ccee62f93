// The demo's scripted scenario, independent of any terminal: several catalog agents
// keep their services registered while a server fails, entries are deleted remotely,
// a server joins (no agent full-syncs for it) and one agent is cut off and comes back. Time comes from the injected clock, so a test can run it fast.
import { createCatalogAgent, type CatalogAgent } from '../catalog/catalogAgent.js';
import { diffCatalog } from '../catalog/registry.js';
import { systemClock, clockNow, sleep } from '../shared/clock.js';
import { createRandom } from '../shared/random.js';
import { scaleFactor } from '../shared/stagger.js';
import { fmt, peakWithin } from './measure.js';
import { DEFAULT_TIMING, type DemoCheck, type DemoOptions, type DemoResult, type DemoTiming, type PhaseResult } from './scenarioTypes.js';

export { DEFAULT_TIMING, fmt, peakWithin };
export type { DemoCheck, DemoOptions, DemoResult, DemoTiming, PhaseResult };

interface Totals {
  fullSyncs: number;
  partialSyncs: number;
  failures: number;
  writes: number;
  failedWrites: number;
}

/** Plays the scenario, stops the agents, and reports every figure and check. Never throws for a failed check. */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { target } = options;
  const clock = options.clock ?? systemClock;
  const timing: DemoTiming = { ...DEFAULT_TIMING, ...options.timing };
  const count = options.agents ?? 6;
  const perAgent = options.servicesPerAgent ?? 5;
  const seed = options.seed ?? 1;
  const say = options.onEvent ?? (() => undefined);
  const now = (): number => clockNow(clock);
  const started = now();

  const agents: CatalogAgent[] = [];
  for (let i = 0; i < count; i++) {
    const node = `agent-${i + 1}`;
    agents.push(
      createCatalogAgent({
        backend: target.backendFor(node),
        node,
        clock,
        random: createRandom(seed * 1_000 + i),
        logger: options.logger,
        inspect: options.inspectorFor?.(node),
        interval: timing.interval,
        serverUpInterval: timing.serverUpInterval,
        retryFailInterval: timing.retryFailInterval,
        sessionTtl: timing.sessionTtl,
        callTimeout: timing.callTimeout,
        pingTimeout: timing.pingTimeout,
        minReuseDuration: timing.minReuseDuration,
        clusterSizeRefresh: timing.clusterSizeRefresh,
      }),
    );
  }
  options.onAgents?.(agents);

  const totals = (): Totals => {
    const t: Totals = { fullSyncs: 0, partialSyncs: 0, failures: 0, writes: 0, failedWrites: 0 };
    for (const a of agents) {
      const s = a.agent.syncer.stats();
      const r = a.registry.stats();
      t.fullSyncs += s.fullSyncs;
      t.partialSyncs += s.partialSyncs;
      t.failures += s.fullSyncFailures + s.partialSyncFailures;
      t.writes += r.puts + r.deletes;
      t.failedWrites += r.failedWrites;
    }
    return t;
  };
  /** Entries that differ between each agent's local catalog and the cluster. */
  const differences = async (): Promise<number> => {
    let n = 0;
    for (const a of agents) {
      const d = diffCatalog(a.registry.services(), await target.readEntries(a.node));
      n += d.missing.length + d.extra.length + d.different.length;
    }
    return n;
  };
  /** Polls `done` until it holds; the elapsed ms, or undefined after `timeoutMs`. */
  const waitUntil = async (done: () => Promise<boolean> | boolean, timeoutMs: number): Promise<number | undefined> => {
    const t0 = now();
    for (;;) {
      if (await done()) return now() - t0;
      if (now() - t0 >= timeoutMs) return undefined;
      await sleep(clock, timing.pollMs).promise;
    }
  };
  const converged = async (): Promise<boolean> => (await differences()) === 0;

  const phases: PhaseResult[] = [];
  const checks: DemoCheck[] = [];
  const check = (name: string, ok: boolean, detail: string): void => {
    checks.push({ name, ok, detail });
    say(`${ok ? '✓' : '✗'} ${name}: ${detail}`);
  };
  const phase = async (name: string, body: () => Promise<number | undefined | null>): Promise<PhaseResult> => {
    options.onPhase?.(name);
    say(`— ${name}`);
    if (timing.phasePause > 0) await sleep(clock, timing.phasePause).promise;
    const before = totals();
    const t0 = now();
    const repairMs = await body();
    const after = totals();
    const result: PhaseResult = {
      name,
      durationMs: now() - t0,
      fullSyncs: after.fullSyncs - before.fullSyncs,
      partialSyncs: after.partialSyncs - before.partialSyncs,
      failures: after.failures - before.failures,
      writes: after.writes - before.writes,
      failedWrites: after.failedWrites - before.failedWrites,
      repairMs,
      lost: await differences(),
    };
    phases.push(result);
    return result;
  };
  const serviceId = (i: number): string => `svc-${String(i).padStart(2, '0')}`;
  const fronts = (): string[] => agents.map((a) => a.agent.servers.findServer()?.name ?? '-');
  const joinReport: DemoResult['join'] = { sawServer: 0, askedForFullSync: 0, periodicFullSyncs: 0, fullSyncAfterReturnMs: undefined };

  try {
    // 1. Steady state: every agent registers its services and converges.
    const steady = await phase('steady state', async () => {
      agents.forEach((a, k) => {
        for (let i = 0; i < perAgent; i++) {
          a.registry.register({ id: serviceId(i), name: `app-${i}`, address: `10.0.${k + 1}.${i + 1}`, port: 8000 + i, tags: ['demo'] });
        }
        a.start();
      });
      const repair = await waitUntil(converged, timing.phaseTimeout);
      await sleep(clock, timing.steadyMs).promise;
      return repair;
    });
    check('steady state converges', steady.repairMs !== undefined && steady.lost === 0, `${count * perAgent} services registered in ${fmt(steady.repairMs)}`);

    // 2. The server most agents use fails while they keep changing their catalogs.
    const counts = new Map<string, number>();
    for (const name of fronts()) counts.set(name, (counts.get(name) ?? 0) + 1);
    const victim = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? '-';
    const users = counts.get(victim) ?? 0;
    const failed = await phase(`server ${victim} fails`, async () => {
      say(`server ${victim} fails (front server of ${users} agent(s)); every agent changes one service and adds one`);
      await target.failServer(victim);
      agents.forEach((a, k) => {
        a.registry.register({ id: serviceId(0), name: 'app-0', address: `10.0.${k + 1}.1`, port: 9000, tags: ['demo', 'changed'] });
        a.registry.register({ id: 'late', name: 'late', address: `10.0.${k + 1}.99`, port: 9999 });
      });
      return waitUntil(async () => fronts().every((f) => f !== victim) && (await converged()), timing.phaseTimeout);
    });
    check('agents fail over', fronts().every((f) => f !== victim), `${users} agent(s) moved off ${victim}`);
    check('nothing lost after the failure', failed.repairMs !== undefined && failed.lost === 0, `repaired in ${fmt(failed.repairMs)}, ${failed.lost} entries differ`);

    // 3. Someone deletes and corrupts entries behind the agents' backs.
    let drifted = 0;
    const drift = await phase('remote deletions', async () => {
      for (let k = 0; k < agents.length; k++) {
        const a = agents[k] as CatalogAgent;
        if (k % 3 === 0 || k % 3 === 1) {
          await target.deleteEntry(a.node, serviceId(1));
          await target.deleteEntry(a.node, serviceId(2));
          drifted += 2;
        } else {
          await target.corruptEntry(a.node, serviceId(3));
          drifted += 1;
        }
      }
      say(`${drifted} entries deleted or corrupted remotely; waiting for anti-entropy`);
      return waitUntil(converged, timing.phaseTimeout);
    });
    check('anti-entropy restores the entries', drift.repairMs !== undefined && drift.lost === 0, `${drifted} entries restored in ${fmt(drift.repairMs)}`);
    check('full syncs write only the differences', drift.writes === drifted, `${drift.writes} writes for ${drifted} damaged entries`);

    // 4. A server joins. Every agent sees it (serverUp), and none asks for a full sync: each
    // trusts its last full sync, and the new server shares the others' store — a full sync
    // would only read back what the agent knows. Partial syncs go on as ever.
    // The stagger window stretches with the cluster size (×1 up to 128 nodes).
    const window = scaleFactor(count) * timing.serverUpInterval;
    const sawJoin = new Set<string>();
    const askedOnJoin = new Set<string>();
    const offs = agents.map((a) =>
      a.agent.servers.on('serverUp', () => {
        sawJoin.add(a.node);
        // The wiring has run by now (it listens first): a pending trigger is one it pulled.
        if (a.agent.syncer.syncFull.pending) askedOnJoin.add(a.node);
      }),
    );
    const join = await phase('a server joins', async () => {
      const name = await target.joinServer();
      say(`server ${name} joins; every agent trusts its last full sync, so none asks for one — each changes a service instead`);
      agents.forEach((a, k) => a.registry.register({ id: 'joined', name: 'joined', address: `10.0.${k + 1}.98`, port: 9998 }));
      await waitUntil(() => sawJoin.size === agents.length, timing.phaseTimeout);
      const repair = await waitUntil(converged, timing.phaseTimeout);
      // Long enough for any full sync a join had asked for to start.
      await sleep(clock, window + 1_000).promise;
      return repair;
    });
    for (const off of offs) off();
    joinReport.sawServer = sawJoin.size;
    joinReport.askedForFullSync = askedOnJoin.size;
    joinReport.periodicFullSyncs = join.fullSyncs;
    check('every agent sees the new server', sawJoin.size === agents.length, `${sawJoin.size}/${agents.length} got serverUp`);
    check(
      'no fleet-wide full sync after the join',
      sawJoin.size > 0 && askedOnJoin.size === 0,
      `${askedOnJoin.size}/${agents.length} asked for one (Consul: ${agents.length}/${agents.length}); ${join.fullSyncs} periodic full sync(s) ran meanwhile`,
    );
    check('partial syncs go on', join.partialSyncs >= agents.length && join.repairMs !== undefined && join.lost === 0, `${join.partialSyncs} partial syncs, changes landed in ${fmt(join.repairMs)}`);

    // 5. One agent is cut off from every server, then comes back: it may have missed
    // changes, so coming online asks for a full sync (staggered like any other).
    const loner = agents[0] as CatalogAgent;
    let backAt = 0;
    let fullAfterReturn: number | undefined;
    let askedOnReturn = false;
    const offLoner = [
      loner.agent.syncer.on('transition', (t) => {
        if (t.to === 'fullSync' && backAt > 0 && fullAfterReturn === undefined) fullAfterReturn = now() - backAt;
      }),
      loner.agent.servers.on('online', () => {
        if (backAt > 0 && loner.agent.syncer.syncFull.pending) askedOnReturn = true;
      }),
    ];
    let wentOffline = false;
    const cut = await phase(`${loner.node} is cut off`, async () => {
      await target.cutOff(loner.node);
      say(`${loner.node} is cut off from every server; it changes a service meanwhile`);
      loner.registry.register({ id: 'alone', name: 'alone', address: '10.0.1.97', port: 9997 });
      // A rebalance finds no server answering: the agent is offline.
      const offline = await waitUntil(() => (loner.agent.servers.requestRebalance(), loner.agent.servers.isOffline()), timing.phaseTimeout);
      wentOffline = offline !== undefined;
      await target.reconnect(loner.node);
      backAt = now();
      say(`${loner.node} can reach the servers again; its next rebalance brings it online`);
      await waitUntil(() => (loner.agent.servers.requestRebalance(), !loner.agent.servers.isOffline() && fullAfterReturn !== undefined), timing.phaseTimeout);
      // Repaired: its change made while cut off is in the cluster, timed from the reconnection.
      return (await waitUntil(converged, timing.phaseTimeout)) === undefined ? undefined : now() - backAt;
    });
    for (const off of offLoner) off();
    joinReport.fullSyncAfterReturnMs = fullAfterReturn;
    check(`${loner.node} goes offline while cut off`, wentOffline, wentOffline ? 'no server answered its rebalance' : 'it never went offline');
    check(
      `${loner.node} full-syncs when it comes back`,
      askedOnReturn && fullAfterReturn !== undefined,
      `coming online ${askedOnReturn ? 'asked for' : 'did not ask for'} a full sync; one started ${fmt(fullAfterReturn)} after it could reach the servers again`,
    );
    check('nothing lost after the reconnection', cut.repairMs !== undefined && cut.lost === 0, `${cut.lost} entries differ`);
    const lost = phases.reduce((n, p) => n + p.lost, 0);
    check('entries lost: 0', lost === 0, `${lost} entries lost over all phases`);
  } catch (err) {
    check('scenario ran to the end', false, String((err as Error | undefined)?.message ?? err));
  }
  try {
    await options.beforeStop?.(checks);
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
  }
  return { phases, checks, join: joinReport, ok: checks.every((c) => c.ok), totalMs: now() - started };
}
