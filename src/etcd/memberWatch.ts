// The member poll behind `watchMembers`: every `pollMembersMs` (first at once) ask any
// member that answers for the member list — the member of the registry's last call
// first (else the one that answered last), so an agent talks to as few members as it can.
// The endpoints the user gave always stay: a member's advertised client URL is often
// unreachable from the agent (NAT, containers, port-forwards, load-balancer names), so
// the poll only adds: a listed member that is not an endpoint joins once it has answered
// a bounded status call, and leaves when the list drops it. A failed or empty answer emits nothing.
import type { Etcd3 } from 'etcd3';
import type { MembershipEvent, Server } from '../catalog/backend.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { boundedCall } from './client.js';
import { diffServers, membersToServers } from './members.js';

export interface MemberWatchDeps {
  /** The endpoints the user gave: always members, whatever the list says. */
  initial: Server[];
  /** Every server seen to answer so far (endpoints and joined members), by name. */
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

const never = new AbortController().signal;

/** Starts the poll; returns its stop function. */
export function watchMemberList(deps: MemberWatchDeps, listener: (event: MembershipEvent) => void): () => void {
  const { clock, pollMembersMs, callTimeoutMs, log, known } = deps;
  const endpoints = new Map(deps.initial.map((s) => [s.name, s]));
  /** What the listener has been told: the endpoints, then every member that joined. */
  let current = deps.initial;
  /** Listed members that did not answer (warned once each while listed; bounded by the member list). */
  let unanswered = new Set<string>();
  let stopped = false;
  let timer: unknown;
  let lastGood: string | undefined;

  const answers = (server: Server): Promise<boolean> =>
    boundedCall(never, callTimeoutMs, (o) => deps.client(server).maintenance.status(o), clock).then(
      () => true,
      () => false,
    );

  /** The next membership: every endpoint (with the member's details when listed under its address), listed members that answer. */
  const nextMembership = async (listed: Server[]): Promise<Server[]> => {
    const byName = new Map(listed.map((s) => [s.name, s]));
    const next: Server[] = [];
    for (const endpoint of deps.initial) next.push(byName.get(endpoint.name) ?? endpoint);
    const others = listed.filter((s) => !endpoints.has(s.name));
    const fresh = others.filter((s) => !current.some((c) => c.name === s.name));
    // Probed in parallel, each bounded by callTimeoutMs: a poll costs at most one deadline more.
    const answered = await Promise.all(fresh.map((s) => answers(s)));
    const stillUnanswered = new Set<string>();
    fresh.forEach((s, i) => {
      if (answered[i] === true) return;
      stillUnanswered.add(s.name);
      if (!unanswered.has(s.name)) {
        log.warn({ server: s.name, member: s.meta?.memberName }, 'a member advertises a client URL that does not answer from here; not using it (the endpoints given are kept)');
      }
    });
    unanswered = stillUnanswered;
    for (const s of others) if (!stillUnanswered.has(s.name)) next.push(s);
    return next.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  };

  const poll = async (): Promise<void> => {
    const candidates = [...current, ...[...known.values()].filter((k) => !current.some((c) => c.name === k.name))];
    const first = deps.firstChoice() ?? lastGood;
    candidates.sort((a, b) => (a.name === first ? -1 : b.name === first ? 1 : 0));
    for (const server of candidates) {
      if (stopped) return;
      let listed: Server[];
      try {
        const res = await boundedCall(never, callTimeoutMs, (o) => deps.client(server).cluster.memberList({}, o), clock);
        listed = membersToServers(res.members, deps.tls);
      } catch (err) {
        log.debug({ server: server.name, err }, 'member list failed on one member');
        continue;
      }
      if (stopped) return;
      lastGood = server.name;
      if (listed.length === 0) return; // never turn an odd answer into "everyone left"
      const next = await nextMembership(listed);
      if (stopped) return;
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
