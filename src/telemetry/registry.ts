// A catalog agent's registry metrics and spans. Every remote operation of the registry
// (list, put, delete, count, open session) goes through `operation`, which the
// instrumented backend calls (a span, a count by op and outcome, a duration). Entry
// states and session counters are read from the running registries at collection time;
// a registry that closes adds its final session counts to the retired totals, so the
// counters never go back.
import { SpanKind, trace, type Attributes, type Counter, type Histogram, type Meter, type ObservableResult, type Span } from '@opentelemetry/api';
import { errorType } from './errorType.js';
import { ATTR, DURATION_BUCKETS_S, METRIC, SPAN, type RegistryOperation } from './names.js';
import { resolveTelemetry, type TelemetryOptions, type TracerRef } from './providers.js';
import { endFailed, endOk, startSpan, withSpan } from './spans.js';

/** What the gauges and counters read of a running registry. */
export interface ObservedRegistry {
  /** Registered services. */
  readonly size: number;
  /** Ids with a write owed (puts and deletes). */
  dirtyIds(): string[];
  /** The registered service with this id, if any. */
  get(id: string): unknown;
  stats(): { sessionsOpened: number; sessionsLost: number; nodeConflicts: number; blocked: number };
}

type SessionCounts = { sessionsOpened: number; sessionsLost: number; nodeConflicts: number };

const OPERATIONS: readonly RegistryOperation[] = ['list', 'put', 'delete', 'list_checks', 'put_check', 'delete_check', 'get_node', 'put_node', 'batch', 'count', 'open_session'];
const SUCCESS_ATTRS = Object.fromEntries(
  OPERATIONS.map((op) => [op, { [ATTR.operation]: op, [ATTR.outcome]: 'success' }]),
) as unknown as Record<RegistryOperation, Attributes>;
const SPAN_ATTRS = Object.fromEntries(OPERATIONS.map((op) => [op, { [ATTR.operation]: op }])) as unknown as Record<RegistryOperation, Attributes>;
const IN_SYNC: Attributes = { [ATTR.entryState]: 'in_sync' };
const DIRTY: Attributes = { [ATTR.entryState]: 'dirty' };
const BLOCKED: Attributes = { [ATTR.entryState]: 'blocked' };

class RegistryInstruments {
  readonly operations: Counter;
  readonly duration: Histogram;
  readonly running = new Set<ObservedRegistry>();
  readonly retired: SessionCounts = { sessionsOpened: 0, sessionsLost: 0, nodeConflicts: 0 };

  constructor(meter: Meter) {
    this.operations = meter.createCounter(METRIC.operations, { unit: '{operation}', description: 'Remote catalog operations (reads and writes), by operation and outcome.' });
    this.duration = meter.createHistogram(METRIC.operationDuration, {
      unit: 's',
      description: 'Duration of remote catalog operations, by operation and outcome.',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    });
    meter
      .createObservableUpDownCounter(METRIC.entryCount, { unit: '{entry}', description: 'Local catalog entries by state: in_sync (registered, nothing owed), dirty (a put or delete owed) or blocked (refused by the servers, retried once per full sync).' })
      .addCallback((result) => this.#observeEntries(result));
    const sessions = (key: keyof SessionCounts) => (result: ObservableResult) => {
      let total = this.retired[key];
      for (const registry of this.running) total += registry.stats()[key];
      result.observe(total);
    };
    meter.createObservableCounter(METRIC.sessionsOpened, { unit: '{session}', description: 'Registry sessions opened.' }).addCallback(sessions('sessionsOpened'));
    meter.createObservableCounter(METRIC.sessionsLost, { unit: '{session}', description: 'Registry sessions lost (expired or no longer renewable).' }).addCallback(sessions('sessionsLost'));
    meter
      .createObservableCounter(METRIC.nodeConflicts, { unit: '{conflict}', description: 'Session opens refused because another live session holds the node name.' })
      .addCallback(sessions('nodeConflicts'));
  }

  #observeEntries(result: ObservableResult): void {
    let inSync = 0;
    let dirty = 0;
    let blocked = 0;
    for (const registry of this.running) {
      const ids = registry.dirtyIds();
      let dirtyLive = 0;
      for (const id of ids) if (registry.get(id) !== undefined) dirtyLive++;
      // Blocked entries are left out of dirtyIds(): neither in sync nor owed a write.
      const quarantined = registry.stats().blocked;
      inSync += Math.max(0, registry.size - dirtyLive - quarantined);
      dirty += ids.length;
      blocked += quarantined;
    }
    result.observe(inSync, IN_SYNC);
    result.observe(dirty, DIRTY);
    result.observe(blocked, BLOCKED);
  }
}

const byMeter = new WeakMap<Meter, RegistryInstruments>();

export class RegistryTelemetry {
  readonly #i: RegistryInstruments;
  readonly #tracer: TracerRef;
  readonly #now: () => number;
  // Successful puts and deletes so far, and the server of the last operation: a pass's span reports both.
  #written = 0;
  #lastServer: string | undefined;

  constructor(i: RegistryInstruments, tracer: TracerRef, now: () => number) {
    this.#i = i;
    this.#tracer = tracer;
    this.#now = now;
  }

  /**
   * Runs one remote operation against `server` in a span, and counts and times it.
   * `writes`: the entries it writes when it succeeds (a batch's ops; 1 for a put or delete of a service).
   */
  operation<T>(op: RegistryOperation, server: { name: string }, run: () => Promise<T>, writes = op === 'put' || op === 'delete' ? 1 : 0): Promise<T> {
    const tracer = this.#tracer.get();
    let span: Span | undefined;
    if (tracer !== undefined) {
      span = startSpan(tracer, SPAN.operation, SpanKind.CLIENT, SPAN_ATTRS[op]);
      span.setAttribute(ATTR.serverName, server.name);
    }
    this.#lastServer = server.name;
    const started = this.#now();
    let promise: Promise<T>;
    try {
      promise = span === undefined ? run() : withSpan(span, run);
    } catch (err) {
      // A backend that throws instead of rejecting fails the operation all the same.
      promise = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return promise.then(
      (value) => {
        this.#written += writes;
        this.#i.operations.add(1, SUCCESS_ATTRS[op]);
        this.#i.duration.record(this.#seconds(started), SUCCESS_ATTRS[op]);
        if (span !== undefined) endOk(span);
        return value;
      },
      (err: unknown) => {
        const type = errorType(err);
        const attrs = { [ATTR.operation]: op, [ATTR.outcome]: 'failure', [ATTR.errorType]: type };
        this.#i.operations.add(1, attrs);
        this.#i.duration.record(this.#seconds(started), attrs);
        if (span !== undefined) endFailed(span, err, type);
        throw err;
      },
    );
  }

  /**
   * Runs one sync pass of the registry; the sync's span (the active one) gets the entries
   * the pass wrote and the server its last operation went to.
   */
  pass<T>(run: () => Promise<T>): Promise<T> {
    const span = trace.getActiveSpan();
    if (span === undefined || !span.isRecording()) return run();
    const before = this.#written;
    this.#lastServer = undefined;
    const mark = (): void => {
      span.setAttribute(ATTR.entriesWritten, this.#written - before);
      if (this.#lastServer !== undefined) span.setAttribute(ATTR.serverName, this.#lastServer);
    };
    return run().then(
      (value) => {
        mark();
        return value;
      },
      (err: unknown) => {
        mark();
        throw err;
      },
    );
  }

  started(registry: ObservedRegistry): void {
    this.#i.running.add(registry);
  }

  /** The registry closed: its session counts move to the retired totals. */
  stopped(registry: ObservedRegistry): void {
    if (!this.#i.running.delete(registry)) return;
    const s = registry.stats();
    this.#i.retired.sessionsOpened += s.sessionsOpened;
    this.#i.retired.sessionsLost += s.sessionsLost;
    this.#i.retired.nodeConflicts += s.nodeConflicts;
  }

  #seconds(started: number): number {
    return Math.max(0, this.#now() - started) / 1000;
  }
}

/** The telemetry of one registry; `now` is its clock in ms. Validates the provider options. */
export function registryTelemetry(options: TelemetryOptions, now: () => number): RegistryTelemetry {
  const t = resolveTelemetry(options);
  let instruments = byMeter.get(t.meter);
  if (instruments === undefined) byMeter.set(t.meter, (instruments = new RegistryInstruments(t.meter)));
  return new RegistryTelemetry(instruments, t.tracer, now);
}
