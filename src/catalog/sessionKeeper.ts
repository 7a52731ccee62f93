// The registry's session: opened on demand through the server manager, watched for
// loss (then every entry is rewritten under a new one), revoked on close. A node held
// by another live session (two agents, one node name) is refused, logged loudly and retried.
import type { CatalogBackend, NodeSession } from './backend.js';
import { clockNow, type Clock } from '../shared/clock.js';
import { StoppedError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { RateLimit } from '../shared/rateLimit.js';
import { isNodeConflictError, type NodeConflictError } from './errors.js';
import type { RemoteCall } from './remoteCall.js';

/** How often a node conflict is logged at error level (the full sync retrying it fails every time). */
const CONFLICT_LOG_INTERVAL_MS = 60_000;

export interface SessionCounters {
  sessionsOpened: number;
  sessionsLost: number;
  nodeConflicts: number;
}

export interface SessionKeeperDeps {
  node: string;
  ttlMs: number;
  backend: CatalogBackend;
  clock: Clock;
  log: Logger;
  counters: SessionCounters;
  remote: <T>(signal: AbortSignal, call: RemoteCall<T>) => Promise<T>;
  /** The session was lost: every entry must be rewritten under a new one. */
  onLost: () => void;
}

type Opened = { session: NodeSession } | { conflict: NodeConflictError };

export class SessionKeeper {
  private session: NodeSession | undefined;
  private opening: Promise<Opened> | undefined;
  private closed = false;
  /** The last session we lost: the servers may still hold it for its grace (then the conflict is with ourselves). */
  private lostId: string | undefined;
  private readonly conflictLog = new RateLimit(CONFLICT_LOG_INTERVAL_MS);

  constructor(private readonly d: SessionKeeperDeps) {}

  get id(): string | undefined {
    return this.session?.id;
  }

  /** The current session, opening one (through the manager) when there is none. */
  async ensure(signal: AbortSignal): Promise<NodeSession> {
    if (this.session) return this.session;
    if (this.closed) throw new StoppedError('registry is closed');
    const d = this.d;
    // A conflict is returned, not thrown, inside the manager's call: it says nothing
    // against the server that reported it, which must not be rotated away for it.
    this.opening ??= d
      .remote<Opened>(signal, (_client, server, sig) =>
        d.backend.openSession(server, d.node, d.ttlMs, sig).then(
          (session) => ({ session }),
          (err: unknown) => {
            if (isNodeConflictError(err)) return { conflict: err };
            throw err;
          },
        ),
      )
      .finally(() => {
        this.opening = undefined;
      });
    const opened = await this.opening;
    if ('conflict' in opened) throw this.conflicted(opened.conflict);
    const { session } = opened;
    if (this.session) return this.session;
    if (this.closed) {
      await session.close();
      throw new StoppedError('registry is closed');
    }
    this.session = session;
    d.counters.sessionsOpened++;
    d.log.info({ session: session.id }, 'session opened');
    session.onLost((err) => this.lost(session, err));
    return session;
  }

  /** Revokes the session (its entries vanish). Never rejects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const session = this.session;
    this.session = undefined;
    if (session) await session.close().catch((err: unknown) => this.d.log.warn({ err }, 'closing the session failed'));
  }

  private conflicted(err: NodeConflictError): NodeConflictError {
    const d = this.d;
    d.counters.nodeConflicts++;
    if (err.holder !== undefined && err.holder === this.lostId) {
      // Our own lost session, still within the servers' grace: it expires on its own.
      d.log.warn({ holder: err.holder }, 'the servers still hold our lost session; retrying once it expires');
    } else if (this.conflictLog.allow(clockNow(d.clock))) {
      d.log.error(
        { err, holder: err.holder, conflicts: d.counters.nodeConflicts },
        'another live session holds this node name: two agents share it, or a dead agent\'s session has not expired yet; retrying at every full sync',
      );
    }
    return err;
  }

  private lost(session: NodeSession, err: unknown): void {
    if (this.session !== session || this.closed) return;
    this.session = undefined;
    this.lostId = session.id;
    this.d.counters.sessionsLost++;
    this.d.log.warn({ session: session.id, err }, 'session lost; re-registering');
    session.close().catch(() => undefined);
    this.d.onLost();
  }
}
