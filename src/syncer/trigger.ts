// A coalescing, never-lost trigger: calling trigger() many times before the
// syncer gets to it asks for one run. Consul's ae.Trigger is a 1-buffered channel;
// here the "buffer" is a flag in the machine's context (or the syncer's, before start).
import type { SyncKind } from './syncRunner.js';

/** One of a StateSyncer's two triggers (`syncer.syncFull`, `syncer.syncChanges`). */
export interface Trigger {
  /** Which trigger this is. */
  readonly kind: SyncKind;
  /** Asks for a run. Never blocks, never throws; repeated calls before the run coalesce into one. */
  trigger(): void;
  /** True from `trigger()` until the syncer consumes it (starts the run that satisfies it). */
  readonly pending: boolean;
}

/** What a trigger fires into: the syncer's internals (src/syncer/syncerEnv.ts), never the public StateSyncer. */
export interface TriggerTarget {
  fire(kind: SyncKind): void;
  isPending(kind: SyncKind): boolean;
}

/** Told of every trigger() (the syncer's telemetry); `coalesced` when a run was already pending. */
export interface TriggerObserver {
  triggered(kind: SyncKind, coalesced: boolean): void;
}

export class SyncTrigger implements Trigger {
  readonly #target: TriggerTarget;
  readonly #observer: TriggerObserver | undefined;
  readonly kind: SyncKind;

  constructor(target: TriggerTarget, kind: SyncKind, observer?: TriggerObserver) {
    this.#target = target;
    this.kind = kind;
    this.#observer = observer;
  }

  trigger(): void {
    this.#observer?.triggered(this.kind, this.#target.isPending(this.kind));
    this.#target.fire(this.kind);
  }

  get pending(): boolean {
    return this.#target.isPending(this.kind);
  }
}
