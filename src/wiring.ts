// The agent's composition, one rule for every host: which server-manager events ask the
// syncer for a full sync. createSyncAgent (and through it createCatalogAgent) and the
// simulator's agents are wired by wireAgent; a host that produces the manager's events
// itself asks asksForFullSync. Not exported from the package.
import type { Listener } from './shared/emitter.js';
import type { ServerManagerEvents } from './servers/types.js';

/** The part of a ServerManager the wiring listens to. */
export interface ServerEventSource {
  on<K extends keyof ServerManagerEvents>(event: K, listener: Listener<ServerManagerEvents[K]>): () => void;
}

type TriggerRules = { readonly [K in keyof ServerManagerEvents]?: (payload: ServerManagerEvents[K]) => boolean };

/**
 * The events that ask for a full sync, each with its rule. A new server may hold none
 * of this agent's state, and an agent that was cut off may have missed changes: both
 * call for a full sync. A failed server that is re-admitted counts as a server up, as
 * serf's member-join after a failure does for Consul's agents (it may have restarted
 * empty); a suspect one that recovers does not (one lost call must not cost the fleet
 * a full sync each). The syncer's triggers coalesce, so a server-up and the online
 * change from the same addServer() cause one staggered full sync.
 */
export const FULL_SYNC_TRIGGERS: TriggerRules = Object.freeze({
  serverUp: () => true,
  online: () => true,
  healthChanged: (e) => e.previous === 'failed' && e.state === 'healthy',
});

/** True when the manager event `event` with `payload` asks for a full sync. */
export function asksForFullSync<K extends keyof ServerManagerEvents>(event: K, payload: ServerManagerEvents[K]): boolean {
  const rule: ((p: ServerManagerEvents[K]) => boolean) | undefined = FULL_SYNC_TRIGGERS[event];
  return rule !== undefined && rule(payload);
}

/**
 * Wires `servers` to `requestFullSync` by {@link FULL_SYNC_TRIGGERS}: one listener per
 * event that has a rule. Returns a function that removes them.
 */
export function wireAgent(servers: ServerEventSource, requestFullSync: () => void): () => void {
  const offs: (() => void)[] = [];
  for (const event of Object.keys(FULL_SYNC_TRIGGERS) as (keyof ServerManagerEvents)[]) {
    offs.push(
      servers.on(event, (payload) => {
        if (asksForFullSync(event, payload)) requestFullSync();
      }),
    );
  }
  return () => {
    for (const off of offs) off();
  };
}
