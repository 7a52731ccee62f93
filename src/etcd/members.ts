// Membership: the etcd member list turned into servers, and the diff between two
// lists turned into join/leave/update events. A server's name is its client
// address (`host:port`), the same name `initialServers()` gives an endpoint, so
// an endpoint and the member behind it are one server; the etcd member name and
// ID ride along in `meta`. A member that is down is still a member: health is the
// pinger's business, not membership's.
import type { IMember } from 'etcd3';
import type { MembershipEvent } from '../catalog/backend.js';
import type { Server } from '../catalog/backend.js';
import { parseEndpoint } from './options.js';

/** Servers for a member list: one per member with a client URL; learners are skipped (they serve no reads). */
export function membersToServers(members: readonly IMember[], tls: boolean): Server[] {
  const servers: Server[] = [];
  for (const member of members) {
    if (member.isLearner) continue;
    const url = member.clientURLs[0];
    if (url === undefined) continue; // not started yet
    let endpoint;
    try {
      endpoint = parseEndpoint('clientURL', url, tls);
    } catch {
      continue;
    }
    const server: Server = { name: endpoint.address, address: endpoint.address, meta: { memberId: String(member.ID), memberName: member.name } };
    if (endpoint.secure) server.useTLS = true;
    servers.push(server);
  }
  return servers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function sameServer(a: Server, b: Server): boolean {
  if (a.address !== b.address || Boolean(a.useTLS) !== Boolean(b.useTLS)) return false;
  const am = a.meta ?? {};
  const bm = b.meta ?? {};
  const keys = Object.keys(am);
  return keys.length === Object.keys(bm).length && keys.every((k) => am[k] === bm[k]);
}

/** Events turning `previous` into `next`, in a deterministic order: leaves, then joins and updates by name. */
export function diffServers(previous: readonly Server[], next: readonly Server[]): MembershipEvent[] {
  const before = new Map(previous.map((s) => [s.name, s]));
  const after = new Map(next.map((s) => [s.name, s]));
  const events: MembershipEvent[] = [];
  for (const [name, server] of before) if (!after.has(name)) events.push({ type: 'leave', server });
  for (const server of next) {
    const old = before.get(server.name);
    if (old === undefined) events.push({ type: 'join', server });
    else if (!sameServer(old, server)) events.push({ type: 'update', server });
  }
  return events;
}
