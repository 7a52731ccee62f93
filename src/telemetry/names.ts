// Every name ae-sync reports through OpenTelemetry, in one place: the meter and tracer
// name, the instruments (under `ae_sync.`, so Prometheus shows `ae_sync_…`), their
// units, the span names and the attribute keys and values. docs/observability.md lists
// them for users; the simulator's report maps its own figures onto them.

/** The meter's and tracer's name: the package's name. */
export const INSTRUMENTATION_NAME = 'ae-sync';
/** The package's version, attached to the meter and the tracer (test/telemetry checks it against package.json). */
export const INSTRUMENTATION_VERSION = '0.1.0';

/** Instrument names (OpenTelemetry semantic conventions: dot-separated, snake_case inside a segment). */
export const METRIC = {
  syncsStarted: 'ae_sync.syncer.syncs.started',
  syncsFinished: 'ae_sync.syncer.syncs.finished',
  syncsSkipped: 'ae_sync.syncer.syncs.skipped',
  syncDuration: 'ae_sync.syncer.sync.duration',
  syncerCount: 'ae_sync.syncer.count',
  triggers: 'ae_sync.syncer.triggers',
  pauses: 'ae_sync.syncer.pauses',
  rebalances: 'ae_sync.server_manager.rebalances',
  serverSwitches: 'ae_sync.server_manager.server.switches',
  serverCount: 'ae_sync.server_manager.server.count',
  calls: 'ae_sync.server_manager.calls',
  rebalanceDelay: 'ae_sync.server_manager.rebalance.delay',
  entryCount: 'ae_sync.registry.entry.count',
  operations: 'ae_sync.registry.operations',
  operationDuration: 'ae_sync.registry.operation.duration',
  sessionsOpened: 'ae_sync.registry.sessions.opened',
  sessionsLost: 'ae_sync.registry.sessions.lost',
  nodeConflicts: 'ae_sync.registry.node_conflicts',
} as const;

/** Span names: low-cardinality, one per operation. */
export const SPAN = {
  sync: 'ae_sync.sync',
  call: 'ae_sync.server_manager.call',
  operation: 'ae_sync.registry.operation',
} as const;

/** Attribute keys. Every value set under them comes from a fixed, small list (below). */
export const ATTR = {
  syncKind: 'ae_sync.sync.kind',
  outcome: 'ae_sync.outcome',
  /** OpenTelemetry's general attribute: the failure's class, from a bounded list (errorType()). */
  errorType: 'error.type',
  syncerState: 'ae_sync.syncer.state',
  triggerCoalesced: 'ae_sync.trigger.coalesced',
  serverState: 'ae_sync.server.state',
  entryState: 'ae_sync.entry.state',
  operation: 'ae_sync.registry.operation',
  /** Spans only (one span is one event, so a name there is not a cardinality problem). */
  serverName: 'ae_sync.server.name',
  /** Spans only: puts and deletes the pass made. */
  entriesWritten: 'ae_sync.sync.entries_written',
} as const;

export type SyncKindValue = 'full' | 'partial';
export type Outcome = 'success' | 'failure';
export type CallOutcome = Outcome | 'cancelled' | 'no_servers';
export type RebalanceOutcome = 'success' | 'frozen' | 'offline' | 'failure';
export type SyncerStateValue = 'full_sync' | 'partial_sync' | 'retry_full_sync' | 'paused';
export type RegistryOperation =
  | 'list'
  | 'put'
  | 'delete'
  | 'list_checks'
  | 'put_check'
  | 'delete_check'
  | 'get_node'
  | 'put_node'
  | 'batch'
  | 'count'
  | 'open_session';

/** Histogram bucket advice for durations in seconds (OpenTelemetry's HTTP duration buckets). */
export const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60, 300];
