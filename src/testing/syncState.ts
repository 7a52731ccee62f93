// A scripted SyncState: records every call with its clock time and signal, and
// settles each call as the test says (at once, by rejecting, by throwing, or
// later by hand). For tests of code that embeds a StateSyncer.
import { clockNow, type Clock } from '../shared/clock.js';
import type { SyncKind, SyncState } from '../syncer/syncRunner.js';

/** One call of a scripted SyncState. */
export interface SyncCall {
  kind: SyncKind;
  /** Clock time of the call, ms. */
  at: number;
  signal: AbortSignal;
  settled: boolean;
  resolve(): void;
  reject(err?: unknown): void;
}

/** How new calls of one kind settle: at once, rejected, thrown synchronously, or left pending ('manual'). */
export type SyncCallMode = 'resolve' | 'reject' | 'manual' | 'throw';

export interface ScriptedSyncState extends SyncState {
  /** Every call so far, oldest first. */
  calls: SyncCall[];
  /** Change at any time; applies to later calls. Defaults to 'resolve' for both kinds. */
  mode: Record<SyncKind, SyncCallMode>;
  /** Largest number of calls that were unsettled at the same time. */
  maxConcurrent: number;
  last(kind?: SyncKind): SyncCall | undefined;
  /** Clock times of the calls of `kind`. */
  times(kind: SyncKind): number[];
  /** Calls not settled yet. */
  inFlight(): number;
}

/** Makes a scripted SyncState whose call times come from `clock`. */
export function scriptedSyncState(clock: Clock): ScriptedSyncState {
  const state: ScriptedSyncState = {
    calls: [],
    mode: { syncFull: 'resolve', syncChanges: 'resolve' },
    maxConcurrent: 0,
    last(kind) {
      const list = kind ? state.calls.filter((c) => c.kind === kind) : state.calls;
      return list[list.length - 1];
    },
    times(kind) {
      return state.calls.filter((c) => c.kind === kind).map((c) => c.at);
    },
    inFlight() {
      return state.calls.filter((c) => !c.settled).length;
    },
    syncFull: (signal) => record('syncFull', signal),
    syncChanges: (signal) => record('syncChanges', signal),
  };
  function record(kind: SyncKind, signal: AbortSignal): Promise<void> {
    const mode = state.mode[kind];
    const at = clockNow(clock);
    if (mode === 'throw') {
      state.calls.push({ kind, at, signal, settled: true, resolve() {}, reject() {} });
      throw new Error(`${kind} threw synchronously`);
    }
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const call: SyncCall = {
      kind,
      at,
      signal,
      settled: false,
      resolve() {
        call.settled = true;
        resolve();
      },
      reject(err = new Error(`${kind} failed`)) {
        call.settled = true;
        reject(err);
      },
    };
    state.calls.push(call);
    state.maxConcurrent = Math.max(state.maxConcurrent, state.inFlight());
    if (mode === 'resolve') call.resolve();
    if (mode === 'reject') call.reject();
    return promise;
  }
  return state;
}
