// `ae-sync-sim --help`: the flags and the scenarios in at most 100 columns, without
// loading the simulator (so it prints in well under a second). The scenario list here
// is checked against the scenarios themselves by test/sim/help.test.ts.
import { availableParallelism } from 'node:os';
import { capBindingFleet, LIBRARY_CAP_SETTINGS } from './claims.js';

/**
 * The most worker threads a run may ask for: each costs ~12 MB of heap and an isolate
 * before any agent (1,000 workers ≈ 12 GB), and beyond a few per core they only add
 * contention. 4 per core, at least 8 (so the determinism checks can run 1–3 anywhere).
 */
export const MAX_WORKERS = Math.max(8, 4 * availableParallelism());

/** Widest line the command prints on a terminal; wider tables go to the report folder. */
export const MAX_COLUMNS = 100;

/** Every scenario: its name, defaults (undefined duration: from its own timeline) and one line on what it shows. */
export const SCENARIO_SUMMARIES: readonly { name: string; agents: number; servers: number; durationMs?: number; summary: string }[] = [
  { name: 'steady', agents: 10_000, servers: 5, durationMs: 3_600_000, summary: 'a fleet in equilibrium: new connections per server per s' },
  { name: 'rebalance-100k', agents: 100_000, servers: 5, durationMs: 1_800_000, summary: 'the cap stretches each wait to N/(64·S): time to move all' },
  { name: 'partition-heal', agents: 100_000, servers: 5, summary: 'agents fixated on one server by a partition; it heals' },
  { name: 'partition-heal-10k', agents: 10_000, servers: 5, summary: 'the same at 10K agents' },
  { name: 'partition-minority', agents: 100_000, servers: 5, summary: 'all servers but one unreachable for 30 min: its load' },
  { name: 'fleet-restart', agents: 100_000, servers: 5, summary: 'every agent starts at once: peak rebalances per second' },
  { name: 'churn', agents: 100_000, servers: 5, summary: 'one server leaves and rejoins every 20 s for 20 min' },
  { name: 'server-join', agents: 8_192, servers: 5, durationMs: 480_000, summary: 'a server joins: how the full-sync herd spreads' },
  { name: 'starvation', agents: 200, servers: 5, durationMs: 1_200_000, summary: 'a change every second: full syncs keep their schedule' },
  { name: 'connection-age', agents: 10_000, servers: 5, durationMs: 3_600_000, summary: 'how long an agent keeps a connection' },
  { name: 'server-flap', agents: 10_000, servers: 5, summary: 'a server rejoins every 30 s: full syncs, catalog load' },
  { name: 'session-loss', agents: 10_000, servers: 5, summary: 'sessions lost in a partition: the rewrite, write cap' },
  { name: 'read-refusal', agents: 10_000, servers: 5, summary: 'a server refuses reads: failed full syncs' },
];

function duration(ms: number | undefined): string {
  if (ms === undefined) return 'timeline';
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 1000)}s`;
}

export const USAGE = `usage: ae-sync-sim --scenario <name|all> [--agents N] [--servers S] [--duration 1h]
                   [--entries M] [--seed 42] [--workers N] [--worker-heap MB]
                   [--engine events|actors] [--out DIR] [--no-progress]`;

/** The whole --help text; every line at most MAX_COLUMNS wide. */
export function helpText(cores = availableParallelism()): string {
  const lines = [
    USAGE,
    '(from a clone: npm run simulate -- <flags>)',
    '',
    'flags:',
    '  --scenario <name|all>  which scenario to run (required)',
    "  --agents N             agents (default: the scenario's)",
    "  --servers S            servers at the start, at most 200 (default: the scenario's)",
    "  --duration D           simulated time: 90s, 30m, 1h, 1500ms; bare number = s (default: scenario's)",
    '  --entries M            services per agent in the simulated catalog: the catalog scenarios',
    '                         (server-flap, session-loss, read-refusal) default to 10; given to',
    '                         partition-heal, fleet-restart or churn, it adds catalog columns',
    '  --seed N               integer in [0, 2^32) (default 42): same seed, byte-identical output',
    `  --workers N            worker threads, at most ${MAX_WORKERS} (default: cores, here ${cores}); same output`,
    "  --worker-heap MB       old-generation heap limit of each worker (default: Node's)",
    '  --engine E             events (default): one event queue drives every machine; actors:',
    '                         a StateSyncer and a ServerManager per agent (slower); same output',
    '  --out DIR              report folder, wide tables too (default reports/sim-<scenario>-seed<seed>)',
    '  --no-progress          no progress bar on stderr',
    '',
    'scenarios (defaults: agents, servers, simulated time):',
  ];
  for (const s of SCENARIO_SUMMARIES) {
    const head = `  ${s.name.padEnd(19)}${`${s.agents} × ${s.servers}, ${duration(s.durationMs)}`.padEnd(20)}`;
    lines.push(`${head}${s.summary}`);
  }
  const c = LIBRARY_CAP_SETTINGS;
  const n = (x: number) => x.toLocaleString('en-US');
  const windowSec = (c.minReuseMs * (1 + 1 / c.jitterFraction)) / 1000;
  lines.push(
    '',
    "The scenarios that compare run twice: as Consul's server manager behaves ('consul') and as",
    `ae-sync's does ('ae-sync'). Their rebalance waits differ only once the rate cap binds:`,
    `N/(${c.connsPerSecPerServer}·S) s > ${windowSec} s, i.e. above ${n(capBindingFleet(1) - 1)} agents per server (${n(capBindingFleet(5) - 1)} agents on 5 servers).`,
    "Below that, both runs give the same result, ae-sync's jittered first wait (fleet-restart) apart.",
    'Each run prints the same line with its own size.',
    '',
    "The catalog scenarios' 'consul' run is Consul's catalog behaviour: every server up asks for",
    'a full sync, one read per full sync, no write cap.',
  );
  return `${lines.join('\n')}\n`;
}
