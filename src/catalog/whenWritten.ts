// Waiting until a catalog agent's local changes are all in the remote catalog.
import { waitOnSyncer, type WaitOptions } from '../syncer/whenSynced.js';
import type { CatalogAgent } from './catalogAgent.js';

/**
 * Resolves once every local change of `agent` is written: a full sync has succeeded and
 * no registered or deregistered service still owes a write (`registry.stats().dirty`
 * is 0). Checked now and after every sync; listeners are removed however it settles.
 * Rejects with a `StoppedError` once the agent's syncer stops, and with the signal's
 * reason when `options.signal` aborts.
 */
export function whenWritten(agent: CatalogAgent, options?: WaitOptions): Promise<void> {
  const syncer = agent.agent.syncer;
  return waitOnSyncer(syncer, () => syncer.stats().fullSyncs > 0 && agent.registry.stats().dirty === 0, options);
}
