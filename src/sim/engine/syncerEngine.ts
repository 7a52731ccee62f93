// The state syncers of many agents on one event queue: each agent's machine is the
// state syncer definition advanced by its transition function (MachineDriver), its
// waits come from the machine's own delays over one shared environment whose stagger is
// the embedded syncer's rule (clusterStagger), and the worker is played by the engine:
// a RUN asks `onSync` for the sync, whose answer comes back as an event. Emitted events
// (fullSync.started, …) reach the host's `onEmit`.
import { stateSyncerMachine, type StateSyncerEnv, type StateSyncerEvent, type SyncKind } from '../../../machines/index.js';
import { clampDelay } from '../../shared/clock.js';
import { clusterStagger } from '../../shared/stagger.js';
import type { EventQueue } from './eventQueue.js';
import { DelayedEvents } from './delayedEvents.js';
import { MachineDriver } from './machineDriver.js';
import { interpretActions } from './interpret.js';

type Snapshot = ReturnType<MachineDriver<typeof stateSyncerMachine>['initial']>;

/** The syncer settings every agent of the engine shares (resolved, ms). */
export interface SyncerEngineSettings {
  interval: number;
  serverUpInterval: number;
  retryFailInterval: number;
}

export interface SyncerHost {
  now(): number;
  random(agent: number): number;
  /** The cluster size agent `agent`'s stagger scales with. */
  clusterSize(agent: number): number;
  /** Agent `agent`'s worker got RUN: the host answers later with {@link SyncerEngine.answer}. */
  onSync(agent: number, id: number, kind: SyncKind): void;
  onEmit?(agent: number, type: string): void;
}

/** The event kind this engine's delayed events carry in the queue. */
export const SYNCER_DELAYED_EVENT = 11;

const SYNC_FULL: StateSyncerEvent = { type: 'SYNC_FULL' };
const SYNC_CHANGES: StateSyncerEvent = { type: 'SYNC_CHANGES' };
/** Delay ids the engine holds per agent (the syncer has three named delays). */
const SLOTS = 4;

export class SyncerEngine {
  readonly #driver = new MachineDriver(stateSyncerMachine);
  readonly #snapshots: Snapshot[] = [];
  readonly #delayed: DelayedEvents<StateSyncerEvent>;
  #cursor = 0;
  readonly #env: StateSyncerEnv;

  constructor(
    settings: SyncerEngineSettings,
    queue: EventQueue,
    private readonly host: SyncerHost,
    readonly agents: number,
  ) {
    this.#delayed = new DelayedEvents(queue, SYNCER_DELAYED_EVENT, SLOTS, agents, 'state syncer');
    this.#env = {
      interval: settings.interval,
      serverUpInterval: settings.serverUpInterval,
      retryFailInterval: settings.retryFailInterval,
      stagger: (ms) => (ms > 0 ? clusterStagger(ms, host.random(this.#cursor), host.clusterSize(this.#cursor)) : 0),
      now: () => host.now(),
      clampDelay,
      // The engine plays the worker: these are never called.
      syncFull: () => undefined,
      syncChanges: () => undefined,
    };
  }

  /**
   * Starts agent `agent`'s syncer: it enters fullSync and asks for the first full sync at
   * once. `fullSyncPending`: a SyncFull trigger arrived before start (the input a
   * StateSyncer carries over).
   */
  start(agent: number, fullSyncPending = false): void {
    this.#cursor = agent;
    this.#snapshots[agent] = this.#driver.initial(fullSyncPending ? { env: this.#env, fullSyncPending } : { env: this.#env });
    this.#interpret(agent);
  }

  fire(agent: number, slot: number): void {
    this.#send(agent, this.#delayed.due(agent, slot));
  }

  trigger(agent: number, kind: SyncKind): void {
    this.#send(agent, kind === 'syncFull' ? SYNC_FULL : SYNC_CHANGES);
  }

  /** The host's answer to a RUN: done, or failed. */
  answer(agent: number, id: number, ok: boolean): void {
    this.#send(agent, ok ? { type: 'SYNC_DONE', id } : { type: 'SYNC_FAILED', id, error: undefined });
  }

  state(agent: number): unknown {
    return (this.#snapshots[agent] as Snapshot).value;
  }

  #send(agent: number, event: StateSyncerEvent): void {
    this.#cursor = agent;
    this.#snapshots[agent] = this.#driver.transition(this.#snapshots[agent] as Snapshot, event);
    this.#interpret(agent);
  }

  #interpret(agent: number): void {
    interpretActions(this.#driver.actions, agent, this.host.now(), this.#delayed, this.#sent, this.#emitted);
  }

  readonly #sent = (agent: number, event: { type: string }): void => {
    if (event.type !== 'RUN') return;
    const run = event as { type: 'RUN'; id: number; kind: SyncKind };
    this.host.onSync(agent, run.id, run.kind);
  };

  readonly #emitted = (agent: number, event: { type: string }): void => this.host.onEmit?.(agent, event.type);
}
