// Runs many small actors in one xstate system per clock. A root xstate actor
// carries its own system (registry, scheduler, inspection hooks: ~1.6 KB); the
// syncer and rebalancer actors of a fleet simulation or a bench would pay that
// 100,000 times. Actors created here share one system per clock instead, unless
// they want their own inspector, which xstate attaches per system.
import { createActor, fromCallback, type ActorOptions, type AnyActorLogic, type AnyActorRef, type Actor, type InspectionEvent, type Observer } from 'xstate';
import type { Clock } from './clock.js';

// The parent of hosted actors. It must accept anything a child sends up (done and
// error events) without reacting: a callback actor ignores events it has no receiver for.
const hostLogic = fromCallback(() => undefined);
const hosts = new WeakMap<Clock, AnyActorRef>();

function hostFor(clock: Clock): AnyActorRef {
  let host = hosts.get(clock);
  if (!host) {
    host = createActor(hostLogic, { clock }).start();
    indexScheduledEventsByActor(host.system.scheduler);
    hosts.set(clock, host);
  }
  return host;
}

export interface HostedActorOptions<TLogic extends AnyActorLogic> {
  clock: Clock;
  input: ActorOptions<TLogic>['input'];
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void) | undefined;
}

/**
 * `createActor(logic, { clock, input })`, sharing one xstate system per clock; with
 * `inspect`, the actor gets a system of its own so the inspector sees only it.
 */
export function createHostedActor<TLogic extends AnyActorLogic>(
  logic: TLogic,
  options: HostedActorOptions<TLogic>,
): Actor<TLogic> {
  const { clock, input, inspect } = options;
  if (inspect) return createActor(logic, { clock, input, inspect });
  return createActor(logic, { clock, input, parent: hostFor(clock) });
}

type Scheduler = AnyActorRef['system']['scheduler'];

/**
 * xstate's scheduler cancels an actor's delayed events on stop by walking every
 * scheduled event of the whole system. With thousands of actors in one system that
 * is O(actors) per stop — and every finished sync stops its invoked promise actor.
 * This keeps, per actor, the ids it scheduled, so `cancelAll` touches only those.
 * Ids of timers that already fired linger until the actor's next cancelAll; they
 * are the machine's few delay names, so the set stays tiny.
 */
function indexScheduledEventsByActor(scheduler: Scheduler): void {
  // xstate's scheduler methods are closures over the system, not `this`-bound; bind anyway.
  const schedule = scheduler.schedule.bind(scheduler);
  const cancel = scheduler.cancel.bind(scheduler);
  const ids = new WeakMap<AnyActorRef, string | Set<string>>();
  let anonymous = 0;
  scheduler.schedule = (source, target, event, delay, id = `ae-sync.${++anonymous}`) => {
    schedule(source, target, event, delay, id);
    const known = ids.get(source);
    if (known === undefined) ids.set(source, id);
    else if (typeof known === 'string') {
      if (known !== id) ids.set(source, new Set([known, id]));
    } else known.add(id);
  };
  scheduler.cancel = (source, id) => {
    cancel(source, id);
    const known = ids.get(source);
    if (known === id) ids.delete(source);
    else if (typeof known === 'object') known.delete(id);
  };
  scheduler.cancelAll = (actor) => {
    const known = ids.get(actor);
    if (known === undefined) return;
    ids.delete(actor);
    if (typeof known === 'string') cancel(actor, known);
    else for (const id of known) cancel(actor, id);
  };
}
