// What an inspector sees of the server manager: the front server (where the next RPC
// goes) and each listed server's health, as short strings a live view can print. Built
// only while the manager is inspected, at most once per burst of changes.
import type { Roster } from './roster.js';

/** The list as an inspector reads it: `servers` in list order, each `name state` (backups marked). */
export interface ServerPicture {
  front: string | null;
  servers: string[];
}

/** The list is shown up to this many servers; the rest are counted. */
export const MAX_PICTURED_SERVERS = 20;

export function serverPicture(roster: Roster): ServerPicture {
  const servers: string[] = [];
  let listed = 0;
  const add = (name: string, state: string, backup: boolean): void => {
    if (++listed <= MAX_PICTURED_SERVERS) servers.push(`${name} ${state}${backup ? ' (backup)' : ''}`);
  };
  for (const e of roster.primaries.entries) add(e.server.name, e.state, false);
  for (const e of roster.backups.entries) add(e.server.name, e.state, true);
  if (listed > MAX_PICTURED_SERVERS) servers.push(`… ${listed - MAX_PICTURED_SERVERS} more`);
  return { front: roster.chosen?.server.name ?? null, servers };
}
