// One rebalance as steps without I/O (Consul agent/router/manager.go RebalanceServers,
// Nomad client/rpc_proxy/rpc_proxy.go): plan (shuffle each group, rank by health), feed
// each ping's answer to the roster until one server answers, re-ping the failed and
// suspect servers, arrange the new order and clean up dead servers. The manager's
// rebalanceOnce awaits real pings between the steps; the simulator's engine gives the
// answers of its network model. Both run these same steps.
import { NEVER, rank, type ServerEntry } from './health.js';
import type { ManagerSettings } from './options.js';
import type { Roster } from './roster.js';
import { ServerList } from './serverList.js';
import type { Server } from './types.js';

/** One rebalance in progress. */
export interface RebalancePlan {
  /** Each group, shuffled (usable servers only). */
  readonly primaries: ServerList;
  readonly backups: ServerList;
  /** The ping order: choice rank, then the shuffled order. */
  readonly order: readonly ServerEntry[];
  /** Index of the next entry of `order` to ping. */
  next: number;
  readonly pinged: Set<ServerEntry>;
  readonly failedPings: ServerEntry[];
  /** The first server that answered; undefined until one does. */
  chosen: ServerEntry | undefined;
}

/** Entries sorted by choice rank (stable: the shuffled order decides within a rank). */
function byRank(entries: ServerEntry[], health: boolean): ServerEntry[] {
  if (!health) return entries;
  const buckets: ServerEntry[][] = [[], [], []];
  for (const e of entries) (buckets[rank(e, true)] as ServerEntry[]).push(e);
  return buckets.flat();
}

/** Shuffles each group with `random` (primaries first) and orders the pings. */
export function planRebalance(roster: Roster, health: boolean, random: () => number): RebalancePlan {
  const usable = (e: ServerEntry) => rank(e, false) !== NEVER;
  const primaries = roster.primaries.filter(usable).shuffled(random);
  const backups = roster.backups.filter(usable).shuffled(random);
  const order = byRank([...primaries.entries, ...backups.entries], health);
  return { primaries, backups, order, next: 0, pinged: new Set(), failedPings: [], chosen: undefined };
}

/** The next server to ping, or undefined when one answered or none is left. */
export function nextPing(plan: RebalancePlan): ServerEntry | undefined {
  if (plan.chosen !== undefined || plan.next >= plan.order.length) return undefined;
  const entry = plan.order[plan.next++] as ServerEntry;
  plan.pinged.add(entry);
  return entry;
}

/** A ping's answer: feeds the server's health; the first that answers is chosen. */
export function pingAnswered(plan: RebalancePlan, roster: Roster, entry: ServerEntry, ok: boolean): void {
  if (ok) {
    roster.succeeded(entry, 'ping');
    plan.chosen = entry;
  } else {
    roster.failed(entry, 'ping');
    plan.failedPings.push(entry);
  }
}

/** With health on and a server chosen: the failed and suspect servers not pinged yet, to re-ping together. */
export function retryList(plan: RebalancePlan, roster: Roster, health: boolean): ServerEntry[] {
  if (!health || plan.chosen === undefined) return [];
  return [...roster.primaries.entries, ...roster.backups.entries].filter(
    (e) => (e.state === 'failed' || e.state === 'suspect') && !plan.pinged.has(e),
  );
}

/** The re-pings' answers, in the order of {@link retryList}. */
export function retryAnswered(roster: Roster, retry: readonly ServerEntry[], results: readonly boolean[]): void {
  retry.forEach((e, i) => (results[i] ? roster.succeeded(e, 'ping') : roster.failed(e, 'ping')));
}

/** How a rebalance ended: the front server (undefined: offline), whether the order was frozen, dead servers removed. */
export interface RebalanceOutcome {
  front: Server | undefined;
  frozen: boolean;
  removed: number;
}

/**
 * Ends a rebalance: no server answered → offline, order unchanged. Otherwise the chosen
 * server goes first, the servers that failed their ping last, the new order is
 * reconciled with the live lists (if the chosen server itself left during the pings, the
 * live order is kept: frozen), dead servers are cleaned up, and offline is cleared if a
 * server is left.
 */
export function arrangeRebalance(plan: RebalancePlan, roster: Roster, settings: Pick<ManagerSettings, 'health' | 'cleanupDeadServers' | 'deadServerMs'>): RebalanceOutcome {
  const chosen = plan.chosen;
  if (chosen === undefined) {
    roster.setOffline(true);
    return { front: undefined, frozen: false, removed: 0 };
  }
  const failedPings = plan.failedPings;
  const failedSet = new Set(failedPings);
  const arrange = (group: ServerList): ServerList => {
    const next: ServerEntry[] = [];
    if (group.get(chosen.server.name) === chosen) next.push(chosen);
    for (const e of group.entries) if (e !== chosen && !failedSet.has(e)) next.push(e);
    for (const e of failedPings) if (group.get(e.server.name) === e) next.push(e);
    return ServerList.of(next);
  };
  // Freeze in place when the chosen server left during the pings: keep the live
  // order until the next rebalance rather than guess.
  const frozen = roster.find(chosen.server.name) !== chosen;
  if (!frozen) roster.reorder(arrange(plan.primaries).reconcile(roster.primaries), arrange(plan.backups).reconcile(roster.backups));
  const removed = settings.health && settings.cleanupDeadServers ? roster.removeDead(settings.deadServerMs) : 0;
  const front = roster.chosen;
  // Every server left during the pings: there is nothing to be online with.
  roster.setOffline(front === undefined);
  return { front: front?.server, frozen, removed };
}
