// A StateSyncer's metrics and spans. The syncer holds one SyncerTelemetry (a few fields,
// no closures: a simulation holds 100,000 syncers) and tells it what happened at four
// points: the user's sync is called (through `traced`, which stands in for the SyncState),
// a trigger fires, a pause begins, and the machine reports a sync done, failed or skipped.
// The instruments are made once per meter and shared by every syncer reporting to it.
import { SpanKind, type Attributes, type Counter, type Histogram, type Meter, type ObservableResult, type Span } from '@opentelemetry/api';
import { errorType } from './errorType.js';
import { ATTR, DURATION_BUCKETS_S, METRIC, SPAN, type Outcome, type SyncerStateValue, type SyncKindValue } from './names.js';
import { resolveTelemetry, type TelemetryOptions, type TracerRef } from './providers.js';
import { endFailed, endOk, startSpan, withSpan } from './spans.js';

type SyncMethod = 'syncFull' | 'syncChanges';

/** The user's SyncState, as the telemetry calls it. */
export interface TracedState {
  syncFull(signal: AbortSignal): Promise<unknown> | void;
  syncChanges(signal: AbortSignal): Promise<unknown> | void;
}

/** What the state gauge reads of a running syncer. */
export interface ObservedSyncer {
  readonly state: string;
  readonly paused: boolean;
}

/** When the sync that just ended was called, on the syncer's clock. */
export interface SyncTiming {
  /** Milliseconds since the sync was requested. */
  sinceSyncStarted(): number;
}

const KIND: Record<SyncMethod, SyncKindValue> = { syncFull: 'full', syncChanges: 'partial' };
// Attribute sets are shared constants: recording allocates none.
const KIND_ATTRS: Record<SyncKindValue, Attributes> = { full: { [ATTR.syncKind]: 'full' }, partial: { [ATTR.syncKind]: 'partial' } };
const SUCCESS_ATTRS: Record<SyncKindValue, Attributes> = {
  full: { [ATTR.syncKind]: 'full', [ATTR.outcome]: 'success' },
  partial: { [ATTR.syncKind]: 'partial', [ATTR.outcome]: 'success' },
};
const TRIGGER_ATTRS: Record<SyncMethod, [Attributes, Attributes]> = {
  syncFull: [
    { [ATTR.syncKind]: 'full', [ATTR.triggerCoalesced]: false },
    { [ATTR.syncKind]: 'full', [ATTR.triggerCoalesced]: true },
  ],
  syncChanges: [
    { [ATTR.syncKind]: 'partial', [ATTR.triggerCoalesced]: false },
    { [ATTR.syncKind]: 'partial', [ATTR.triggerCoalesced]: true },
  ],
};
const STATE_VALUE: Record<string, SyncerStateValue | undefined> = {
  fullSync: 'full_sync',
  partialSync: 'partial_sync',
  retryFullSync: 'retry_full_sync',
};
const STATES: readonly SyncerStateValue[] = ['full_sync', 'partial_sync', 'retry_full_sync', 'paused'];
const STATE_ATTRS: Record<SyncerStateValue, Attributes> = {
  full_sync: { [ATTR.syncerState]: 'full_sync' },
  partial_sync: { [ATTR.syncerState]: 'partial_sync' },
  retry_full_sync: { [ATTR.syncerState]: 'retry_full_sync' },
  paused: { [ATTR.syncerState]: 'paused' },
};

/** The instruments of one meter, and the running syncers its state gauge reads. */
class SyncerInstruments {
  readonly started: Counter;
  readonly finished: Counter;
  readonly skipped: Counter;
  readonly duration: Histogram;
  readonly triggers: Counter;
  readonly pauses: Counter;
  readonly running = new Set<ObservedSyncer>();

  constructor(meter: Meter) {
    this.started = meter.createCounter(METRIC.syncsStarted, { unit: '{sync}', description: 'Syncs whose call to the SyncState began, by kind.' });
    this.finished = meter.createCounter(METRIC.syncsFinished, { unit: '{sync}', description: 'Syncs that ended, by kind and outcome.' });
    this.skipped = meter.createCounter(METRIC.syncsSkipped, { unit: '{sync}', description: 'Syncs skipped because the syncer was paused, by kind.' });
    this.duration = meter.createHistogram(METRIC.syncDuration, {
      unit: 's',
      description: 'Duration of syncs, from the request to the result, by kind and outcome.',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    });
    this.triggers = meter.createCounter(METRIC.triggers, { unit: '{trigger}', description: 'Trigger calls, by kind; coalesced when a run was already pending.' });
    this.pauses = meter.createCounter(METRIC.pauses, { unit: '{pause}', description: 'pause() calls.' });
    meter
      .createObservableUpDownCounter(METRIC.syncerCount, { unit: '{syncer}', description: 'Running syncers by state; a paused syncer counts as paused.' })
      .addCallback((result) => this.#observe(result));
  }

  #observe(result: ObservableResult): void {
    const counts: Record<SyncerStateValue, number> = { full_sync: 0, partial_sync: 0, retry_full_sync: 0, paused: 0 };
    for (const syncer of this.running) {
      const state = syncer.paused ? 'paused' : STATE_VALUE[syncer.state];
      if (state !== undefined) counts[state]++;
    }
    for (const state of STATES) result.observe(counts[state], STATE_ATTRS[state]);
  }
}

const byMeter = new WeakMap<Meter, SyncerInstruments>();

export class SyncerTelemetry implements TracedState {
  readonly #i: SyncerInstruments;
  readonly #tracer: TracerRef;
  readonly #state: TracedState;
  // The span of the sync in flight (at most one: the syncer never runs two).
  #span: Span | undefined;

  constructor(i: SyncerInstruments, tracer: TracerRef, state: TracedState) {
    this.#i = i;
    this.#tracer = tracer;
    this.#state = state;
  }

  syncFull(signal: AbortSignal): Promise<unknown> | void {
    return this.#call('syncFull', signal);
  }

  syncChanges(signal: AbortSignal): Promise<unknown> | void {
    return this.#call('syncChanges', signal);
  }

  /** A trigger was pulled; `coalesced` when a run of that kind was already pending. */
  triggered(kind: SyncMethod, coalesced: boolean): void {
    this.#i.triggers.add(1, TRIGGER_ATTRS[kind][coalesced ? 1 : 0]);
  }

  paused(): void {
    this.#i.pauses.add(1);
  }

  /** The syncer started: its state counts from now on. */
  started(syncer: ObservedSyncer): void {
    this.#i.running.add(syncer);
  }

  /** The syncer stopped: it no longer counts, and a sync still in flight ends its span as cancelled. */
  stopped(syncer: ObservedSyncer): void {
    this.#i.running.delete(syncer);
    const span = this.#span;
    this.#span = undefined;
    if (span !== undefined) endFailed(span, undefined, 'cancelled', 'cancelled');
  }

  /** The machine reported `type` (`fullSync.done`, `syncChanges.failed`, …) about the sync that `timing` started. */
  emitted(type: string, error: unknown, timing: SyncTiming): void {
    switch (type) {
      case 'fullSync.done':
        return this.#succeeded('full', timing);
      case 'syncChanges.done':
        return this.#succeeded('partial', timing);
      case 'fullSync.failed':
        return this.#failed('full', error, timing);
      case 'syncChanges.failed':
        return this.#failed('partial', error, timing);
      case 'fullSync.skipped':
        this.#i.skipped.add(1, KIND_ATTRS.full);
        return;
      case 'syncChanges.skipped':
        this.#i.skipped.add(1, KIND_ATTRS.partial);
        return;
    }
  }

  #succeeded(kind: SyncKindValue, timing: SyncTiming): void {
    this.#i.finished.add(1, SUCCESS_ATTRS[kind]);
    this.#i.duration.record(seconds(timing), SUCCESS_ATTRS[kind]);
    const span = this.#span;
    this.#span = undefined;
    if (span !== undefined) endOk(span);
  }

  #failed(kind: SyncKindValue, error: unknown, timing: SyncTiming): void {
    const errType = errorType(error);
    const attrs = { [ATTR.syncKind]: kind, [ATTR.outcome]: 'failure' satisfies Outcome, [ATTR.errorType]: errType };
    this.#i.finished.add(1, attrs);
    this.#i.duration.record(seconds(timing), attrs);
    const span = this.#span;
    this.#span = undefined;
    if (span !== undefined) endFailed(span, error, errType);
  }

  #call(method: SyncMethod, signal: AbortSignal): Promise<unknown> | void {
    const kind = KIND[method];
    this.#i.started.add(1, KIND_ATTRS[kind]);
    const tracer = this.#tracer.get();
    if (tracer === undefined) return this.#state[method](signal);
    // A call abandoned after its timeout already ended as failed; its span ended with it.
    const span = startSpan(tracer, SPAN.sync, SpanKind.INTERNAL, KIND_ATTRS[kind]);
    this.#span = span;
    return withSpan(span, () => this.#state[method](signal));
  }
}

function seconds(timing: SyncTiming): number {
  return Math.max(0, timing.sinceSyncStarted()) / 1000;
}

/** The telemetry of one syncer over `state`: validates the provider options, reuses the meter's instruments. */
export function syncerTelemetry(options: TelemetryOptions, state: TracedState): SyncerTelemetry {
  const t = resolveTelemetry(options);
  let instruments = byMeter.get(t.meter);
  if (instruments === undefined) byMeter.set(t.meter, (instruments = new SyncerInstruments(t.meter)));
  return new SyncerTelemetry(instruments, t.tracer, state);
}
