// The agent's composition, one rule for every host: which server-manager events ask the
// syncer for a full sync, and when a server coming up is worth one. createSyncAgent (and
// through it createCatalogAgent) and the simulator's agents are wired by wireAgent; a host
// that produces the manager's events itself asks asksForFullSync. Not exported from the package.
import type { Listener } from './shared/emitter.js';
import { describeValue } from './shared/options.js';
import type { ServerManagerEvents } from './servers/types.js';

/**
 * When a server coming up (a new server, a failed one re-admitted) asks for a full sync:
 * - `'untrusted'`: only when the agent has no full sync it can trust — its first has not
 *   succeeded yet, or its last one failed. Right for backends whose servers share one
 *   state (MemoryCluster, etcd): a server that joins holds what the others hold, so a
 *   full sync would only read back what the agent already knows.
 * - `'always'`: on every server up, as Consul's agents do (a joining server may hold none
 *   of this agent's state). For backends whose servers keep state of their own.
 */
export type FullSyncOnServerUp = 'untrusted' | 'always';

const FULL_SYNC_ON_SERVER_UP: readonly FullSyncOnServerUp[] = ['untrusted', 'always'];

/** The wiring's options; part of createSyncAgent's and createCatalogAgent's. */
export interface WiringOptions {
  /**
   * When a server coming up (`serverUp`, or a failed server healthy again) asks for a full
   * sync: `'untrusted'` — only when the agent has no full sync it can trust (none has
   * succeeded yet, or the last one failed); `'always'` — every time, as Consul does. Use
   * `'always'` with a backend whose servers do not share state, where a new server may hold
   * none of this agent's entries. Coming online (no reachable server → one) always asks.
   * Defaults to `'untrusted'`.
   */
  fullSyncOnServerUp?: FullSyncOnServerUp;
}

/** The wiring's options after validation, with defaults applied. */
export interface WiringSettings {
  readonly fullSyncOnServerUp: FullSyncOnServerUp;
}

/** Validates the wiring's keys of `options` (RangeError naming the value) and applies defaults. */
export function resolveWiringOptions(options: WiringOptions): WiringSettings {
  const value: unknown = options.fullSyncOnServerUp;
  if (value === undefined) return DEFAULT_WIRING;
  if (!FULL_SYNC_ON_SERVER_UP.includes(value as FullSyncOnServerUp))
    throw new RangeError(`fullSyncOnServerUp must be 'untrusted' or 'always', received ${describeValue(value)}`);
  return value === 'always' ? ALWAYS_WIRING : DEFAULT_WIRING;
}

const DEFAULT_WIRING: WiringSettings = Object.freeze({ fullSyncOnServerUp: 'untrusted' });
const ALWAYS_WIRING: WiringSettings = Object.freeze({ fullSyncOnServerUp: 'always' });

/** The part of a ServerManager the wiring listens to. */
export interface ServerEventSource {
  on<K extends keyof ServerManagerEvents>(event: K, listener: Listener<ServerManagerEvents[K]>): () => void;
}

/** The part of a StateSyncer the wiring asks and reads. */
export interface WiredSyncer {
  readonly syncFull: { trigger(): void };
  /** True once a full sync has succeeded and none has failed since (StateSyncer.hasTrustedFullSync). */
  readonly hasTrustedFullSync: boolean;
}

/** What a rule may ask of the agent when an event arrives. */
export interface TriggerContext {
  /** The agent has a full sync it can trust. */
  readonly trusted: boolean;
  readonly fullSyncOnServerUp: FullSyncOnServerUp;
}

/**
 * One event's rule: `asks` says whether this payload is a trigger at all; a `serverUp`
 * trigger is then gated by the agent's trust in its last full sync (unless
 * `fullSyncOnServerUp` is `'always'`).
 */
interface TriggerRule<P> {
  readonly asks: (payload: P) => boolean;
  readonly serverUp: boolean;
}

type TriggerRules = { readonly [K in keyof ServerManagerEvents]?: TriggerRule<ServerManagerEvents[K]> };

/**
 * The events that ask for a full sync, each with its rule. An agent that was cut off
 * from every server may have missed changes: coming online always asks. A server coming
 * up asks only when the agent has no full sync it can trust — with a backend whose
 * servers share their state, a joining server knows what the others know, and a fleet
 * that full-synced on every join would read its whole catalog once per server flap; the
 * periodic full sync still repairs anything missed. A failed server that is re-admitted
 * counts as a server up, as serf's member-join after a failure does for Consul's agents;
 * a suspect one that recovers does not (one lost call must not cost the fleet a full
 * sync each). The syncer's triggers coalesce, so a server-up and the online change from
 * the same addServer() cause one staggered full sync.
 */
export const FULL_SYNC_TRIGGERS: TriggerRules = Object.freeze({
  serverUp: { asks: () => true, serverUp: true },
  online: { asks: () => true, serverUp: false },
  healthChanged: { asks: (e) => e.previous === 'failed' && e.state === 'healthy', serverUp: true },
});

/** True when the manager event `event` with `payload` asks for a full sync of an agent in `context`. */
export function asksForFullSync<K extends keyof ServerManagerEvents>(
  event: K,
  payload: ServerManagerEvents[K],
  context: TriggerContext,
): boolean {
  const rule: TriggerRule<ServerManagerEvents[K]> | undefined = FULL_SYNC_TRIGGERS[event];
  if (rule === undefined || !rule.asks(payload)) return false;
  return !rule.serverUp || context.fullSyncOnServerUp === 'always' || !context.trusted;
}

/**
 * Wires `servers` to `syncer` by {@link FULL_SYNC_TRIGGERS}: one listener per event that
 * has a rule; the syncer's trust is read when the event arrives. Returns a function that
 * removes the listeners.
 */
export function wireAgent(servers: ServerEventSource, syncer: WiredSyncer, settings: WiringSettings = DEFAULT_WIRING): () => void {
  const { fullSyncOnServerUp } = settings;
  const offs: (() => void)[] = [];
  for (const event of Object.keys(FULL_SYNC_TRIGGERS) as (keyof ServerManagerEvents)[]) {
    offs.push(
      servers.on(event, (payload) => {
        if (asksForFullSync(event, payload, { trusted: syncer.hasTrustedFullSync, fullSyncOnServerUp })) syncer.syncFull.trigger();
      }),
    );
  }
  return () => {
    for (const off of offs) off();
  };
}
