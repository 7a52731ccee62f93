// Advances a machine definition without an actor: `machine.transition(snapshot, event,
// scope)` with one inert scope built once per machine, collecting the actions the
// transition returns instead of executing them (machines/README.md: what a machine may
// use so this works). The caller interprets them: a delayed raise goes into its event
// queue, a cancel takes one out, a sendTo the worker runs the runtime's step functions,
// an emit is an observation. This is xstate's own transition, not a re-expression of
// the machine; the scope it takes is xstate's internal surface (xstate is pinned).
import { createActor, type AnyActorScope, type AnyStateMachine, type EventFromLogic, type InputFrom, type SnapshotFrom } from 'xstate';

/** An action a transition asked for, as xstate resolved it (`params` carry the resolved event, id, delay, target). */
export interface ResolvedAction {
  readonly type: string;
  readonly params?: unknown;
}

/** The params of xstate's built-in actions the engine interprets. */
export interface RaiseParams {
  event: { type: string };
  id: string | undefined;
  delay: number | undefined;
}
export interface CancelParams {
  sendId: string;
}
export interface SendToParams {
  targetId?: string;
  event: { type: string };
  delay: number | undefined;
}
export interface EmitParams {
  event: { type: string };
}

function noop(): void {}

export class MachineDriver<M extends AnyStateMachine> {
  /** The actions of the last {@link initial} or {@link transition} (reused: read before the next call). */
  readonly actions: ResolvedAction[] = [];
  readonly #scope: AnyActorScope;

  constructor(readonly machine: M) {
    // The actor exists only as the scope's `self` (never started). Its eager initial
    // snapshot has no input and may fail; that failure stays inside it.
    const self = createActor(machine);
    const actions = this.actions;
    this.#scope = {
      self,
      id: '',
      sessionId: '',
      logger: noop,
      defer: noop,
      system: self.system,
      stopChild: noop,
      emit: noop,
      actionExecutor: (action: ResolvedAction) => {
        actions.push(action);
      },
    };
  }

  /**
   * The initial snapshot for `input`; its actions in {@link actions}. Every snapshot of
   * this driver shares the first one's `children`: the worker a machine invokes at its
   * root is played by the engine and never started, so one inert child per machine
   * serves every agent (each initial snapshot would otherwise hold an actor of its own,
   * ~1.6 KB; transitions carry the record forward unchanged). The equivalence test
   * guards this reliance on the snapshot's shape.
   */
  initial(input: InputFrom<M>): SnapshotFrom<M> {
    this.actions.length = 0;
    const snapshot = this.machine.getInitialSnapshot(this.#scope, input) as SnapshotFrom<M>;
    const shape = snapshot as unknown as { children: unknown };
    if (this.#children === undefined) this.#children = shape.children;
    else shape.children = this.#children;
    return snapshot;
  }

  #children: unknown;

  /** The snapshot after `event`; its actions in {@link actions}. */
  transition(snapshot: SnapshotFrom<M>, event: EventFromLogic<M>): SnapshotFrom<M> {
    this.actions.length = 0;
    return this.machine.transition(snapshot, event, this.#scope) as SnapshotFrom<M>;
  }
}
