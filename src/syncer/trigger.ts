// A coalescing, never-lost trigger: calling trigger() many times before the
// syncer gets to it asks for one run. Consul's ae.Trigger is a 1-buffered channel;
// here the "buffer" is a flag in the machine's context (or the syncer's, before start).

/** Who a trigger fires into. The StateSyncer implements this for its two triggers. */
export interface TriggerTarget<K extends string> {
  fire(kind: K): void;
  isPending(kind: K): boolean;
}

export class Trigger<K extends string = string> {
  constructor(
    private readonly target: TriggerTarget<K>,
    /** Which trigger this is (`'syncFull'` or `'syncChanges'` on a StateSyncer). */
    readonly kind: K,
  ) {}

  /** Asks for a run. Never blocks, never throws; repeated calls before the run coalesce into one. */
  trigger(): void {
    this.target.fire(this.kind);
  }

  /** True from `trigger()` until the syncer consumes it (starts the run that satisfies it). */
  get pending(): boolean {
    return this.target.isPending(this.kind);
  }
}
