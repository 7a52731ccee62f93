// The simulator's scenarios: each sets up a fleet, schedules its events (joins,
// partitions, workloads), runs it and puts the seed's claim beside the measured
// value. Claims come from Consul's server manager commit notes (connection age, 10K
// rebalance), Consul agent/router/manager.go and Nomad client/rpc_proxy/rpc_proxy.go
// (rebalance constants) and Consul agent/ae/ae.go (the syncer's log2 stagger).
import { scaleFactor } from '../shared/stagger.js';
import { claimRow, formatNumber, type ClaimRow } from './claims.js';
import type { SeriesReport } from './metrics.js';
import type { AgentTuning } from './fleet.js';
import { simulate, type SimConfig, type SimOptions, type SimRun, type SimSummary } from './simulator.js';

/** What the CLI (or a test) may override. Absent values take the scenario's defaults. */
export interface ScenarioParams {
  seed: number;
  agents?: number;
  servers?: number;
  durationMs?: number;
}

export interface ScenarioRunReport {
  label: string;
  summary: SimSummary;
  series: SeriesReport;
  /** Simulated seconds of interest (joins, heals), for chart annotations. */
  marks: { label: string; tSec: number }[];
}

export interface ScenarioResult {
  scenario: string;
  description: string;
  params: { seed: number; agents: number; servers: number; durationMs: number };
  claims: ClaimRow[];
  runs: ScenarioRunReport[];
}

export interface Scenario {
  name: string;
  description: string;
  defaults: { agents: number; servers: number; durationMs?: number };
  run(params: ScenarioParams, hooks?: ScenarioHooks): Promise<ScenarioResult>;
}

export interface ScenarioHooks {
  /** Called before each simulation run of the scenario (a scenario may run several). */
  onRunStart?: (label: string, config: SimConfig) => void;
  /** Called after each simulation run, with its merged result (and per-worker heap peaks). */
  onRunEnd?: (label: string, run: SimRun) => void;
  /** How every run executes (workers, worker heap, progress); results do not depend on it. */
  sim?: Omit<SimOptions, 'probe'>;
}

const SEC = 1000;
const MIN = 60 * SEC;
/** Consul's anti-entropy interval (agent/ae default: 1 minute). */
const SYNC_INTERVAL_MS = 60 * SEC;
const MIN_REUSE_MS = 120 * SEC;
const MAX_REUSE_MS = 180 * SEC;
const CONNS_PER_SEC_PER_SERVER = 64;
const SERVER_UP_INTERVAL_MS = 3 * SEC;
/** Mean time between local changes of one agent in the background workload. */
const CHANGE_INTERVAL_MS = 10 * MIN;

const BASE_TUNING: AgentTuning = { syncIntervalMs: SYNC_INTERVAL_MS };

/** The longest an agent waits between rebalances with `servers` known: jitter bound or the rate cap. */
function rebalanceIntervalMs(agents: number, servers: number): number {
  return Math.max(MAX_REUSE_MS, (1000 * agents) / (CONNS_PER_SEC_PER_SERVER * servers));
}

/** "10,000 agents × 5 servers × 60 min": the run's own size, for descriptions. */
function sized(p: { agents: number; servers: number; durationMs: number }): string {
  return `${p.agents.toLocaleString('en-US')} agents × ${p.servers} servers × ${formatNumber(p.durationMs / MIN)} min`;
}

function resolve(params: ScenarioParams, defaults: Scenario['defaults'], durationMs: number) {
  return {
    seed: params.seed,
    agents: params.agents ?? defaults.agents,
    servers: params.servers ?? defaults.servers,
    durationMs: params.durationMs ?? durationMs,
  };
}

async function runOne(label: string, config: SimConfig, hooks: ScenarioHooks | undefined): Promise<SimRun> {
  hooks?.onRunStart?.(label, config);
  const run = await simulate(config, hooks?.sim ?? {});
  hooks?.onRunEnd?.(label, run);
  return run;
}

function report(label: string, run: SimRun, marks: ScenarioRunReport['marks'] = []): ScenarioRunReport {
  return { label, summary: run.summary, series: run.series, marks };
}

/** Sum over servers of a rate series' counts in buckets [from, to), divided by servers × seconds. */
function meanRatePerServer(run: SimRun, series: 'newConnsPerSec' | 'rebalancesPerSec', fromMs: number, toMs: number, servers: number): number {
  const r = run.recorder;
  const from = Math.ceil(fromMs / r.bucketMs);
  const to = Math.floor(toMs / r.bucketMs);
  if (to <= from) return NaN;
  let total = 0;
  for (let s = 0; s < servers; s++) total += r.total(series, s, from, to);
  return total / servers / (((to - from) * r.bucketMs) / 1000);
}

// --- steady -----------------------------------------------------------------------

/**
 * A fleet in equilibrium with default tuning: agents start spread over one rebalance
 * interval, and measurements begin once every agent has rebalanced at least twice.
 */
function equilibrium(p: { seed: number; agents: number; servers: number; durationMs: number }): {
  intervalMs: number;
  warmupMs: number;
  config: SimConfig;
} {
  const intervalMs = rebalanceIntervalMs(p.agents, p.servers);
  const warmupMs = Math.min(p.durationMs / 2, intervalMs + MIN_REUSE_MS + intervalMs);
  const config: SimConfig = {
    seed: p.seed,
    agents: p.agents,
    servers: p.servers,
    durationMs: p.durationMs,
    warmupMs,
    startSpreadMs: intervalMs,
    tuning: BASE_TUNING,
    changeIntervalMs: CHANGE_INTERVAL_MS,
  };
  return { intervalMs, warmupMs, config };
}

const steady: Scenario = {
  name: 'steady',
  description:
    'A fleet in equilibrium: every agent rebalances every 120–180 s (or slower when the 64 conns/s/server cap binds). Measures new connections per server per second and how long a full reshuffle takes.',
  defaults: { agents: 10_000, servers: 5, durationMs: 60 * MIN },
  async run(params, hooks) {
    const p = resolve(params, this.defaults, this.defaults.durationMs ?? 60 * MIN);
    const { intervalMs, warmupMs, config } = equilibrium(p);
    const run = await runOne('steady', { ...config, timeline: [{ atMs: warmupMs, op: 'markRebalances' }] }, hooks);
    const fleet = run.fleet;
    // Consul agent/router/manager.go, Nomad client/rpc_proxy/rpc_proxy.go: "10K … 5x servers … averages out to ~13 new connections … per server per second"
    // = agents / servers / 150 s, until the 64/s cap takes over.
    const claimPerSec = Math.min(CONNS_PER_SEC_PER_SERVER, p.agents / p.servers / 150);
    const seedSize = p.agents === 10_000 && p.servers === 5;
    const source = seedSize
      ? 'Consul agent/router/manager.go clientRPCJitterFraction: 10K agents, 5 servers → ~13/s/server'
      : 'min(64, N / S / 150 s): the arithmetic of Consul agent/router/manager.go clientRPCJitterFraction at this run\'s N, S';
    const basis = seedSize ? ('upstream' as const) : ('formula' as const);
    const claims = [
      claimRow('steady', 'connections recycled/s/server (every rebalance)', '1/s', claimPerSec,
        meanRatePerServer(run, 'rebalancesPerSec', warmupMs, p.durationMs, p.servers), source, { basis }),
      claimRow('steady', 'new connections/s/server (front server changed)', '1/s', claimPerSec,
        meanRatePerServer(run, 'newConnsPerSec', warmupMs, p.durationMs, p.servers), source, { basis }),
      claimRow('steady', 'time until every agent rebalanced once', 'min',
        seedSize ? 3 : intervalMs / MIN,
        Number.isNaN(fleet.allRebalancedAt) ? null : (fleet.allRebalancedAt - warmupMs) / MIN,
        seedSize ? 'Consul server manager commit notes: "For 10K node clusters it will take ~3min … to rebalance"' : 'max(180 s, N / (64·S)) from the constants of Consul agent/router/manager.go',
        { basis },
      ),
    ];
    const description = `${sized(p)}: a fleet in equilibrium, every agent rebalancing every ${formatNumber(intervalMs / SEC)} s at most (the 120–180 s reuse jitter, or N/(64·S) when the cap binds); measured from ${formatNumber(warmupMs / MIN)} min.`;
    return { scenario: 'steady', description, params: p, claims, runs: [report('steady', run)] };
  },
};

// --- rebalance-100k ---------------------------------------------------------------------

const rebalance100k: Scenario = {
  name: 'rebalance-100k',
  description:
    '100,000 agents on 5 servers: the 64 conns/s/server cap stretches every agent\'s rebalance interval to N/(64·S) = 312.5 s. Measures the time until every agent has moved once, and the rebalance rate per server.',
  defaults: { agents: 100_000, servers: 5, durationMs: 30 * MIN },
  async run(params, hooks) {
    const p = resolve(params, this.defaults, this.defaults.durationMs ?? 30 * MIN);
    const intervalMs = rebalanceIntervalMs(p.agents, p.servers);
    const markAt = Math.min(p.durationMs / 2, intervalMs + MIN_REUSE_MS + 10 * SEC);
    const config: SimConfig = {
      seed: p.seed,
      agents: p.agents,
      servers: p.servers,
      durationMs: p.durationMs,
      warmupMs: markAt,
      startSpreadMs: intervalMs,
      tuning: BASE_TUNING,
      changeIntervalMs: CHANGE_INTERVAL_MS,
    };
    const run = await runOne('rebalance-100k', { ...config, timeline: [{ atMs: markAt, op: 'markRebalances' }] }, hooks);
    const fleet = run.fleet;
    const seedCase = p.agents === 100_000 && p.servers === 5;
    const claims = [
      claimRow('rebalance-100k', 'time until every agent rebalanced once', 'min',
        seedCase ? 5 : intervalMs / MIN,
        Number.isNaN(fleet.allRebalancedAt) ? null : (fleet.allRebalancedAt - markAt) / MIN,
        seedCase
          ? 'Consul agent/router/manager.go newRebalanceConnsPerSecPerServer: "100K … 5x servers, it will take ~5min for all servers to rebalance"'
          : 'max(180 s, N / (64·S)) from the constants of Consul agent/router/manager.go', { basis: seedCase ? 'upstream' : 'formula' }),
      claimRow('rebalance-100k', 'connections recycled/s/server', '1/s',
        Math.min(CONNS_PER_SEC_PER_SERVER, p.agents / p.servers / 150),
        meanRatePerServer(run, 'rebalancesPerSec', markAt, p.durationMs, p.servers),
        seedCase
          ? 'Consul agent/router/manager.go: the cap of 64 new connections/s/server "begins to take effect" above ~48K agents on 5 servers'
          : 'min(64, N / S / 150 s) from the constants of Consul agent/router/manager.go', { basis: seedCase ? 'upstream' : 'formula' }),
    ];
    const description = `${sized(p)}: the ${CONNS_PER_SEC_PER_SERVER} conns/s/server cap stretches every agent's rebalance interval to max(180 s, N/(64·S)) = ${formatNumber(intervalMs / SEC)} s; measured from ${formatNumber(markAt / MIN)} min.`;
    return { scenario: 'rebalance-100k', description, params: p, claims, runs: [report('rebalance-100k', run, [{ label: 'mark', tSec: markAt / 1000 }])] };
  },
};

// --- partition-heal -------------------------------------------------------------------------

/**
 * All but a handful of agents know only server 0 (the others were reaped during a
 * partition), so their rebalance interval is N / 64 s. The partition then heals: the
 * other servers rejoin every view, and the fleet spreads out again as timers expire.
 */
function partitionHeal(name: string, agents: number): Scenario {
  return {
    name,
    description: `${agents === 100_000 ? '99,995 of 100,000' : 'All but 5 of N'} agents fixated on one server after a partition: with one known server their rebalance interval is N/64 s. After the heal, measures the time until every fixated agent has rebalanced and until the spread is within 10 % of even.`,
    defaults: { agents, servers: 5 },
    async run(params, hooks) {
      const n = params.agents ?? agents;
      const free = n > 50 ? 5 : 1;
      const fixatedIntervalMs = rebalanceIntervalMs(n, 1);
      const healAt = fixatedIntervalMs + MIN_REUSE_MS + 10 * SEC;
      const p = resolve(params, this.defaults, healAt + fixatedIntervalMs + 5 * MIN);
      const servers = p.servers;
      // Agents [free, n) are fixated: they know only server 0 and are cut off from the others.
      const fixated = { from: free, to: n };
      const others = Array.from({ length: servers - 1 }, (_, i) => i + 1);
      const config: SimConfig = {
        seed: p.seed,
        agents: n,
        servers,
        durationMs: p.durationMs,
        warmupMs: healAt,
        // Timers spread over one fixated interval: the steady state of the minority.
        startSpreadMs: fixatedIntervalMs,
        initialServers: [{ agents: fixated, servers: [0] }],
        tuning: BASE_TUNING,
        changeIntervalMs: CHANGE_INTERVAL_MS,
        timeline: [
          { atMs: 0, op: 'group', group: 1, agents: fixated },
          { atMs: 0, op: 'partition', group: 1, servers: others },
          { atMs: healAt, op: 'heal' },
          ...others.map((s) => ({ atMs: healAt, op: 'join' as const, server: s, agents: fixated })),
          { atMs: healAt, op: 'markRebalances', agents: fixated },
        ],
      };
      const run = await runOne(name, config, hooks);
      const convergedAt = firstEvenSampleAt(run, healAt, servers, 0.1);
      const fleet = run.fleet;
      // The seed's arithmetic is N / 64 s (one known server); away from its two data
      // points the 120–180 s reuse jitter is the floor.
      const upstream = servers === 5 && (n === 100_000 || n === 10_000);
      const claimMin = upstream ? (n === 100_000 ? 26 : 2.6) : rebalanceIntervalMs(n, 1) / MIN;
      const source =
        !upstream
          ? 'Consul agent/router/manager.go arithmetic N / 64 s, floored at the 180 s reuse jitter'
          : n === 100_000
          ? 'Consul agent/router/manager.go: "If 99,995 agents are in the minority talking to only one server, it will take ~26min for all servers to rebalance"'
          : n === 10_000
            ? 'Consul agent/router/manager.go: "A 10K cluster in the same scenario will take ~2.6min to rebalance"'
            : 'Consul agent/router/manager.go: "A 10K cluster in the same scenario will take ~2.6min to rebalance"';
      const basis = upstream ? ('upstream' as const) : ('formula' as const);
      const claims = [
        claimRow(name, 'time until every fixated agent rebalanced', 'min', claimMin,
          Number.isNaN(fleet.allRebalancedAt) ? null : (fleet.allRebalancedAt - healAt) / MIN, source, { basis }),
        claimRow(name, 'time until every server within 10 % of an even spread', 'min', claimMin,
          Number.isNaN(convergedAt) ? null : (convergedAt - healAt) / MIN, source, { basis }),
      ];
      return {
        scenario: name,
        description: `${(n - free).toLocaleString('en-US')} of ${n.toLocaleString('en-US')} agents on ${servers} servers fixated on one server after a partition: with one known server their rebalance interval is max(180 s, N/64 s) = ${formatNumber(fixatedIntervalMs / SEC)} s. Heal at ${formatNumber(healAt / MIN)} min; measures the time until every fixated agent has rebalanced and until the spread is within 10 % of even.`,
        params: { ...p, agents: n },
        claims,
        runs: [report(name, run, [{ label: 'heal', tSec: healAt / 1000 }])],
      };
    },
  };
}

/** End of the first bucket at or after `fromMs` whose sample has every server within `tolerance` of an even spread (NaN: none). */
function firstEvenSampleAt(run: SimRun, fromMs: number, servers: number, tolerance: number): number {
  const r = run.recorder;
  const even = run.config.agents / servers;
  for (let b = 0; b < r.buckets; b++) {
    const end = Math.min(run.config.durationMs, (b + 1) * r.bucketMs);
    if (end < fromMs) continue;
    let worst = 0;
    for (let s = 0; s < servers; s++) worst = Math.max(worst, Math.abs(r.agentsAt(s, b) - even) / even);
    if (worst <= tolerance) return end;
  }
  return NaN;
}

// --- server-join --------------------------------------------------------------------------

/** Peak, over servers and the window's buckets, of full syncs per second at one server. */
function peakFullSyncs(run: SimRun, fromMs: number, toMs: number, servers: number): number {
  const r = run.recorder;
  let peak = 0;
  for (let s = 0; s < servers; s++) peak = Math.max(peak, r.peakPerSec('fullSyncsPerSec', s, r.bucketOf(fromMs), r.bucketOf(toMs) + 1));
  return peak;
}

/** Mean over servers and over [from, to) of full syncs per second at one server. */
function meanFullSyncRate(run: SimRun, fromMs: number, toMs: number, servers: number): number {
  const r = run.recorder;
  const from = r.bucketOf(fromMs);
  const to = Math.max(from + 1, Math.ceil(toMs / r.bucketMs));
  let total = 0;
  for (let s = 0; s < servers; s++) total += r.total('fullSyncsPerSec', s, from, to);
  return total / servers / (((to - from) * r.bucketMs) / 1000);
}

const serverJoin: Scenario = {
  name: 'server-join',
  description:
    'A server joins a settled fleet: every agent gets serverUp and asks for a full sync after stagger(serverUpInterval). With the log2 scale the herd spreads over scaleFactor(N)·3 s; without it (syncer clusterSize 1, Consul before the scale) over 3 s.',
  defaults: { agents: 8192, servers: 5, durationMs: 8 * MIN },
  async run(params, hooks) {
    const p = resolve(params, this.defaults, this.defaults.durationMs ?? 8 * MIN);
    const joinAt = Math.min(p.durationMs / 2, 5 * MIN);
    const f = scaleFactor(p.agents);
    const runs: { label: string; run: SimRun }[] = [];
    for (const variant of ['log2 stagger', 'no log2 scale'] as const) {
      const config: SimConfig = {
        seed: p.seed,
        agents: p.agents,
        servers: p.servers,
        extraServers: 1,
        durationMs: p.durationMs,
        bucketMs: SEC,
        warmupMs: joinAt,
        startSpreadMs: 3 * MIN,
        tuning: variant === 'log2 stagger' ? BASE_TUNING : { ...BASE_TUNING, syncerClusterSize: 1 },
        changeIntervalMs: CHANGE_INTERVAL_MS,
        timeline: [
          { atMs: joinAt, op: 'markFullSyncs' },
          { atMs: joinAt, op: 'join', server: p.servers },
        ],
      };
      const run = await runOne(`server-join (${variant})`, config, hooks);
      runs.push({ label: variant, run });
    }
    const [withScale, flat] = runs as [{ label: string; run: SimRun }, { label: string; run: SimRun }];
    const window = 60 * SEC;
    const peakWith = peakFullSyncs(withScale.run, joinAt, joinAt + window, p.servers);
    const peakFlat = peakFullSyncs(flat.run, joinAt, joinAt + window, p.servers);
    // Expected rate while the herd lasts: the regular full-sync load plus N / (S · spread).
    const regular = p.agents / p.servers / ((SYNC_INTERVAL_MS / SEC) * (1 + f / 2));
    const spreadWith = (f * SERVER_UP_INTERVAL_MS) / SEC;
    const spreadFlat = SERVER_UP_INTERVAL_MS / SEC;
    const herdWith = meanFullSyncRate(withScale.run, joinAt, joinAt + spreadWith * SEC, p.servers);
    const herdFlat = meanFullSyncRate(flat.run, joinAt, joinAt + spreadFlat * SEC, p.servers);
    const maxWaitSec = withScale.run.fleet.firstFullAfterMark.max / SEC;
    const measuredFactor = Math.ceil(maxWaitSec / (SERVER_UP_INTERVAL_MS / SEC));
    const claims = [
      claimRow('server-join', `stagger factor at ${p.agents} agents (longest wait / 3 s)`, '×', p.agents === 8192 ? 8 : f, measuredFactor,
        p.agents === 8192
          ? 'Consul agent/ae/ae.go scaleThreshold comment: "At 8192 nodes, the delay factor is 8"'
          : 'scaleFactor(N) = ceil(log2 N − log2 128) + 1 (Consul agent/ae/ae.go)', { mode: 'exact', basis: p.agents === 8192 ? 'upstream' : 'formula' }),
      claimRow('server-join', `full syncs/s/server over the ${spreadWith} s herd, log2 stagger`, '1/s',
        regular + p.agents / p.servers / spreadWith, herdWith,
        'Consul agent/ae/ae.go staggerFn: uniform over scaleFactor(N) × serverUpInterval, plus the regular load'),
      claimRow('server-join', `full syncs/s/server over the ${spreadFlat} s herd, no log2 scale`, '1/s',
        regular + p.agents / p.servers / spreadFlat, herdFlat,
        'Consul agent/ae/ae.go serverUpIntv: uniform over 3 s, plus the regular load'),
      claimRow('server-join', 'herd reduction (rate without / with the scale)', '×', f, herdWith > 0 ? herdFlat / herdWith : null,
        'the log2 scale divides the herd rate by scaleFactor(N) (Consul agent/ae/ae.go)'),
      claimRow('server-join', 'peak full syncs/s/server in 1 s, log2 stagger', '1/s', null, peakWith,
        'measured only: the busiest server-second in the minute after the join', { claimText: '—' }),
      claimRow('server-join', 'peak full syncs/s/server in 1 s, no log2 scale', '1/s', null, peakFlat,
        'measured only: the busiest server-second in the minute after the join', { claimText: '—' }),
    ];
    const marks = [{ label: 'join', tSec: joinAt / 1000 }];
    return {
      scenario: 'server-join',
      description: `${sized(p)}: server s${p.servers} joins at ${formatNumber(joinAt / MIN)} min; every agent asks for a full sync after stagger(serverUpInterval): over scaleFactor(${p.agents})·3 s = ${formatNumber(f * 3)} s with the log2 scale, over 3 s without it.`,
      params: p,
      claims,
      runs: runs.map((r) => report(r.label, r.run, marks)),
    };
  },
};

// --- starvation -------------------------------------------------------------------------------

const starvation: Scenario = {
  name: 'starvation',
  description:
    'Every agent has a local change every second, so a partial sync runs every second (Consul issue #7020: in older Consul this starved full syncs forever). Full syncs must stay on their interval + stagger schedule.',
  defaults: { agents: 200, servers: 5, durationMs: 20 * MIN },
  async run(params, hooks) {
    const p = resolve(params, this.defaults, this.defaults.durationMs ?? 20 * MIN);
    const f = scaleFactor(p.agents);
    const warmupMs = Math.min(p.durationMs / 4, 3 * MIN);
    const config: SimConfig = {
      seed: p.seed,
      agents: p.agents,
      servers: p.servers,
      durationMs: p.durationMs,
      warmupMs,
      startSpreadMs: 10 * SEC,
      tuning: BASE_TUNING,
      changeEveryMs: SEC,
    };
    const run = await runOne('starvation', config, hooks);
    const fleet = run.fleet;
    const partialPerAgentSec = run.summary.partialSyncs / p.agents / (p.durationMs / SEC);
    const claims = [
      claimRow('starvation', 'mean gap between full syncs', 's', ((SYNC_INTERVAL_MS / SEC) * (1 + f / 2)),
        fleet.fullSyncGaps.count > 0 ? fleet.fullSyncGaps.mean / SEC : null,
        'Consul agent/ae/ae.go syncChangesEventFn: full sync every Interval + stagger(Interval); partial syncs must not move it (#7020)'),
      claimRow('starvation', 'longest gap between full syncs', 's', ((SYNC_INTERVAL_MS / SEC) * (1 + f) + 1),
        fleet.fullSyncGaps.count > 0 ? fleet.fullSyncGaps.max / SEC : null,
        'interval·(1 + scaleFactor) + 1 s of RPC slack', { mode: 'atMost' }),
      claimRow('starvation', 'partial syncs per agent per second', '1/s', 1, partialPerAgentSec,
        'the workload: one change per agent per second, each synced at once'),
    ];
    const description = `${sized(p)}: every agent has a local change every second, so a partial sync runs every second (Consul issue #7020); full syncs must stay on their interval + stagger schedule (scale factor ${f}).`;
    return { scenario: 'starvation', description, params: p, claims, runs: [report('starvation', run)] };
  },
};

// --- connection-age ----------------------------------------------------------------------------

const connectionAge: Scenario = {
  name: 'connection-age',
  description:
    'How long an agent keeps a connection: the reuse period between rebalances (120–180 s below the rate cap), and how long it actually stays on one server (a reshuffle picks the same server with probability 1/S).',
  defaults: { agents: 10_000, servers: 5, durationMs: 60 * MIN },
  async run(params, hooks) {
    const p = resolve(params, this.defaults, this.defaults.durationMs ?? 60 * MIN);
    const { intervalMs, config } = equilibrium(p);
    const run = await runOne('connection-age', config, hooks);
    const fleet = run.fleet;
    // Below the rate cap the reuse period is uniform in [120, 180) s; above it, N / (64·S).
    const claimSec = intervalMs > MAX_REUSE_MS ? intervalMs / SEC : 150;
    const upstream = claimSec === 150;
    const source = upstream
      ? 'Consul server manager commit notes: "for the vast majority of consul users … an average connection age of 150s"'
      : 'N / (64·S) s: the capped rebalance interval of Consul agent/router/manager.go at this run\'s N, S';
    const basis = upstream ? ('upstream' as const) : ('formula' as const);
    const claims = [
      claimRow('connection-age', 'mean reuse period (rebalance to rebalance)', 's', claimSec,
        fleet.rebalanceGaps.count > 0 ? fleet.rebalanceGaps.mean / SEC : null, source, { basis }),
      claimRow('connection-age', 'mean time on one server (front server unchanged)', 's', claimSec,
        fleet.connLifetimes.count > 0 ? fleet.connLifetimes.mean / SEC : null, source, { basis }),
    ];
    const description = `${sized(p)}: how long an agent keeps a connection: the reuse period between rebalances (${upstream ? '120–180 s, below the rate cap' : `${formatNumber(claimSec)} s, the rate cap binds`}) and how long it stays on one server (a reshuffle picks the same server with probability 1/S).`;
    return { scenario: 'connection-age', description, params: p, claims, runs: [report('connection-age', run)] };
  },
};

export const SCENARIOS: readonly Scenario[] = [
  steady,
  rebalance100k,
  partitionHeal('partition-heal', 100_000),
  partitionHeal('partition-heal-10k', 10_000),
  serverJoin,
  starvation,
  connectionAge,
];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
