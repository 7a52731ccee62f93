// Options reach their component: every option of SyncAgentOptions, CatalogAgentOptions
// and the simulator's AgentTuning is set to a value of its own (no default) and found in
// what the owning part resolved. The fixtures are `Required<…>`, so an option added to
// either type fails to compile here until it is set and looked for.
import { createNoopMeter, ProxyTracerProvider, type MeterProvider } from '@opentelemetry/api';
import { pino, type Logger as PinoLogger } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { createSyncAgent, type SyncAgentOptions } from '../src/agent.js';
import { createCatalogAgent, type CatalogAgentOptions } from '../src/catalog/catalogAgent.js';
import { MemoryCluster } from '../src/catalog/memory/cluster.js';
import type { ResolvedRegistryOptions, ServiceRegistryOptions } from '../src/catalog/registryOptions.js';
import type { ManagerSettings, ServerManagerOptions } from '../src/servers/options.js';
import type { AgentTuning } from '../src/sim/agent.js';
import { simulate } from '../src/sim/simulator.js';
import type { ResolvedSyncerOptions, StateSyncerOptions } from '../src/syncer/options.js';
import { createTestClock, scriptedPinger, scriptedSyncState } from '../src/testing.js';
import type { WiringOptions, WiringSettings } from '../src/wiring.js';
import { server } from './helpers/index.js';

interface Resolved {
  manager?: { input: ServerManagerOptions; settings: ManagerSettings };
  syncer?: { input: StateSyncerOptions; settings: ResolvedSyncerOptions };
  registry?: { input: ServiceRegistryOptions; settings: ResolvedRegistryOptions };
  wiring?: { input: WiringOptions; settings: WiringSettings };
}
const seen = vi.hoisted((): { last: Resolved } => ({ last: {} }));

vi.mock('../src/servers/options.js', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../src/servers/options.js')>();
  return { ...mod, resolveOptions: (input: ServerManagerOptions) => ((seen.last.manager = { input, settings: mod.resolveOptions(input) }).settings) };
});
vi.mock('../src/syncer/options.js', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../src/syncer/options.js')>();
  return { ...mod, resolveSyncerOptions: (input: StateSyncerOptions) => ((seen.last.syncer = { input, settings: mod.resolveSyncerOptions(input) }).settings) };
});
vi.mock('../src/catalog/registryOptions.js', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../src/catalog/registryOptions.js')>();
  return { ...mod, resolveRegistryOptions: (input: ServiceRegistryOptions) => ((seen.last.registry = { input, settings: mod.resolveRegistryOptions(input) }).settings) };
});

vi.mock('../src/wiring.js', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../src/wiring.js')>();
  return { ...mod, resolveWiringOptions: (input: WiringOptions) => ((seen.last.wiring = { input, settings: mod.resolveWiringOptions(input) }).settings) };
});

type Probe = (r: Required<Resolved>) => unknown;
const m = (key: keyof ManagerSettings): Probe => (r) => r.manager.settings[key];
const s = (key: keyof ResolvedSyncerOptions): Probe => (r) => r.syncer.settings[key];
const g = (key: keyof ResolvedRegistryOptions): Probe => (r) => r.registry.settings[key];
const w = (key: keyof WiringSettings): Probe => (r) => r.wiring.settings[key];
/** Both parts were given the same value (telemetry options are read by the parts' telemetry, not their resolvers). */
const bothInputs = (key: 'meterProvider' | 'tracerProvider' | 'inspect'): Probe => (r) => (r.manager.input[key] === r.syncer.input[key] ? r.syncer.input[key] : 'differs');
/** Both parts resolved it to the same value. */
const both = (mk: keyof ManagerSettings, sk: keyof ResolvedSyncerOptions): Probe => (r) => (r.manager.settings[mk] === r.syncer.settings[sk] ? r.manager.settings[mk] : 'differs');

// Where each option lands (defaults are never these values: booleans are the non-default).
const SHARED = {
  interval: [61_001, s('interval')],
  serverUpInterval: [3_002, s('serverUpInterval')],
  retryFailInterval: [15_003, s('retryFailInterval')],
  syncTimeout: [20_004, s('syncTimeout')],
  stopTimeout: [9_005, s('stopTimeout')],
  minReuseDuration: [100_006, m('minReuseMs')],
  jitterFraction: [3, m('jitterFraction')],
  connsPerSecPerServer: [33, m('connsPerSecPerServer')],
  pingTimeout: [8_007, m('pingTimeoutMs')],
  apiVersion: [4, m('apiVersion')],
  health: [false, m('health')],
  failureThreshold: [5, m('failureThreshold')],
  cleanupDeadServers: [false, m('cleanupDeadServers')],
  deadServerTimeout: [1_008, m('deadServerMs')],
  rearmOnChange: [false, m('rearmOnChange')],
  jitterFirstRebalance: [false, m('jitterFirstRebalance')],
  jitterCappedWait: [false, m('jitterCappedWait')],
  discoverInterval: [40_009, m('discoverIntervalMs')],
  discoverTimeout: [7_010, m('discoverTimeoutMs')],
  fullSyncOnServerUp: ['always', w('fullSyncOnServerUp')],
} as const;

/** The registry's options the catalog agent and the simulator's tuning both forward. */
const REGISTRY = {
  sessionTtl: [12_011, g('sessionTtlMs')],
  callTimeout: [4_012, g('callTimeoutMs')],
  clusterSizeRefresh: [25_013, g('clusterSizeRefreshMs')],
  maxConsecutiveFailures: [6, g('maxConsecutiveFailures')],
  writeAttempts: [3, g('writeAttempts')],
  readAttempts: [2, g('readAttempts')],
  maxBatchOps: [17, g('maxBatchOps')],
  writesPerSecPerServer: [250.5, g('writesPerSecPerServer')],
  writeBurst: [19, g('writeBurst')],
} as const;

type Table = Record<string, readonly [unknown, Probe]>;
/** A table's option values, by name. */
const valuesOf = <T extends Table>(table: T) => Object.fromEntries(Object.entries(table).map(([k, [v]]) => [k, v])) as { [K in keyof T]: T[K][0] };
/** A table's probes, by name. */
const probesOf = <T extends Table>(table: T) => Object.fromEntries(Object.entries(table).map(([k, [, probe]]) => [k, probe])) as { [K in keyof T]: Probe };

function fixture() {
  const clock = createTestClock();
  const random = () => 0.25;
  const logger = pino({ level: 'silent' });
  const discover = async () => [server('found')];
  const inspect = () => {};
  // Providers of their own, never the global ones a missing option falls back to.
  const meterProvider: MeterProvider = { getMeter: () => createNoopMeter() };
  const tracerProvider = new ProxyTracerProvider();
  const values = valuesOf(SHARED);
  return { clock, random, logger, discover, inspect, meterProvider, tracerProvider, values };
}

function expectLanded(where: Record<string, Probe>, options: Record<string, unknown>): void {
  const r = seen.last as Required<Resolved>;
  const found = Object.fromEntries(Object.keys(where).map((k) => [k, where[k]!(r)]));
  expect(found).toEqual(Object.fromEntries(Object.keys(where).map((k) => [k, options[k]])));
  // and by identity, where equality of objects would not tell
  for (const k of Object.keys(where)) expect(found[k], k).toBe(options[k]);
}

describe('option forwarding', () => {
  it('gives every SyncAgentOptions option to the part that owns it', async () => {
    const f = fixture();
    const state = scriptedSyncState(f.clock);
    const pinger = scriptedPinger(() => true);
    const clusterSize = () => 42;
    const options: Required<SyncAgentOptions> = {
      ...f.values,
      state,
      pinger,
      clusterSize,
      clock: f.clock,
      random: f.random,
      logger: f.logger,
      discover: f.discover,
      inspect: f.inspect,
      meterProvider: f.meterProvider,
      tracerProvider: f.tracerProvider,
    };
    const where: { [K in keyof SyncAgentOptions]-?: Probe } = {
      ...probesOf(SHARED),
      state: s('state'),
      pinger: m('pinger'),
      clusterSize: m('clusterSize'),
      discover: m('discover'),
      clock: both('clock', 'clock'),
      random: both('random', 'random'),
      logger: (r) => (r.manager.input.logger === r.syncer.input.logger ? r.manager.input.logger : 'differs'),
      inspect: bothInputs('inspect'),
      meterProvider: bothInputs('meterProvider'),
      tracerProvider: bothInputs('tracerProvider'),
    };
    seen.last = {};
    const agent = createSyncAgent(options);
    expectLanded(where, options);
    // The syncer's cluster size is the manager's node count, whatever the option was.
    expect(seen.last.syncer!.settings.clusterSize()).toBe(42);
    await agent.stop();
  });

  it('gives every CatalogAgentOptions option to the part that owns it', async () => {
    const f = fixture();
    const cluster = new MemoryCluster({ clock: f.clock });
    const options: Required<CatalogAgentOptions> = {
      ...f.values,
      clock: f.clock,
      random: f.random,
      logger: f.logger,
      discover: f.discover,
      inspect: f.inspect,
      meterProvider: f.meterProvider,
      tracerProvider: f.tracerProvider,
      backend: cluster,
      node: 'n7',
      ...valuesOf(REGISTRY),
      blockAfterFailures: 4,
      blockedWarnInterval: 30_014,
      checkUpdateInterval: 120_015,
    };
    const where: { [K in keyof CatalogAgentOptions]-?: Probe } = {
      ...probesOf(SHARED),
      ...probesOf(REGISTRY),
      discover: m('discover'),
      clock: (r) => (r.manager.settings.clock === r.syncer.settings.clock && r.syncer.settings.clock === r.registry.settings.clock ? r.registry.settings.clock : 'differs'),
      random: both('random', 'random'),
      // The registry gets the user's logger; the syncer and manager a child of it tagged with the node.
      logger: (r) => r.registry.input.logger,
      inspect: bothInputs('inspect'),
      meterProvider: bothInputs('meterProvider'),
      tracerProvider: bothInputs('tracerProvider'),
      // The registry is handed the backend wrapped for telemetry: what it resolved calls into ours.
      backend: (r) => (r.registry.settings.backend.pinger === cluster.pinger ? cluster : 'differs'),
      node: g('node'),
      blockAfterFailures: g('blockAfterFailures'),
      blockedWarnInterval: g('blockedWarnIntervalMs'),
      checkUpdateInterval: g('checkUpdateIntervalMs'),
    };
    seen.last = {};
    const agent = createCatalogAgent(options);
    expectLanded(where, options);
    expect((seen.last.manager!.input.logger as PinoLogger | undefined)?.bindings()).toEqual({ node: 'n7' });
    expect(seen.last.syncer!.input.logger).toBe(seen.last.manager!.input.logger);
    await agent.stop();
    await cluster.close();
  });

  it('gives every option of the simulator\'s tuning to each agent\'s parts, under the public names', async () => {
    const f = fixture();
    const v = f.values;
    const tuning: Required<AgentTuning> = {
      interval: v.interval,
      serverUpInterval: v.serverUpInterval,
      retryFailInterval: v.retryFailInterval,
      syncTimeout: v.syncTimeout,
      minReuseDuration: v.minReuseDuration,
      jitterFraction: v.jitterFraction,
      connsPerSecPerServer: v.connsPerSecPerServer,
      pingTimeout: v.pingTimeout,
      health: v.health,
      rearmOnChange: v.rearmOnChange,
      jitterFirstRebalance: v.jitterFirstRebalance,
      jitterCappedWait: v.jitterCappedWait,
      fullSyncOnServerUp: v.fullSyncOnServerUp,
      syncerClusterSize: 9,
      // The registry's, for runs with entries.
      ...valuesOf(REGISTRY),
    };
    const where: { [K in keyof AgentTuning]-?: Probe } = {
      ...Object.fromEntries(Object.keys(tuning).filter((k) => k in SHARED).map((k) => [k, SHARED[k as keyof typeof SHARED][1]])) as { [K in keyof typeof SHARED]: Probe },
      syncerClusterSize: (r) => r.syncer.settings.clusterSize(),
      ...probesOf(REGISTRY),
    };
    seen.last = {};
    // The actor engine builds a StateSyncer, a ServerManager and (with entries) a ServiceRegistry per agent: the probes see them.
    await simulate({ seed: 1, agents: 1, servers: 1, durationMs: 1000, bucketMs: 1000, warmupMs: 0, startSpreadMs: 0, tuning, entries: 1 }, { engine: 'actors' });
    expectLanded(where, tuning);
  });
});
