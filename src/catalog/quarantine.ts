// Quarantine of entries the servers refuse (Consul PR #4771 keeps syncing past a
// failing entry; Consul's ACL-blocked entries are marked in sync and counted): how
// a failed write decides to block its entry, and the rate-limited warning naming it.
import { type Clock, clockNow } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { isRefusedWriteError } from './errors.js';
import type { Entry, EntryKind, EntryTable } from './entries.js';

/** How many blocked entries one warning names (the count covers the rest). */
const NAMED_PER_WARNING = 10;

export interface QuarantinePolicy {
  /** Passes in a row an entry may fail with an unclassified error before it is blocked. */
  blockAfterFailures: number;
  warnIntervalMs: number;
  clock: Clock;
  log: Logger;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class Quarantine {
  private lastWarnAt = -Infinity;
  private suppressed = 0;

  constructor(
    private readonly tables: Record<EntryKind, EntryTable>,
    private readonly policy: QuarantinePolicy,
  ) {}

  /**
   * A write of `entry` failed for this pass (every attempt spent). Returns true when
   * the entry is (now or still) blocked, so the failure does not fail the pass: the
   * server refused it for good, it was already blocked, or it has failed
   * `blockAfterFailures` passes in a row with any error.
   */
  failed(entry: Entry, err: unknown): boolean {
    entry.failedPasses++;
    let reason: string | undefined;
    if (isRefusedWriteError(err)) reason = `${err.reason}: ${message(err)}`;
    else if (entry.blocked || entry.failedPasses >= this.policy.blockAfterFailures) reason = `failed ${entry.failedPasses} passes in a row: ${message(err)}`;
    if (reason === undefined) return false;
    const since = entry.blocked?.since ?? clockNow(this.policy.clock);
    this.tables[entry.kind].block(entry, { reason, since });
    this.warn(entry);
    return true;
  }

  /** A write of `entry` landed: the count restarts and any block is lifted. */
  succeeded(entry: Entry): void {
    entry.failedPasses = 0;
    if (entry.blocked) {
      this.policy.log.info({ id: entry.id, blockedSince: entry.blocked.since }, 'quarantined catalog entry accepted by the servers again');
      this.tables[entry.kind].unblock(entry);
    }
  }

  /** New local content: whatever the servers refused is no longer what is owed. */
  reset(entry: Entry): void {
    entry.failedPasses = 0;
    this.tables[entry.kind].unblock(entry);
  }

  /** Every quarantined entry: node info, services, then checks, each sorted by id. */
  blocked(): Entry[] {
    return [...this.tables.node.blocked(), ...this.tables.service.blocked(), ...this.tables.check.blocked()];
  }

  count(): number {
    return this.tables.node.blockedCount + this.tables.service.blockedCount + this.tables.check.blockedCount;
  }

  /** At most one warning per `warnIntervalMs`, naming this entry, its reason and the first blocked ones. */
  private warn(entry: Entry): void {
    const now = clockNow(this.policy.clock);
    if (now - this.lastWarnAt < this.policy.warnIntervalMs) {
      this.suppressed++;
      return;
    }
    this.lastWarnAt = now;
    const named = this.blocked().slice(0, NAMED_PER_WARNING).map((e) => ({ id: e.id, kind: e.kind, reason: e.blocked?.reason }));
    this.policy.log.warn(
      { id: entry.id, kind: entry.kind, reason: entry.blocked?.reason, blocked: this.count(), entries: named, suppressedWarnings: this.suppressed },
      'catalog entry refused by the servers: quarantined, retried once per full sync until its content changes or a write lands',
    );
    this.suppressed = 0;
  }
}
