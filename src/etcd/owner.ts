// Who holds a node: the node's registration key `<prefix>/sessions/<node>` is
// created in a transaction only if it does not exist (createRevision == 0), attached
// to the new lease. A key held by a lease that is not one of our own given-up sessions
// (another backend's, or a live session of another agent on this same backend) is
// another live agent with the same node name (the key vanishes with its lease, so it
// exists only while that lease lives): NodeConflictError, as Consul refuses a node-ID conflict.
import type { Etcd3, IRequestOp, ITxnResponse } from 'etcd3';
import { NodeConflictError } from '../catalog/errors.js';

export interface ClaimRequest {
  etcd: Etcd3;
  key: string;
  value: string;
  /** The new lease, in decimal. */
  lease: string;
  /** Whether a lease (decimal id) is one of our own sessions, given up locally: its holder is us, not another agent. */
  ours: (lease: string) => boolean;
  node: string;
  /** Runs one bounded call (deadline and signal come from the caller). */
  call: <T>(run: (options: { deadline: number }) => Promise<T>) => Promise<T>;
}

/**
 * What a claim found: `takenOver` is the lease of our own earlier session the key was
 * moved from; `response` is the transaction that wrote the key (its header revision
 * is the node's first write of this session), absent when the key already was ours.
 */
export interface ClaimResult {
  takenOver?: string;
  response?: ITxnResponse;
}

/** At most this many rounds when the key changes hands between our reads (it expired, someone else took it). */
const CLAIM_ROUNDS = 3;

/** Creates the node's key on `lease`, or moves it from one of our own earlier leases; else NodeConflictError. */
export async function claimNode(req: ClaimRequest): Promise<ClaimResult> {
  const key = Buffer.from(req.key);
  const value = Buffer.from(req.value);
  const put: IRequestOp = { request_put: { key, value, lease: req.lease } };
  for (let round = 0; round < CLAIM_ROUNDS; round++) {
    const created: ITxnResponse = await req.call((o) =>
      req.etcd.kv.txn({ compare: [{ key, target: 'Create', result: 'Equal', create_revision: 0 }], success: [put], failure: [{ request_range: { key } }] }, o),
    );
    if (created.succeeded) return { response: created };
    const holder = created.responses[0]?.response_range?.kvs[0]?.lease;
    if (holder === undefined) continue; // it expired between the compare and the read: try again
    if (holder === req.lease) return {};
    // A key on no lease ('0') is left over from a foreign writer, not a live session: take it.
    if (holder !== '0' && !req.ours(holder)) throw new NodeConflictError(req.node, holder);
    // Our own earlier session (given up locally, still alive in etcd), or no lease: move the key to the new lease.
    const moved: ITxnResponse = await req.call((o) =>
      req.etcd.kv.txn({ compare: [{ key, target: 'Lease', result: 'Equal', lease: holder }], success: [put] }, o),
    );
    if (moved.succeeded) return { takenOver: holder, response: moved };
  }
  throw new Error(`node ${req.node}: the registration key kept changing hands over ${CLAIM_ROUNDS} attempts`);
}
