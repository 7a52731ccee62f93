// The demo scenario's options, timing defaults and result shapes: what a caller passes
// to runDemo (src/demo/scenario.ts) and what it gets back, kept apart from the script.
import type { InspectionEvent, Observer } from 'xstate';
import type { DemoTarget } from './target.js';
import type { CatalogAgent } from '../catalog/catalogAgent.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';

/** Every duration of the scenario, in ms. The defaults compress Consul's minutes into seconds. */
export interface DemoTiming {
  /** Full-sync interval (a random stagger of up to the same again is added). */
  interval: number;
  serverUpInterval: number;
  retryFailInterval: number;
  sessionTtl: number;
  callTimeout: number;
  pingTimeout: number;
  minReuseDuration: number;
  clusterSizeRefresh: number;
  /** Longest wait for a phase to converge before its check fails. */
  phaseTimeout: number;
  /** How long the steady phase runs after convergence. */
  steadyMs: number;
  /** How often convergence is polled. */
  pollMs: number;
  /** A pause before each phase starts, so a person watching can read its banner. */
  phasePause: number;
}

export const DEFAULT_TIMING: DemoTiming = {
  interval: 5_000,
  serverUpInterval: 2_000,
  retryFailInterval: 1_000,
  sessionTtl: 5_000,
  callTimeout: 500,
  pingTimeout: 500,
  minReuseDuration: 15_000,
  clusterSizeRefresh: 2_000,
  phaseTimeout: 15_000,
  steadyMs: 1_500,
  pollMs: 100,
  phasePause: 0,
};

/**
 * `--pace`: the scenario at a speed a person can follow in the live view. Calls take
 * 150–300 ms (so a full sync is visibly `syncing`), timers run 2–3× slower, and each
 * phase starts after a 4 s pause under its banner. The run takes about a minute.
 */
export const PACED_TIMING = {
  interval: 10_000,
  serverUpInterval: 5_000,
  retryFailInterval: 2_000,
  sessionTtl: 15_000,
  callTimeout: 1_500,
  pingTimeout: 1_500,
  minReuseDuration: 30_000,
  clusterSizeRefresh: 4_000,
  phaseTimeout: 40_000,
  steadyMs: 3_000,
  phasePause: 4_000,
} as const satisfies Partial<DemoTiming>;

/** Per-call latency of the embedded cluster under `--pace`, ms. */
export const PACED_LATENCY_MS: readonly [number, number] = [150, 300];

export interface DemoOptions {
  target: DemoTarget;
  clock?: Clock;
  /** Seed of every agent's random source. Defaults to 1. */
  seed?: number;
  /** Number of agents. Defaults to 6. */
  agents?: number;
  /** Services each agent registers at start. Defaults to 5. */
  servicesPerAgent?: number;
  timing?: Partial<DemoTiming>;
  /** The xstate inspection observer for one agent's syncer (e.g. a live view's `inspector(node)`), or undefined for none. */
  inspectorFor?: (node: string) => Observer<InspectionEvent> | ((event: InspectionEvent) => void) | undefined;
  /**
   * Called once the script's checks are done, before the agents stop: the agents keep
   * running until the returned promise settles (the demo's `--linger`). Defaults to none.
   */
  beforeStop?: (checks: readonly DemoCheck[]) => Promise<void>;
  logger?: Logger;
  /** Narrative lines ("server mem-2 fails"). */
  onEvent?: (line: string) => void;
  /** Called once the agents exist, so a status view can watch them. */
  onAgents?: (agents: readonly CatalogAgent[]) => void;
  /** Called when a phase starts. */
  onPhase?: (name: string) => void;
}

export interface PhaseResult {
  name: string;
  durationMs: number;
  fullSyncs: number;
  partialSyncs: number;
  /** Failed syncs (full and partial) during the phase. */
  failures: number;
  /** Remote writes (puts + deletes) the agents made during the phase. */
  writes: number;
  /** Write calls that failed (refused or timed out); each is retried once on the next server. */
  failedWrites: number;
  /** From the fault to convergence, in ms; undefined when it never converged, null when nothing was broken. */
  repairMs: number | undefined | null;
  /** Entries that differ between the agents and the cluster at the end of the phase. */
  lost: number;
}

export interface DemoCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface DemoResult {
  phases: PhaseResult[];
  checks: DemoCheck[];
  /** What the join and the cut-off phases measured. */
  join: {
    /** Agents that saw the new server (serverUp). */
    sawServer: number;
    /** Of those, agents whose serverUp asked for a full sync (0: each trusted its last one). */
    askedForFullSync: number;
    /** Full syncs that ran during the join phase anyway: the periodic ones. */
    periodicFullSyncs: number;
    /** From the cut-off agent's reconnection to its next full sync, ms; undefined when none came. */
    fullSyncAfterReturnMs: number | undefined;
  };
  ok: boolean;
  totalMs: number;
}
