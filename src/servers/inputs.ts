// Every way a server enters or leaves the list from outside the manager — addServer,
// removeServer, Nomad's setServers / setBackupServers / heartbeats, membership events
// — with the same rules on each path: checked and copied at the boundary, the API
// version filter applied, a direct call's bad input refused (TypeError), a remote
// input's bad entry skipped with a rate-limited warning.
import { describeValue } from '../shared/options.js';
import type { ManagerCore } from './core.js';
import { mergeHeartbeat, replaceBackups, replacePrimaries } from './merge.js';
import type { Heartbeat, MembershipEvent, Server } from './types.js';
import { acceptServers, checkNodes, checkServer, checkServers, ownServer } from './validate.js';

const MEMBERSHIP_TYPES: readonly string[] = ['join', 'leave', 'update', 'failed', 'draining'];

/** Checks a membership event and returns a copy holding the manager's own copy of its server. */
export function checkMembershipEvent(event: unknown): MembershipEvent {
  if (typeof event !== 'object' || event === null)
    throw new TypeError(`membership event must be an object, received ${describeValue(event)}`);
  const e = event as Partial<MembershipEvent>;
  if (typeof e.type !== 'string' || !MEMBERSHIP_TYPES.includes(e.type))
    throw new TypeError(`membership event type must be one of ${MEMBERSHIP_TYPES.join(', ')}, received ${describeValue(e.type)}`);
  checkServer('event.server', e.server);
  return { type: e.type, server: ownServer(e.server) };
}


/** The inputs of one manager, applied to its core. */
export class ServerInputs {
  readonly #core: ManagerCore;

  constructor(core: ManagerCore) {
    this.#core = core;
  }

  /** Removes the listed servers among `all` that the version filter left out of `accepted` (reason `apiVersion`). */
  #dropTooNew(all: readonly Server[], accepted: readonly Server[]): void {
    if (all.length === accepted.length) return;
    const kept = new Set(accepted.map((s) => s.name));
    for (const s of all) if (!kept.has(s.name)) this.#core.roster.remove(s.name, 'apiVersion');
  }

  /** A server the cluster names, as a primary; `joined` re-admits a failed or draining one. */
  addPrimary(server: Server, joined: boolean): void {
    if (!this.#core.acceptsVersion(server)) {
      this.#core.roster.remove(server.name, 'apiVersion');
      return;
    }
    this.#core.roster.upsertPrimary(server, joined);
  }

  addServer(server: unknown): void {
    checkServer('server', server);
    this.addPrimary(ownServer(server), false);
  }

  /** Replaces the primaries; see ServerManager.setServers. */
  setServers(servers: unknown): boolean {
    const incoming = checkServers('servers', servers);
    const accepted = this.#core.acceptVersions(incoming);
    this.#dropTooNew(incoming, accepted);
    return replacePrimaries(this.#core.roster, accepted, this.#core.now(), (list) => list.shuffled(() => this.#core.random()));
  }

  setBackupServers(servers: unknown): void {
    const incoming = checkServers('servers', servers);
    const accepted = this.#core.acceptVersions(incoming);
    this.#dropTooNew(incoming, accepted);
    replaceBackups(this.#core.roster, accepted, this.#core.now());
  }

  /**
   * Merges a heartbeat; see ServerManager.updateFromHeartbeat. A malformed heartbeat
   * (not an object, `servers` not an array, a bad `numNodes` or `leaderAddress`) is
   * refused whole; a malformed entry is skipped, and then the primaries the heartbeat
   * lacks are kept this time (the skipped entry may have been one of them).
   */
  updateFromHeartbeat(heartbeat: Heartbeat): void {
    if (typeof heartbeat !== 'object' || heartbeat === null)
      throw new TypeError(`heartbeat must be an object, received ${describeValue(heartbeat)}`);
    const list: unknown = heartbeat.servers;
    if (!Array.isArray(list)) throw new TypeError(`heartbeat.servers must be an array of servers, received ${describeValue(list)}`);
    const nodes = checkNodes('heartbeat.numNodes', heartbeat.numNodes);
    if (heartbeat.leaderAddress !== undefined && typeof heartbeat.leaderAddress !== 'string')
      throw new TypeError(`heartbeat.leaderAddress must be a string, received ${describeValue(heartbeat.leaderAddress)}`);
    let skipped = false;
    const incoming = acceptServers('heartbeat.servers', list as unknown[], (i, reason) => {
      skipped = true;
      this.#core.skipped('heartbeat', i, reason);
    });
    const accepted = this.#core.acceptVersions(incoming);
    this.#dropTooNew(incoming, accepted);
    this.#core.reportedNodes = nodes;
    this.#core.leader = heartbeat.leaderAddress;
    if (!skipped) {
      mergeHeartbeat(this.#core.roster, accepted, this.#core.now());
      return;
    }
    for (const s of accepted) this.addPrimary(s, false);
  }

  /**
   * Applies one membership event: `join` adds (or re-admits) a primary, `update` refreshes
   * it (adding it when unknown), `leave` removes it, `failed` marks a listed server failed,
   * `draining` drains it. Unknown servers are not added by `failed` or `draining`.
   */
  applyMembershipEvent(event: MembershipEvent): void {
    const { server } = event;
    switch (event.type) {
      case 'join':
      case 'update':
        this.addPrimary(server, event.type === 'join');
        return;
      case 'leave':
        this.#core.roster.remove(server.name, 'leave');
        return;
      case 'failed':
        this.#core.roster.markFailed(server.name);
        return;
      case 'draining':
        this.#core.roster.drain(server.name, 'membership');
        return;
    }
  }
}
