// Carries out the actions one machine transition returned, for one agent of an engine:
// delayed raises go into the agent's delayed events and cancels take them out (the same
// for every machine), each sendTo's event goes to the engine's worker and each emit's to
// its observer. The two engines differ only in those last two.
import type { DelayedEvents } from './delayedEvents.js';
import type { CancelParams, EmitParams, RaiseParams, ResolvedAction, SendToParams } from './machineDriver.js';

export function interpretActions<E extends { type: string }>(
  actions: readonly ResolvedAction[],
  agent: number,
  now: number,
  delayed: DelayedEvents<E>,
  sent: (agent: number, event: { type: string }) => void,
  emitted?: (agent: number, event: { type: string }) => void,
): void {
  for (const action of actions) {
    switch (action.type) {
      case 'xstate.raise':
        delayed.schedule(agent, now, action.params as RaiseParams);
        break;
      case 'xstate.cancel':
        delayed.cancel(agent, action.params as CancelParams);
        break;
      case 'xstate.sendTo':
        sent(agent, (action.params as SendToParams).event);
        break;
      case 'xstate.emit':
        emitted?.(agent, (action.params as EmitParams).event);
        break;
      default:
        // spawnChild of the worker: the engine is the worker.
        break;
    }
  }
}
