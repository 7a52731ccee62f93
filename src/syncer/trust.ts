// Whether an agent has a full sync it can trust — the state the agent's wiring reads to
// decide if a server coming up is worth a full sync (fullSyncOnServerUp) — as a step over
// the syncer machine's emitted events. StateSyncer and the simulator's event engine both
// follow the machine's emits through this one rule.
import type { StateSyncerEmitted } from '../../machines/stateSyncer.types.js';

/**
 * The trust after the machine emitted `event`: a succeeded full sync earns it, a failed
 * one loses it, and anything else (a partial sync, a full sync skipped while paused)
 * leaves it as it was.
 */
export function trustAfter(trusted: boolean, event: StateSyncerEmitted['type']): boolean {
  if (event === 'fullSync.done') return true;
  if (event === 'fullSync.failed') return false;
  return trusted;
}
