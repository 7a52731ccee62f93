// The registry's health checks: registration, status and output updates, and the
// deferral of output-only updates (Consul agent/local/state.go, #157 → PR #204):
// a check whose status did not change but whose output did is written at most once
// per checkUpdateInterval, d/2 + U(0, d) after the first deferred change. Unlike
// Consul: the first output is written at once (#9113), each check may set its own
// interval (#1665), and removing or closing cancels the timer (#18429).
import type { Check, CheckStatus } from './backend.js';
import { type Clock, MAX_TIMER_MS } from '../shared/clock.js';
import { checkRandomValue } from '../shared/random.js';
import { describeValue, durationMs } from '../shared/options.js';
import type { Entry, EntryTable } from './entries.js';
import { MAX_CHECKS, checksEqual, validateCheck, validateCheckOutput, validateCheckStatus } from './validateCheck.js';
import { validateServiceId } from './validate.js';

/** What `registerCheck` takes: a check, and optionally its own output-update interval. */
export interface CheckRegistration extends Check {
  /** This check's `checkUpdateInterval`, ms (0: never defer). Defaults to the registry's. */
  checkUpdateInterval?: number;
}

export interface CheckBookDeps {
  table: EntryTable;
  clock: Clock;
  random: () => number;
  /** The registry's default deferral, ms. */
  intervalMs: number;
  /** Bumps the version, marks dirty, lifts any quarantine and pulls the partial-sync trigger. */
  changed: (entry: Entry) => void;
  /** Whether a service with this id is registered. */
  hasService: (id: string) => boolean;
}

export class CheckBook {
  private live = 0;
  /** Pending output-only updates, by check id. */
  private readonly deferred = new Map<string, unknown>();
  /** Per-check intervals that differ from the default. */
  private readonly intervals = new Map<string, number>();
  /** Check ids bound to each service id, so a service takes its checks with it. */
  private readonly byService = new Map<string, Set<string>>();

  constructor(private readonly d: CheckBookDeps) {}

  get size(): number {
    return this.live;
  }

  get deferredCount(): number {
    return this.deferred.size;
  }

  /** True while an output-only change of `id` waits for its deferred write. */
  isDeferred(id: string): boolean {
    return this.deferred.has(id);
  }

  register(input: CheckRegistration): boolean {
    if (typeof input !== 'object' || input === null) throw new TypeError(`check must be an object, received ${describeValue(input)}`);
    const { checkUpdateInterval, ...rest } = input;
    const intervalMs = checkUpdateInterval === undefined ? undefined : durationMs('checkUpdateInterval', checkUpdateInterval, undefined, { allowZero: true });
    const check = validateCheck(rest);
    if (check.serviceId !== undefined && !this.d.hasService(check.serviceId)) {
      throw new RangeError(`check ${describeValue(check.id)} names service ${describeValue(check.serviceId)}, which is not registered`);
    }
    let entry = this.d.table.get(check.id);
    const previous = entry?.value as Check | undefined;
    if (!previous && this.live >= MAX_CHECKS) throw new RangeError(`registry holds at most ${MAX_CHECKS} checks; refusing ${describeValue(check.id)}`);
    if (intervalMs === undefined) this.intervals.delete(check.id);
    else this.intervals.set(check.id, intervalMs);
    if (previous && checksEqual(previous, check)) return false;
    entry ??= this.d.table.create(check.id);
    if (!previous) this.live++;
    this.unbind(previous);
    this.bind(check);
    this.cancel(check.id);
    entry.value = check;
    this.d.changed(entry);
    return true;
  }

  /**
   * New status and/or output of a registered check. A status change is written at
   * once; an output-only change waits for the check's deferral, except the first
   * output and with an interval of 0. Throws RangeError for an unknown id.
   */
  update(id: string, status: CheckStatus, output?: string): boolean {
    validateServiceId(id, 'check id');
    validateCheckStatus(status);
    if (output !== undefined) validateCheckOutput(output);
    const entry = this.d.table.get(id);
    const previous = entry?.value as Check | undefined;
    if (!entry || !previous) throw new RangeError(`no check registered with id ${describeValue(id)}`);
    const next: Check = Object.freeze({ ...previous, status, ...(output === undefined ? {} : { output }) });
    if (checksEqual(previous, next)) return false;
    const intervalMs = this.intervals.get(id) ?? this.d.intervalMs;
    const firstOutput = (previous.output ?? '') === '';
    if (status !== previous.status || firstOutput || intervalMs === 0 || entry.dirty) {
      // A status change, the first output, no deferral, or a write already owed (it
      // carries the new output too): write now, and drop a pending deferred write.
      this.cancel(id);
      entry.value = next;
      this.d.changed(entry);
      return true;
    }
    entry.value = next; // the local state is current; only the write waits
    if (!this.deferred.has(id)) this.arm(entry, intervalMs);
    return true;
  }

  deregister(id: string): boolean {
    validateServiceId(id, 'check id');
    const entry = this.d.table.get(id);
    const previous = entry?.value as Check | undefined;
    if (!entry || !previous) return false;
    this.cancel(id);
    this.intervals.delete(id);
    this.unbind(previous);
    entry.value = undefined;
    this.live--;
    this.d.changed(entry);
    return true;
  }

  /** Deregisters every check bound to `serviceId`; their ids. */
  deregisterBound(serviceId: string): string[] {
    const ids = [...(this.byService.get(serviceId) ?? [])];
    for (const id of ids) this.deregister(id);
    return ids;
  }

  /** Cancels every pending deferred write (the registry is closing). */
  cancelAll(): void {
    for (const id of [...this.deferred.keys()]) this.cancel(id);
  }

  private arm(entry: Entry, intervalMs: number): void {
    // Consul's stagger: d/2 + U(0, d), so a fleet's deferred writes spread over a whole interval.
    const delayMs = Math.min(MAX_TIMER_MS, intervalMs / 2 + checkRandomValue(this.d.random()) * intervalMs);
    const handle = this.d.clock.setTimeout(() => {
      if (this.deferred.get(entry.id) !== handle) return;
      this.deferred.delete(entry.id);
      if (this.d.table.get(entry.id) === entry && entry.value) this.d.changed(entry);
    }, delayMs);
    this.deferred.set(entry.id, handle);
  }

  private cancel(id: string): void {
    const handle = this.deferred.get(id);
    if (handle === undefined) return;
    this.deferred.delete(id);
    this.d.clock.clearTimeout(handle);
  }

  private bind(check: Check): void {
    if (check.serviceId === undefined) return;
    let ids = this.byService.get(check.serviceId);
    if (!ids) this.byService.set(check.serviceId, (ids = new Set()));
    ids.add(check.id);
  }

  private unbind(check: Check | undefined): void {
    if (check?.serviceId === undefined) return;
    const ids = this.byService.get(check.serviceId);
    ids?.delete(check.id);
    if (ids?.size === 0) this.byService.delete(check.serviceId);
  }
}
