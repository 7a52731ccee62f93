// The rebalance loops of many agents on one event queue: each agent's machine is the
// rebalancer definition advanced by its transition function (MachineDriver), its waits
// are the server manager's own step functions (loopRules.ts) on the agent's LoopState,
// and the worker is played by the engine: a RUN asks `onRun` for the rebalance and its
// answer comes back as an event. One environment object serves every agent (a cursor
// says whose turn it is), so an agent costs its snapshot, its loop state and a few numbers.
import { rebalancerMachine, type RebalancerEnv, type RebalancerEvent } from '../../../machines/index.js';
import type { ManagerSettings } from '../../servers/options.js';
import {
  firstDelay,
  initialLoopState,
  nextDelay,
  requestRebalance,
  runStarted,
  serversChanged,
  type LoopAction,
  type LoopState,
} from '../../servers/loopRules.js';
import type { EventQueue } from './eventQueue.js';
import { DelayedEvents } from './delayedEvents.js';
import { MachineDriver } from './machineDriver.js';
import { interpretActions } from './interpret.js';

type Snapshot = ReturnType<MachineDriver<typeof rebalancerMachine>['initial']>;

/** What the engine asks of its host, per agent. */
export interface RebalancerHost {
  now(): number;
  random(agent: number): number;
  /** The number of servers agent `agent`'s cap divides by. */
  servers(agent: number): number;
  numNodes(agent: number): number;
  /** Agent `agent` starts a rebalance (RUN): the host answers later with {@link RebalancerEngine.done}. */
  onRun(agent: number, id: number): void;
}

/** Event kinds this engine puts in the queue (the host may use others). */
export const DELAYED_EVENT = 1;

export class RebalancerEngine {
  readonly #driver = new MachineDriver(rebalancerMachine);
  readonly #snapshots: Snapshot[] = [];
  readonly #loops: LoopState[] = [];
  // Pending delayed events per agent and delay id (the machine's two `after` delays).
  readonly #delayed: DelayedEvents<RebalancerEvent>;
  #cursor = 0;
  readonly #env: RebalancerEnv;

  constructor(
    private readonly settings: ManagerSettings,
    queue: EventQueue,
    private readonly host: RebalancerHost,
    readonly agents: number,
  ) {
    this.#delayed = new DelayedEvents(queue, DELAYED_EVENT, 2, agents, 'rebalancer');
    const random = (): number => host.random(this.#cursor);
    this.#env = {
      firstDelayMs: () => firstDelay(settings, this.#loop(), host.now(), host.servers(this.#cursor), random),
      nextDelayMs: () => {
        const a = this.#cursor;
        return nextDelay(settings, this.#loop(), host.now(), { servers: host.servers(a), nodes: host.numNodes(a) }, random);
      },
      // The engine plays the worker: `run` is never called.
      run: () => undefined,
    };
  }

  #loop(): LoopState {
    return this.#loops[this.#cursor] as LoopState;
  }

  /** Starts agent `agent`'s loop (its first wait is drawn now). */
  start(agent: number, requested = false): void {
    this.#cursor = agent;
    this.#loops[agent] = initialLoopState();
    this.#snapshots[agent] = this.#driver.initial({ env: this.#env, requested });
    this.#interpret(agent);
  }

  /** A delayed event of agent `agent` came due (the host pops DELAYED_EVENT and calls this with its arg). */
  fire(agent: number, slot: number): void {
    this.#send(agent, this.#delayed.due(agent, slot));
  }

  /** The host's answer to a RUN. */
  done(agent: number, id: number): void {
    this.#send(agent, { type: 'REBALANCE_DONE', id });
  }

  request(agent: number): void {
    this.#cursor = agent;
    this.#apply(agent, requestRebalance(this.settings, this.#loops[agent] as LoopState, () => this.host.now()));
  }

  serversChanged(agent: number): void {
    this.#cursor = agent;
    const host = this.host;
    this.#apply(
      agent,
      serversChanged(
        this.settings,
        this.#loops[agent] as LoopState,
        () => host.servers(agent),
        () => host.numNodes(agent),
        () => host.now(),
        () => host.random(agent),
      ),
    );
  }

  /** The machine state of agent `agent` (for tests and reports). */
  state(agent: number): string {
    return String((this.#snapshots[agent] as Snapshot).value);
  }

  #apply(agent: number, action: LoopAction): void {
    if (action.type === 'rebalanceNow') this.#send(agent, { type: 'REBALANCE_REQUESTED' });
    else if (action.type === 'rearm') this.#send(agent, { type: 'REARM', delayMs: action.delayMs });
  }

  #send(agent: number, event: RebalancerEvent): void {
    this.#cursor = agent;
    this.#snapshots[agent] = this.#driver.transition(this.#snapshots[agent] as Snapshot, event);
    this.#interpret(agent);
  }

  /** The actions of the last transition, in order: delayed raises, cancels, and RUNs to the worker. */
  #interpret(agent: number): void {
    interpretActions(this.#driver.actions, agent, this.host.now(), this.#delayed, this.#sent);
  }

  readonly #sent = (agent: number, event: { type: string }): void => {
    if (event.type !== 'RUN') return;
    runStarted(this.#loops[agent] as LoopState, this.host.now());
    this.host.onRun(agent, (event as { type: 'RUN'; id: number }).id);
  };
}
