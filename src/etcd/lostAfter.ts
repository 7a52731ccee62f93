// When an etcd session is given up locally, in TTLs: its own module so that
// `ae-sync/etcd`'s declarations reach it without reaching the session's etcd3 types.

/**
 * A session is given up locally after this many TTLs without a successful renewal:
 * one, the conservative side of the session contract (docs/catalog.md, "Sessions").
 * etcd holds the lease for TTL × sessionGrace (2 by default) and a new leader
 * refreshes every lease by its full granted TTL, so when the client gives up the
 * entries are still there, and the new session takes them over. An expiry etcd
 * reports (TTL ≤ 0, "lease not found") is acted on at once.
 */
export const LOST_AFTER_TTLS = 1;
