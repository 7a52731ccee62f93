// What the live view knows, bounded: one record per machine actor (its current state,
// never its history), the definitions they run (one graph per distinct machine), and
// the last `logSize` events in a ring buffer. A browser that connects late gets all
// of it at once (`hello()`); the rest is sent as it happens through `publish`.
import type { AnyStateMachine, InspectionEvent } from 'xstate';
import { activeStateIds, machineGraph } from './graph.js';
import type { Hello, LogEntry, MachineView, StateGraph, ViewMessage } from './protocol.js';
import { preview } from './preview.js';
import type { ResolvedViewOptions } from './options.js';
import { clockNow } from '../shared/clock.js';

/** A graph larger than this (JSON characters) is not sent to browsers; its machine is shown without a diagram. */
export const MAX_DEFINITION_CHARS = 1_048_576;

export type { Hello, LogEntry, MachineView, ViewMessage } from './protocol.js';

interface Definition {
  graph: StateGraph;
  json: string;
  users: number;
}

/** An actor as the inspection API hands it over; only public members of xstate's Actor are read. */
interface ActorLike {
  sessionId: string;
  id?: unknown;
  logic?: unknown;
  system?: unknown;
}

function isMachine(logic: unknown): logic is AnyStateMachine {
  const m = logic as Partial<AnyStateMachine> | null;
  return typeof m === 'object' && m !== null && typeof m.id === 'string' && typeof m.root === 'object' && typeof m.transition === 'function';
}

function leafState(active: readonly string[]): string {
  const leaves = active.filter((id) => !active.some((other) => other.startsWith(`${id}.`)));
  return leaves.join(', ');
}

export class ViewStore {
  readonly #options: ResolvedViewOptions;
  readonly #publish: (message: ViewMessage) => void;
  readonly #machines = new Map<ActorLike, MachineView>();
  readonly #ignored = new WeakSet<ActorLike>();
  readonly #definitionOf = new WeakMap<object, string>();
  readonly #definitionByJson = new Map<string, string>();
  readonly #definitions = new Map<string, Definition>();
  readonly #rootLabels = new WeakMap<object, string>();
  /** Per label base: the next number to give and how many tracked machines carry it (the entry goes with the last). */
  readonly #labelsInUse = new Map<string, { next: number; live: number }>();
  readonly #baseOf = new Map<string, string>();
  #banner = '';
  readonly #log: (LogEntry | undefined)[];
  #logNext = 0;
  #seq = 0;
  #ids = 0;
  #definitionIds = 0;
  #untracked = 0;

  constructor(options: ResolvedViewOptions, publish: (message: ViewMessage) => void) {
    this.#options = options;
    this.#publish = publish;
    this.#log = new Array<LogEntry | undefined>(options.logSize).fill(undefined);
  }

  /** Everything a browser needs to draw the current picture. */
  hello(): Hello {
    const definitions: Record<string, StateGraph> = {};
    for (const [id, d] of this.#definitions) definitions[id] = d.graph;
    const log: LogEntry[] = [];
    for (let i = 0; i < this.#log.length; i++) {
      const entry = this.#log[(this.#logNext + i) % this.#log.length];
      if (entry) log.push(entry);
    }
    return {
      title: this.#options.title,
      now: clockNow(this.#options.clock),
      banner: this.#banner,
      definitions,
      machines: [...this.#machines.values()],
      log,
      untracked: this.#untracked,
    };
  }

  /** Label bases in use: at most one per tracked machine. */
  get labelsTracked(): number {
    return this.#labelsInUse.size;
  }

  /** Adds a marker (a phase of the run) to the log and makes it the banner. Never throws. */
  mark(text: string): void {
    const cutText = text.length > 200 ? `${text.slice(0, 199)}…` : text;
    this.#banner = cutText;
    const entry: LogEntry = { kind: 'marker', seq: ++this.#seq, at: clockNow(this.#options.clock), machine: '', label: '', event: cutText, detail: '', state: '', changed: false };
    this.#append(entry);
  }

  #append(entry: LogEntry): void {
    this.#log[this.#logNext] = entry;
    this.#logNext = (this.#logNext + 1) % this.#log.length;
    this.#publish({ type: 'log', entry });
  }

  /** Takes one inspection event; `label` names a root machine (from `inspector(label)`). Never throws. */
  take(event: InspectionEvent, label: string | undefined): void {
    const actor = event.actorRef as unknown as ActorLike;
    if (event.type === '@xstate.actor') {
      this.#register(actor, event.rootId === actor.sessionId, label);
      return;
    }
    if (event.type !== '@xstate.snapshot') return;
    const record = this.#machines.get(actor);
    if (!record) return;
    const snapshot = event.snapshot as { value?: unknown; status?: MachineView['status']; context?: unknown };
    const before = record.state;
    record.active = activeStateIds(snapshot.value);
    record.state = leafState(record.active);
    record.status = snapshot.status ?? record.status;
    record.context = preview(snapshot.context, this.#options.maxPreviewChars);
    record.steps++;
    const type = typeof event.event?.type === 'string' ? event.event.type : '?';
    const at = clockNow(this.#options.clock);
    const entry: LogEntry = {
      kind: 'event',
      seq: ++this.#seq,
      at,
      machine: record.id,
      label: record.label,
      event: type.length > 200 ? `${type.slice(0, 199)}…` : type,
      detail: preview(event.event, this.#options.maxPreviewChars),
      state: record.state,
      changed: before !== record.state,
    };
    this.#publish({ type: 'machine', machine: record, now: at });
    this.#append(entry);
  }

  #register(actor: ActorLike, isRoot: boolean, label: string | undefined): void {
    if (this.#machines.has(actor) || this.#ignored.has(actor)) return;
    const logic = actor.logic;
    if (!isMachine(logic)) {
      this.#ignored.add(actor); // promise and callback actors: their machine's log shows them
      return;
    }
    if (this.#machines.size >= this.#options.maxMachines && !this.#forgetOldestFinished()) {
      this.#ignored.add(actor);
      this.#untracked++;
      this.#publish({ type: 'stats', untracked: this.#untracked });
      return;
    }
    const definition = this.#definitionFor(logic);
    const system = actor.system;
    let name: string;
    let group: string;
    const id = `m${++this.#ids}`;
    if (isRoot) {
      name = this.#unique(id, label === undefined ? logic.id : `${label} › ${logic.id}`);
      group = label ?? name;
      if (typeof system === 'object' && system !== null) this.#rootLabels.set(system, group);
    } else {
      const root = typeof system === 'object' && system !== null ? this.#rootLabels.get(system) : undefined;
      group = root ?? logic.id;
      name = this.#unique(id, `${group} › ${typeof actor.id === 'string' ? actor.id : logic.id}`);
    }
    const record: MachineView = { id, label: name, group, machine: logic.id, definition, active: [], state: '', status: 'active', context: '', steps: 0 };
    this.#machines.set(actor, record);
    this.#publish({ type: 'machine', machine: record, now: clockNow(this.#options.clock) });
  }

  /**
   * `base`, or `base #2`, `base #3`… while earlier ones are tracked. The count of a base
   * goes when its last machine is forgotten, so short-lived actors cannot grow it.
   */
  #unique(id: string, base: string): string {
    const known = this.#labelsInUse.get(base);
    const entry = known ?? { next: 1, live: 0 };
    if (!known) this.#labelsInUse.set(base, entry);
    const n = entry.next++;
    entry.live++;
    this.#baseOf.set(id, base);
    return n === 1 ? base : `${base} #${n}`;
  }

  #release(id: string): void {
    const base = this.#baseOf.get(id);
    if (base === undefined) return;
    this.#baseOf.delete(id);
    const entry = this.#labelsInUse.get(base);
    if (entry && --entry.live === 0) this.#labelsInUse.delete(base);
  }

  #definitionFor(logic: AnyStateMachine): string {
    const known = this.#definitionOf.get(logic);
    if (known !== undefined && this.#definitions.has(known)) {
      (this.#definitions.get(known) as Definition).users++;
      return known;
    }
    let graph: StateGraph;
    try {
      graph = machineGraph(logic);
    } catch {
      graph = { machine: logic.id, root: { id: '', key: logic.id, type: 'compound', children: [] }, edges: [] };
    }
    let json = JSON.stringify(graph);
    if (json.length > MAX_DEFINITION_CHARS) {
      graph = { machine: logic.id, root: { id: '', key: logic.id, type: 'compound', children: [] }, edges: [], omitted: `definition too large to draw (${json.length} characters of graph)` };
      json = JSON.stringify(graph);
    }
    let id = this.#definitionByJson.get(json);
    if (id === undefined) {
      id = `d${++this.#definitionIds}`;
      this.#definitionByJson.set(json, id);
      this.#definitions.set(id, { graph, json, users: 0 });
      this.#publish({ type: 'definition', id, graph });
    }
    (this.#definitions.get(id) as Definition).users++;
    this.#definitionOf.set(logic, id);
    return id;
  }

  #forgetOldestFinished(): boolean {
    for (const [actor, record] of this.#machines) {
      if (record.status === 'active') continue;
      this.#machines.delete(actor);
      this.#ignored.add(actor);
      const definition = this.#definitions.get(record.definition);
      if (definition && --definition.users === 0) {
        this.#definitions.delete(record.definition);
        this.#definitionByJson.delete(definition.json);
      }
      this.#release(record.id);
      this.#publish({ type: 'forget', id: record.id });
      return true;
    }
    return false;
  }
}
