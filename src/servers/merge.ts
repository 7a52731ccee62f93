// Nomad's list merges (client/rpc_proxy/rpc_proxy.go): a new primary list (setServers),
// a new backup list (setBackupServers, discovery) and a heartbeat. Each builds the new
// lists in O(n), reusing the entry — and so the health — of every name that stays,
// and hands them to the roster, which reports what entered and left.
import { ServerEntry } from './health.js';
import type { Roster } from './roster.js';
import { ServerList } from './serverList.js';
import type { Server } from './types.js';

/**
 * Replaces the primaries. Same names: details refreshed, order kept (Nomad #4997),
 * returns false. Otherwise they become `order(list)` (the caller shuffles), reusing
 * each known name's entry; backups named here are promoted. Clears offline when the
 * new list is not empty.
 */
export function replacePrimaries(roster: Roster, incoming: Server[], now: number, order: (list: ServerList) => ServerList): boolean {
  const before = roster.primaries;
  const backups = roster.backups;
  const entries = incoming.map((s) => before.get(s.name) ?? backups.get(s.name) ?? new ServerEntry(s, now));
  entries.forEach((e, i) => (e.server = incoming[i] as Server));
  const next = ServerList.of(entries);
  if (next.sameNames(before)) return false;
  roster.install(order(next), backups.filter((e) => !next.has(e.server.name)), 'replaced', next.size > 0);
  return true;
}

/** Replaces the backups: old ones still named keep their place, new ones are appended; names that are primaries stay primaries. */
export function replaceBackups(roster: Roster, incoming: Server[], now: number): void {
  const primaries = roster.primaries;
  const named = new Map<string, Server>();
  for (const s of incoming) if (!primaries.has(s.name)) named.set(s.name, s);
  const kept = roster.backups.filter((e) => named.has(e.server.name));
  const entries = kept.entries.slice();
  for (const e of entries) e.server = named.get(e.server.name) as Server;
  for (const s of named.values()) if (!kept.has(s.name)) entries.push(new ServerEntry(s, now));
  roster.install(primaries, ServerList.of(entries), 'replaced');
}

/**
 * Merges a heartbeat (Nomad's UpdateFromNodeUpdateResponse): primaries it lacks are
 * removed, known ones refreshed in place, backups it names promoted and new ones
 * appended to the primaries (they see use after a failure or the next rebalance).
 */
export function mergeHeartbeat(roster: Roster, incoming: Server[], now: number): void {
  const named = new Map<string, Server>();
  for (const s of incoming) named.set(s.name, s);
  const kept = roster.primaries.filter((e) => named.has(e.server.name));
  const entries = kept.entries.slice();
  for (const e of entries) e.server = named.get(e.server.name) as Server;
  for (const s of incoming) {
    if (kept.has(s.name)) continue;
    const entry = roster.backups.get(s.name) ?? new ServerEntry(s, now);
    entry.server = s;
    entries.push(entry);
  }
  const primaries = ServerList.of(entries);
  roster.install(primaries, roster.backups.filter((e) => !primaries.has(e.server.name)), 'heartbeat');
}
