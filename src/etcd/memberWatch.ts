// The member poll behind `watchMembers`: every `pollMembersMs` (first at once) ask any
// member that answers for the member list — the member of the registry's last call
// first (else the one that answered last), so an agent talks to as few members as it can — and emit the difference as
// join/leave/update events. A failed or empty answer emits nothing.
import type { Etcd3 } from 'etcd3';
import type { MembershipEvent, Server } from '../catalog/backend.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { boundedCall } from './client.js';
import { diffServers, membersToServers } from './members.js';

export interface MemberWatchDeps {
  initial: Server[];
  /** Every server seen so far (endpoints and polled members), by name. */
  known: Map<string, Server>;
  client: (server: Server) => Etcd3;
  /** The member to ask first, when it is still a candidate. */
  firstChoice: () => string | undefined;
  tls: boolean;
  clock: Clock;
  pollMembersMs: number;
  callTimeoutMs: number;
  log: Logger;
}

/** Starts the poll; returns its stop function. */
export function watchMemberList(deps: MemberWatchDeps, listener: (event: MembershipEvent) => void): () => void {
  const { clock, pollMembersMs, callTimeoutMs, log, known } = deps;
  let current = deps.initial;
  let stopped = false;
  let timer: unknown;
  let lastGood: string | undefined;
  const never = new AbortController().signal;
  const poll = async (): Promise<void> => {
    const candidates = [...current, ...[...known.values()].filter((k) => !current.some((c) => c.name === k.name))];
    const first = deps.firstChoice() ?? lastGood;
    candidates.sort((a, b) => (a.name === first ? -1 : b.name === first ? 1 : 0));
    for (const server of candidates) {
      if (stopped) return;
      try {
        const res = await boundedCall(never, callTimeoutMs, (o) => deps.client(server).cluster.memberList({}, o), clock);
        if (stopped) return;
        lastGood = server.name;
        const next = membersToServers(res.members, deps.tls);
        if (next.length === 0) return; // never turn an odd answer into "everyone left"
        const events = diffServers(current, next);
        current = next;
        for (const s of next) known.set(s.name, s);
        // A removed member is no longer worth a keepalive attempt; its client closes when idle.
        for (const e of events) if (e.type === 'leave') known.delete(e.server.name);
        for (const event of events) {
          log.info({ type: event.type, server: event.server.name, member: event.server.meta?.memberName }, 'membership change');
          try {
            listener(event);
          } catch (err) {
            log.error({ err }, 'membership listener threw');
          }
        }
        return;
      } catch (err) {
        log.debug({ server: server.name, err }, 'member list failed on one member');
      }
    }
    if (!stopped) log.warn({ tried: candidates.length }, 'member list unavailable from every member');
  };
  const loop = (delayMs: number): void => {
    timer = clock.setTimeout(() => {
      poll()
        .catch((err: unknown) => log.error({ err }, 'member poll failed'))
        .finally(() => {
          if (!stopped) loop(pollMembersMs);
        });
    }, delayMs);
  };
  loop(0);
  return () => {
    if (stopped) return;
    stopped = true;
    clock.clearTimeout(timer);
  };
}
