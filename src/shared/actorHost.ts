// Runs many small actors in a few xstate systems per clock. A root xstate actor
// carries its own system (registry, scheduler, inspection hooks: a few KB); the
// syncer and rebalancer actors of a fleet simulation or a bench would pay that
// 100,000 times. Actors created here share a system instead, ACTORS_PER_HOST at a
// time, unless they want their own inspector, which xstate attaches per system.
// Public xstate API only: a host is a plain root actor and hosted actors name it as
// their `parent` (an `ActorOptions` field).
import {
  createActor,
  fromCallback,
  type ActorOptions,
  type AnyActorLogic,
  type AnyActorRef,
  type Actor,
  type InspectionEvent,
  type Observer,
  type SnapshotFrom,
} from 'xstate';
import type { Clock } from './clock.js';

/**
 * How many actors share one system. When an actor stops, xstate cancels its delayed
 * events by scanning every delayed event of its system (a `for…in` over a dictionary,
 * which also copies its keys), so the scan is bounded by what this many actors have
 * scheduled: a syncer or rebalancer and its worker hold one or two each. With 10,000
 * actors on one clock a stop costs milliseconds in one system and tens of µs at 128
 * per system, while a system with its host adds only ~24 B per hosted actor
 * (bench/stateSyncer.bench.ts; figures in docs/performance.md).
 */
export const ACTORS_PER_HOST = 128;

// The parent of hosted actors. It must accept anything a child sends up (done and
// error events) without reacting: a callback actor ignores events it has no receiver for.
const hostLogic = fromCallback(() => undefined);

interface Host {
  actor: AnyActorRef;
  /** Actors this host still takes. A full host is dropped from here; it lives on while its actors do. */
  room: number;
}
const hosts = new WeakMap<Clock, Host>();

function hostFor(clock: Clock): AnyActorRef {
  let host = hosts.get(clock);
  if (!host || host.room === 0) {
    host = { actor: createActor(hostLogic, { clock }).start(), room: ACTORS_PER_HOST };
    hosts.set(clock, host);
  }
  host.room--;
  return host.actor;
}

export interface HostedActorOptions<TLogic extends AnyActorLogic> {
  clock: Clock;
  input: ActorOptions<TLogic>['input'];
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void) | undefined;
}

/**
 * `createActor(logic, { clock, input })`, sharing an xstate system with up to
 * {@link ACTORS_PER_HOST} − 1 other actors of the same clock; with `inspect`, the actor
 * gets a system of its own so the inspector sees only it (and its children).
 */
export function createHostedActor<TLogic extends AnyActorLogic>(
  logic: TLogic,
  options: HostedActorOptions<TLogic>,
): Actor<TLogic> {
  const { clock, input, inspect } = options;
  if (inspect) return createActor(logic, { clock, input, inspect });
  return createActor(logic, { clock, input, parent: hostFor(clock) });
}

/**
 * What a runtime shows of its machine: read the snapshot, subscribe to snapshots and
 * emitted events — never `send` or `stop`, which would act behind the runtime's back.
 */
export interface ActorView<TLogic extends AnyActorLogic> {
  readonly id: string;
  readonly sessionId: string;
  getSnapshot(): SnapshotFrom<TLogic>;
  subscribe: Actor<TLogic>['subscribe'];
  on: Actor<TLogic>['on'];
}

/** A read-only view of `actor` (a new small object: callers keep the one they made). */
export function actorView<TLogic extends AnyActorLogic>(actor: Actor<TLogic>): ActorView<TLogic> {
  const view: ActorView<TLogic> = {
    id: actor.id,
    sessionId: actor.sessionId,
    getSnapshot: () => actor.getSnapshot(),
    subscribe: actor.subscribe.bind(actor),
    on: actor.on.bind(actor),
  };
  return Object.freeze(view);
}
