// One rebalance (Consul agent/router/manager.go RebalanceServers, Nomad
// client/rpc_proxy/rpc_proxy.go): shuffle, ping from the front until a server answers,
// re-ping failed servers so they can be re-admitted, reconcile with the live list,
// clean up dead servers. And the wait between rebalances: the reuse period with
// jitter, stretched so the fleet stays under the per-server connection cap.
import { clampDelay } from '../shared/clock.js';
import type { DeadlineSeries } from '../shared/deadline.js';
import { TimeoutError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { attempt } from '../shared/abort.js';
import { randomStagger, rateScaledInterval } from '../shared/stagger.js';
import type { ServerEntry } from './health.js';
import type { ManagerSettings } from './options.js';
import { arrangeRebalance, nextPing, pingAnswered, planRebalance, retryAnswered, retryList } from './rebalanceSteps.js';
import type { Emit, Roster } from './roster.js';

/** What one rebalance works with. Built per rebalance, so an idle manager holds none of it. */
export interface RebalanceContext {
  readonly roster: Roster;
  readonly settings: ManagerSettings;
  /** The manager's checked random source. */
  readonly random: () => number;
  readonly log: Logger;
  readonly emit: Emit;
  /** Aborts on the manager's stop(). */
  readonly lifetime: AbortSignal;
  /** Aborts when the loop's worker is told to (the machine's STOP). */
  readonly loop: AbortSignal | undefined;
  /** The manager's ping deadlines: one signal serves its pings until one aborts. */
  readonly pings: DeadlineSeries;
}

/** The settings the wait between rebalances reads. */
export type DelaySettings = Pick<ManagerSettings, 'minReuseMs' | 'jitterFraction' | 'health' | 'connsPerSecPerServer'>;

/**
 * The wait before the next rebalance, ms: `minReuseDuration` plus a random
 * `[0, minReuseDuration / jitterFraction)`, or longer when the fleet would otherwise
 * send more than `connsPerSecPerServer` new connections per second to each of the
 * `servers` it divides by (reachable servers — healthy or suspect — at least 1, with health on). Clamped to
 * the longest timer.
 */
export function rebalanceDelay(settings: DelaySettings, servers: number, nodes: number, random: () => number): number {
  const floorMs = settings.minReuseMs + randomStagger(settings.minReuseMs / settings.jitterFraction, random);
  return clampDelay(rateScaledInterval(capRate(settings, servers), floorMs, nodes));
}

/**
 * The cap's part of {@link rebalanceDelay} alone, ms: how long `nodes` agents must wait
 * between rebalances so that `servers` see at most `connsPerSecPerServer` each — no
 * reuse floor, no randomness (0 when the rate is too low to scale). The cap binds when
 * this is above the whole reuse jitter window.
 */
export function capIntervalMs(settings: DelaySettings, servers: number, nodes: number): number {
  return clampDelay(rateScaledInterval(capRate(settings, servers), 0, nodes));
}

function capRate(settings: DelaySettings, servers: number): number {
  const divisor = settings.health && servers < 1 ? 1 : servers;
  return divisor * settings.connsPerSecPerServer;
}

function stopped(ctx: RebalanceContext): boolean {
  return ctx.lifetime.aborted || ctx.loop?.aborted === true;
}

/**
 * One ping, bounded by `pingTimeout` on the clock and by both stop signals; never rejects.
 * Consecutive pings share one signal until one of them aborts (see DeadlineSeries).
 */
async function ping(ctx: RebalanceContext, entry: ServerEntry): Promise<boolean> {
  const server = entry.server;
  const timeoutMs = ctx.settings.pingTimeoutMs;
  const limit = ctx.pings.next(timeoutMs, () => new TimeoutError(`ping of ${server.name} timed out after ${timeoutMs} ms`), ctx.lifetime, ctx.loop);
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

/**
 * Shuffles each group (primaries, backups) and pings in choice order — healthy before
 * suspect before failed, primaries before backups — until one answers; every result
 * feeds that server's health. None answers → offline, order unchanged. Otherwise the
 * failed and suspect servers not pinged yet are re-pinged (re-admitted on success),
 * the new order is reconciled with the live lists (joins and leaves during the pings
 * are kept; if the chosen server itself left, the live order is kept: "frozen"), and a
 * cleanup round removes dead servers. After a stop, changes nothing. The steps are
 * rebalanceSteps.ts's, which the simulator's engine runs too; this adds the pings.
 */
export async function rebalanceOnce(ctx: RebalanceContext): Promise<void> {
  if (stopped(ctx)) return;
  const { roster, settings } = ctx;
  const plan = planRebalance(roster, settings.health, ctx.random);
  for (let entry = nextPing(plan); entry !== undefined; entry = nextPing(plan)) {
    const ok = await ping(ctx, entry);
    if (stopped(ctx)) return; // stopped mid-rebalance: change nothing
    pingAnswered(plan, roster, entry, ok);
  }
  if (plan.chosen === undefined) {
    ctx.log.debug({ servers: plan.pinged.size }, 'no healthy server during rebalance');
    roster.setOffline(true);
    return;
  }
  if (settings.health) {
    const retry = retryList(plan, roster, settings.health);
    const results = await Promise.all(retry.map((e) => ping(ctx, e)));
    if (stopped(ctx)) return;
    retryAnswered(roster, retry, results);
  }
  const outcome = arrangeRebalance(plan, roster, settings);
  if (outcome.removed > 0) ctx.log.info({ removed: outcome.removed }, 'removed dead servers');
  if (outcome.front === undefined) return;
  ctx.log.debug({ server: outcome.front.name, servers: roster.size, frozen: outcome.frozen }, 'rebalanced servers');
  ctx.emit('rebalanced', { server: outcome.front, frozen: outcome.frozen });
}
