// The public entry of the embedded catalog cluster (src/index.ts, the demo, the
// simulator and the tests import from here). Each part lives in its own file:
// cluster.ts, network.ts (faults), store.ts, sessionTable.ts, session.ts, view.ts.
export { MemoryCluster } from './cluster.js';
export { MemorySession } from './session.js';
export type { MemoryClusterEvents, MemoryClusterOptions, MemoryOp, MemoryOpRecord } from './types.js';
export { NodeConflictError, ServerUnavailableError, SessionNotFoundError } from '../errors.js';
