// The cluster size comes from outside (gossip, a heartbeat, a store query): a
// throw or nonsense must never stop a timer from being armed. The rule, for every
// reader: a finite number ≥ 1 is used as it is, anything else counts as 1 node.
// A `clusterSize()` option that gives less than 1 is reported once (it is a bug in
// the caller's code); a count the servers return may be 0 (nobody registered yet).

/** A usable size from an untrusted value, or undefined when it is not a finite number ≥ 0. */
export function usableClusterSize(value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return undefined;
  return value < 1 ? 1 : value;
}

/** Reads a `clusterSize()` option safely; the first bad read is handed to `warn`, later ones are silent. */
export class ClusterSizeReader {
  #warned = false;
  constructor(
    private readonly read: () => number,
    private readonly warn: (details: { err: unknown } | { value: unknown }) => void,
  ) {}

  size(): number {
    let value: unknown;
    try {
      value = this.read();
    } catch (err) {
      this.report({ err });
      return 1;
    }
    if (typeof value === 'number' && Number.isFinite(value) && value >= 1) return value;
    this.report({ value });
    return 1;
  }

  private report(details: { err: unknown } | { value: unknown }): void {
    if (this.#warned) return;
    this.#warned = true;
    this.warn(details);
  }
}
