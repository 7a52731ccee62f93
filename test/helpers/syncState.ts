// A scriptable SyncState for syncer tests: records every call with its clock time
// and signal, and lets the test settle each call when it wants (or auto-settle).
import type { SyncState } from '../../src/syncer/stateSyncer.js';
import type { TestClock } from '../../src/testing.js';

export type Kind = 'syncFull' | 'syncChanges';

export interface Call {
  kind: Kind;
  at: number;
  signal: AbortSignal;
  settled: boolean;
  resolve(): void;
  reject(err?: unknown): void;
}

export interface ScriptedState extends SyncState {
  calls: Call[];
  /** How new calls settle: 'manual' leaves them pending; otherwise they settle at once. */
  mode: { syncFull: 'resolve' | 'reject' | 'manual' | 'throw'; syncChanges: 'resolve' | 'reject' | 'manual' | 'throw' };
  /** Largest number of calls that were unsettled at the same time. */
  maxConcurrent: number;
  last(kind?: Kind): Call | undefined;
  times(kind: Kind): number[];
  inFlight(): number;
}

export function scriptedState(clock: TestClock): ScriptedState {
  const state: ScriptedState = {
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
  function record(kind: Kind, signal: AbortSignal): Promise<void> {
    const mode = state.mode[kind];
    if (mode === 'throw') {
      state.calls.push({ kind, at: clock.now, signal, settled: true, resolve() {}, reject() {} });
      throw new Error(`${kind} threw synchronously`);
    }
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const call: Call = {
      kind,
      at: clock.now,
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

/** Lets pending promise callbacks run without advancing the fake clock. */
export async function flush(clock: TestClock): Promise<void> {
  await clock.tickAsync(0);
}
