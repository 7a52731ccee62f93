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
