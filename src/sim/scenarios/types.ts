// What a simulator scenario is and returns: its parameters (CLI or test overrides),
// one report per simulation run (a scenario may run several, labelled), and the
// claims rows that put upstream figures beside the measurements.
import type { ClaimRow } from '../claims.js';
import type { SeriesReport } from '../metrics.js';
import type { SimConfig, SimOptions, SimRun, SimSummary } from '../simulator.js';

/** What the CLI (or a test) may override. Absent values take the scenario's defaults. */
export interface ScenarioParams {
  seed: number;
  agents?: number;
  servers?: number;
  durationMs?: number;
  /** Services per agent in the simulated catalog (scenarios that measure the catalog). */
  entries?: number;
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
  params: { seed: number; agents: number; servers: number; durationMs: number; entries?: number };
  claims: ClaimRow[];
  runs: ScenarioRunReport[];
}

export interface Scenario {
  name: string;
  description: string;
  /** `entries`: services per agent in the simulated catalog when the caller gives none (the catalog scenarios). */
  defaults: { agents: number; servers: number; durationMs?: number; entries?: number };
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
