// A ServerManager's metrics and spans. The manager holds one ManagerTelemetry and tells
// it what happened: every event it emits (as its listeners get them), the end of each
// rebalance, and each call() (which runs inside a span). Per-state server counts and the
// rebalance delay in force are read at collection time from the running managers.
import { SpanKind, type Attributes, type Counter, type Meter, type ObservableResult, type Span } from '@opentelemetry/api';
import { errorType } from './errorType.js';
import { ATTR, METRIC, SPAN, type CallOutcome, type RebalanceOutcome } from './names.js';
import { resolveTelemetry, type TelemetryOptions, type TracerRef } from './providers.js';
import { endFailed, endOk, startSpan, withSpan } from './spans.js';

/** What the gauges read of a running manager. */
export interface ObservedManager {
  /** Each listed server's health state (`healthy`, `suspect`, `failed`, `draining`). */
  serverStates(): Iterable<string>;
  /** The rebalance delay the loop armed last, ms (NaN before the first). */
  delayMs(): number;
}

/** What a call needs from the manager to classify its end. */
export interface CallVerdict {
  /** True when the call was cut short from outside (stop(), the caller's signal): not the server's doing. */
  cancelled(): boolean;
}

const SERVER_STATES = ['healthy', 'suspect', 'failed', 'draining'] as const;
const SERVER_STATE_ATTRS: Record<string, Attributes> = Object.fromEntries(SERVER_STATES.map((s) => [s, { [ATTR.serverState]: s }]));
const REBALANCE_ATTRS: Record<RebalanceOutcome, Attributes> = {
  success: { [ATTR.outcome]: 'success' },
  frozen: { [ATTR.outcome]: 'frozen' },
  offline: { [ATTR.outcome]: 'offline' },
  failure: { [ATTR.outcome]: 'failure' },
};
const CALL_SUCCESS: Attributes = { [ATTR.outcome]: 'success' satisfies CallOutcome };

class ManagerInstruments {
  readonly rebalances: Counter;
  readonly switches: Counter;
  readonly calls: Counter;
  readonly running = new Set<ObservedManager>();

  constructor(meter: Meter) {
    this.rebalances = meter.createCounter(METRIC.rebalances, { unit: '{rebalance}', description: 'Rebalances that ran to the end, by outcome.' });
    this.switches = meter.createCounter(METRIC.serverSwitches, {
      unit: '{switch}',
      description: 'Rebalances that moved the agent to another server (a new connection).',
    });
    this.calls = meter.createCounter(METRIC.calls, { unit: '{call}', description: 'ServerManager.call() results, by outcome.' });
    meter
      .createObservableUpDownCounter(METRIC.serverCount, { unit: '{server}', description: 'Listed servers by health state, summed over the running managers.' })
      .addCallback((result) => this.#observeServers(result));
    meter
      .createObservableGauge(METRIC.rebalanceDelay, { unit: 's', description: 'The rebalance delay in force (the longest among the running managers).' })
      .addCallback((result) => this.#observeDelay(result));
  }

  #observeServers(result: ObservableResult): void {
    const counts: Record<string, number> = { healthy: 0, suspect: 0, failed: 0, draining: 0 };
    for (const manager of this.running) for (const state of manager.serverStates()) if (state in counts) counts[state]! += 1;
    for (const state of SERVER_STATES) result.observe(counts[state]!, SERVER_STATE_ATTRS[state]);
  }

  #observeDelay(result: ObservableResult): void {
    let longest = Number.NaN;
    for (const manager of this.running) {
      const ms = manager.delayMs();
      if (Number.isFinite(ms) && !(ms <= longest)) longest = ms;
    }
    if (Number.isFinite(longest)) result.observe(longest / 1000);
  }
}

const byMeter = new WeakMap<Meter, ManagerInstruments>();

export class ManagerTelemetry {
  readonly #i: ManagerInstruments;
  readonly #tracer: TracerRef;
  #observed: ObservedManager | undefined;
  // The server the last rebalance chose, and whether it froze: read when the rebalance ends.
  #chosen: string | undefined;
  #frozen = false;
  #rebalancedSinceLast = false;

  constructor(i: ManagerInstruments, tracer: TracerRef) {
    this.#i = i;
    this.#tracer = tracer;
  }

  /** The manager emitted `event` (before its listeners run). */
  event(event: string, payload: unknown): void {
    if (event !== 'rebalanced') return;
    const { server, frozen } = payload as { server: { name: string }; frozen: boolean };
    if (this.#chosen !== undefined && this.#chosen !== server.name) this.#i.switches.add(1);
    this.#chosen = server.name;
    this.#frozen = frozen;
    this.#rebalancedSinceLast = true;
  }

  /** A rebalance ended: `stopped` (cut short by stop(): not counted), `offline`, or `failed` (it threw). */
  rebalanceEnded(stopped: boolean, offline: boolean, failed: boolean): void {
    const chose = this.#rebalancedSinceLast;
    this.#rebalancedSinceLast = false;
    if (stopped) return;
    const outcome: RebalanceOutcome = failed ? 'failure' : offline || !chose ? 'offline' : this.#frozen ? 'frozen' : 'success';
    this.#i.rebalances.add(1, REBALANCE_ATTRS[outcome]);
  }

  started(manager: ObservedManager): void {
    this.#observed = manager;
    this.#i.running.add(manager);
  }

  stopped(): void {
    if (this.#observed !== undefined) this.#i.running.delete(this.#observed);
  }

  /**
   * Runs one call through `run` (the manager's call path), `fn` inside a span named after
   * the call and carrying the server, and counts the result.
   */
  call<T, S extends { name: string }>(
    fn: (server: S, signal: AbortSignal) => Promise<T> | T,
    verdict: CallVerdict,
    run: (traced: (server: S, signal: AbortSignal) => Promise<T> | T) => Promise<T>,
  ): Promise<T> {
    let span: Span | undefined;
    const tracer = this.#tracer.get();
    const traced =
      tracer === undefined
        ? fn
        : (server: S, signal: AbortSignal): Promise<T> | T => {
            const s = (span = startSpan(tracer, SPAN.call, SpanKind.CLIENT, { [ATTR.serverName]: server.name }));
            return withSpan(s, () => fn(server, signal));
          };
    return run(traced).then(
      (value) => {
        this.#i.calls.add(1, CALL_SUCCESS);
        if (span !== undefined) endOk(span);
        return value;
      },
      (err: unknown) => {
        const type = errorType(err);
        const outcome: CallOutcome = type === 'ERR_NO_SERVERS' ? 'no_servers' : verdict.cancelled() ? 'cancelled' : 'failure';
        this.#i.calls.add(1, { [ATTR.outcome]: outcome, [ATTR.errorType]: type });
        if (span !== undefined) endFailed(span, err, type, outcome);
        throw err;
      },
    );
  }
}

/** The telemetry of one manager: validates the provider options, reuses the meter's instruments. */
export function managerTelemetry(options: TelemetryOptions): ManagerTelemetry {
  const t = resolveTelemetry(options);
  let instruments = byMeter.get(t.meter);
  if (instruments === undefined) byMeter.set(t.meter, (instruments = new ManagerInstruments(t.meter)));
  return new ManagerTelemetry(instruments, t.tracer);
}
