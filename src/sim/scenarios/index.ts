// Every simulator scenario, by name: the seed figures (steady, rebalance-100k,
// partition-heal, server-join, starvation, connection-age) and the server manager's
// promises (partition-minority, partition-heal's two runs, fleet-restart, churn), and
// the catalog's load under faults (server-flap, session-loss, read-refusal).
import { churn } from './churn.js';
import { connectionAge } from './connectionAge.js';
import { fleetRestart } from './fleetRestart.js';
import { partitionHeal } from './partitionHeal.js';
import { partitionMinority } from './partitionMinority.js';
import { rebalance100k } from './rebalance100k.js';
import { serverJoin } from './serverJoin.js';
import { starvation } from './starvation.js';
import { readRefusal } from './readRefusal.js';
import { serverFlap } from './serverFlap.js';
import { sessionLoss } from './sessionLoss.js';
import { steady } from './steady.js';
import type { Scenario } from './types.js';

export type { Scenario, ScenarioHooks, ScenarioParams, ScenarioResult, ScenarioRunReport } from './types.js';

export const SCENARIOS: readonly Scenario[] = [
  steady,
  rebalance100k,
  partitionHeal({ name: 'partition-heal', agents: 100_000 }),
  partitionHeal({ name: 'partition-heal-10k', agents: 10_000 }),
  partitionMinority(),
  fleetRestart(),
  churn(),
  serverJoin,
  starvation,
  connectionAge,
  serverFlap(),
  sessionLoss(),
  readRefusal(),
];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
