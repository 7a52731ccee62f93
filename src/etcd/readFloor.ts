// Stale (serializable) reads that are never older than the agent's own last write.
// A serializable range is answered by the member the agent talks to, from what that
// member has applied, without a ReadIndex round through the leader (Consul PR #5873
// moved anti-entropy reads to stale reads for the same reason). Each node's last
// acknowledged write has a revision; a read whose snapshot is older is thrown away
// and made again linearizably.
import { AeSyncError, brandGuard } from '../shared/errors.js';

/** The response header field the floor is compared with (etcd sends int64 as a decimal string). */
export interface HasRevision {
  header: { revision: string };
}

/** How the reads of one backend went: stale and used, stale but behind (read again), linearizable from the start. */
export interface ReadStats {
  /** Serializable reads whose revision was at or past the node's last write: used as they were. */
  stale: number;
  /** Serializable reads that were behind the node's last write: thrown away and read again linearizably. */
  behind: number;
  /** Reads made linearizably (staleReads off, and every fallback). */
  linearizable: number;
}

/**
 * The revision of each node's last acknowledged write (put, delete, transaction, the
 * session claim), from the response header. Only acknowledged writes count: a write
 * that failed or timed out may have applied at a revision we never learn, but its
 * entry stays dirty and is written again, so no read relies on it. Shared by every
 * member's client of one backend: a write through one member and a read through
 * another must agree. One entry per node this backend has written for.
 */
export class WriteRevisions {
  private readonly byNode = new Map<string, bigint>();
  private highest = 0n;

  /** Records a write acknowledged for `node` (revisions only move forward; a response without a revision is ignored, never thrown on). */
  note(node: string, response: HasRevision): void {
    const revision = parseRevision((response as Partial<HasRevision> | undefined)?.header?.revision);
    if (revision === undefined) return;
    if (revision > (this.byNode.get(node) ?? 0n)) this.byNode.set(node, revision);
    if (revision > this.highest) this.highest = revision;
  }

  /** The oldest revision a read for `node` may reflect: 0 when nothing was written for it (a fresh start). */
  floor(node: string): bigint {
    return this.byNode.get(node) ?? 0n;
  }

  /** The floor of reads that concern every node (the node count): the highest write of any node. */
  floorAll(): bigint {
    return this.highest;
  }
}

function parseRevision(value: unknown): bigint | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  try {
    const revision = BigInt(value);
    return revision >= 0n ? revision : undefined;
  } catch {
    return undefined;
  }
}

/** The revision a response reflects (0 when the header carries none, so it never passes a floor above 0). */
export function revisionOf(response: HasRevision): bigint {
  return parseRevision(response.header?.revision) ?? 0n;
}

/**
 * Even the linearizable read was behind the node's last write (etcd broke its promise,
 * or a proxy answered from a cache): the pass fails rather than act on it.
 */
export class StaleReadError extends AeSyncError {
  constructor(readonly revision: bigint, readonly floor: bigint) {
    super('ERR_STALE_READ', `etcd answered a linearizable read at revision ${revision}, older than this agent's last write at revision ${floor}`);
  }
}
export const isStaleReadError = brandGuard<StaleReadError>('ERR_STALE_READ');

/**
 * Runs `read` serializably when `staleReads` is on and uses the answer when its
 * revision is at least `floor`; otherwise (or when stale reads are off) runs it
 * linearizably. `read(serializable)` returns the value with the revision of the
 * snapshot it was taken from.
 */
export async function readNoOlderThan<T>(
  staleReads: boolean,
  floor: bigint,
  stats: ReadStats,
  read: (serializable: boolean) => Promise<{ value: T; revision: bigint }>,
): Promise<T> {
  if (staleReads) {
    const stale = await read(true);
    if (stale.revision >= floor) {
      stats.stale++;
      return stale.value;
    }
    stats.behind++;
  }
  stats.linearizable++;
  const fresh = await read(false);
  if (fresh.revision < floor) throw new StaleReadError(fresh.revision, floor);
  return fresh.value;
}
