// One rebalance (Consul agent/router/manager.go RebalanceServers, Nomad
// client/rpc_proxy/rpc_proxy.go): shuffle, ping from the front until a server answers,
// re-ping failed servers so they can be re-admitted, reconcile with the live list,
// clean up dead servers. And the wait between rebalances: the reuse period with
// jitter, stretched so the fleet stays under the per-server connection cap.
import { clampDelay, type Clock } from '../shared/clock.js';
import { deadline } from '../shared/deadline.js';
import { TimeoutError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { attempt } from '../shared/abort.js';
import { randomStagger, rateScaledInterval } from '../shared/stagger.js';
import { NEVER, rank, type ServerEntry } from './health.js';
import type { ManagerSettings } from './options.js';
import type { Emit, Roster } from './roster.js';
import { ServerList } from './serverList.js';

/** What one rebalance works with. Built per rebalance, so an idle manager holds none of it. */
export interface RebalanceContext {
  readonly roster: Roster;
  readonly settings: ManagerSettings;
  readonly clock: Clock;
  /** The manager's checked random source. */
  readonly random: () => number;
  readonly log: Logger;
  readonly emit: Emit;
  /** Aborts on the manager's stop(). */
  readonly lifetime: AbortSignal;
  /** Aborts when the loop's worker is told to (the machine's STOP). */
  readonly loop: AbortSignal | undefined;
}

/**
 * The wait before the next rebalance, ms: `minReuseDuration` plus a random
 * `[0, minReuseDuration / jitterFraction)`, or longer when the fleet would otherwise
 * send more than `connsPerSecPerServer` new connections per second to each of the
 * `servers` it divides by (reachable servers — healthy or suspect — at least 1, with health on). Clamped to
 * the longest timer.
 */
export function rebalanceDelay(settings: ManagerSettings, servers: number, nodes: number, random: () => number): number {
  const floorMs = settings.minReuseMs + randomStagger(settings.minReuseMs / settings.jitterFraction, random);
  return clampDelay(rateScaledInterval(capRate(settings, servers), floorMs, nodes));
}

/**
 * The cap's part of {@link rebalanceDelay} alone, ms: how long `nodes` agents must wait
 * between rebalances so that `servers` see at most `connsPerSecPerServer` each — no
 * reuse floor, no randomness (0 when the rate is too low to scale). The cap binds when
 * this is above the whole reuse jitter window.
 */
export function capIntervalMs(settings: ManagerSettings, servers: number, nodes: number): number {
  return clampDelay(rateScaledInterval(capRate(settings, servers), 0, nodes));
}

function capRate(settings: ManagerSettings, servers: number): number {
  const divisor = settings.health && servers < 1 ? 1 : servers;
  return divisor * settings.connsPerSecPerServer;
}

function stopped(ctx: RebalanceContext): boolean {
  return ctx.lifetime.aborted || ctx.loop?.aborted === true;
}

/** One ping, bounded by `pingTimeout` on the clock and by both stop signals; never rejects. */
async function ping(ctx: RebalanceContext, entry: ServerEntry): Promise<boolean> {
  const server = entry.server;
  const timeoutMs = ctx.settings.pingTimeoutMs;
  const limit = deadline(ctx.clock, timeoutMs, () => new TimeoutError(`ping of ${server.name} timed out after ${timeoutMs} ms`), ctx.lifetime, ctx.loop);
  try {
    const answer = attempt(() => ctx.settings.pinger.ping(server, limit.signal));
    // A pinger that ignores its signal cannot hold the rebalance past the timeout.
    const ok = await Promise.race([answer, limit.abandoned]);
    if (ok !== true) ctx.log.debug({ server: server.name, reason: limit.signal.reason }, 'ping failed');
    return ok === true;
  } catch (err) {
    ctx.log.debug({ server: server.name, err }, 'ping failed');
    return false;
  } finally {
    limit.dispose();
  }
}

/** Entries sorted by choice rank (stable: the shuffled order decides within a rank). */
function byRank(entries: ServerEntry[], health: boolean): ServerEntry[] {
  if (!health) return entries;
  const buckets: ServerEntry[][] = [[], [], []];
  for (const e of entries) (buckets[rank(e, true)] as ServerEntry[]).push(e);
  return buckets.flat();
}

/**
 * Shuffles each group (primaries, backups) and pings in choice order — healthy before
 * suspect before failed, primaries before backups — until one answers; every result
 * feeds that server's health. None answers → offline, order unchanged. Otherwise the
 * failed and suspect servers not pinged yet are re-pinged (re-admitted on success),
 * the new order is reconciled with the live lists (joins and leaves during the pings
 * are kept; if the chosen server itself left, the live order is kept: "frozen"), and a
 * cleanup round removes dead servers. After a stop, changes nothing.
 */
export async function rebalanceOnce(ctx: RebalanceContext): Promise<void> {
  if (stopped(ctx)) return;
  const { roster, settings } = ctx;
  const health = settings.health;
  const usable = (e: ServerEntry) => rank(e, false) !== NEVER;
  const primaries = roster.primaries.filter(usable).shuffled(ctx.random);
  const backups = roster.backups.filter(usable).shuffled(ctx.random);
  const pinged = new Set<ServerEntry>();
  const failedPings: ServerEntry[] = [];
  let chosen: ServerEntry | undefined;
  for (const entry of byRank([...primaries.entries, ...backups.entries], health)) {
    pinged.add(entry);
    const ok = await ping(ctx, entry);
    if (stopped(ctx)) return; // stopped mid-rebalance: change nothing
    if (ok) {
      roster.succeeded(entry, 'ping');
      chosen = entry;
      break;
    }
    roster.failed(entry, 'ping');
    failedPings.push(entry);
  }
  if (chosen === undefined) {
    ctx.log.debug({ servers: pinged.size }, 'no healthy server during rebalance');
    roster.setOffline(true);
    return;
  }
  if (health) {
    const retry = [...roster.primaries.entries, ...roster.backups.entries].filter(
      (e) => (e.state === 'failed' || e.state === 'suspect') && !pinged.has(e),
    );
    const results = await Promise.all(retry.map((e) => ping(ctx, e)));
    if (stopped(ctx)) return;
    retry.forEach((e, i) => (results[i] ? roster.succeeded(e, 'ping') : roster.failed(e, 'ping')));
  }
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
  if (!frozen) roster.reorder(arrange(primaries).reconcile(roster.primaries), arrange(backups).reconcile(roster.backups));
  if (health && settings.cleanupDeadServers) {
    const removed = roster.removeDead(settings.deadServerMs);
    if (removed > 0) ctx.log.info({ removed }, 'removed dead servers');
  }
  const front = roster.chosen;
  if (front === undefined) {
    // Every server left during the pings: there is nothing to be online with.
    roster.setOffline(true);
    return;
  }
  roster.setOffline(false);
  ctx.log.debug({ server: front.server.name, servers: roster.size, frozen }, 'rebalanced servers');
  ctx.emit('rebalanced', { server: front.server, frozen });
}
