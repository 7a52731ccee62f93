// What the live view's server sends the page: the one definition of every message,
// read by the server (store.ts, server.ts) and, through JSDoc imports, by the page
// script (client/app.js), so the two sides cannot drift. Types only; imports nothing.

export interface StateGraphNode {
  /** The state's path joined with '.', e.g. `partialSync.idle`; '' for the root. */
  id: string;
  key: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** Id of the initial child of a compound state. */
  initial?: string;
  children: StateGraphNode[];
}

export interface StateGraphEdge {
  from: string;
  to: string;
  /** `EVENT [guard] / action, action` — delays as `after name`, invocations as `src done` / `src error`. */
  label: string;
}

export interface StateGraph {
  /** The machine's id. */
  machine: string;
  root: StateGraphNode;
  edges: StateGraphEdge[];
  /** Set when the definition was not sent (e.g. too large to draw), saying why. */
  omitted?: string;
}

export interface MachineView {
  /** The view's own id (`m1`, `m2`, …): xstate session ids repeat across actor systems. */
  id: string;
  /**
   * What the page shows: `<inspector label> › <machine id>` for a root machine watched
   * through `inspector(label)` (so an agent's syncer and rebalancer read `agent-1 ›
   * stateSyncer`, `agent-1 › rebalancer`), `<machine id>` (`#2`, `#3`… when repeated)
   * through `inspect`, and `<root's label> › <child id>` for a child machine.
   */
  label: string;
  /** The inspector's label (the agent), or the root machine's label when none was given: what the page filters by. */
  group: string;
  /** The machine's id (`stateSyncer`, `rebalancer`). */
  machine: string;
  /** Key of the machine's graph in the definitions. */
  definition: string;
  /** The active state ids, ancestors included (`partialSync`, `partialSync.idle`). */
  active: string[];
  /** The deepest active state ids joined with ', ' (what the page prints). */
  state: string;
  status: 'active' | 'done' | 'error' | 'stopped';
  /** A bounded JSON preview of the context. */
  context: string;
  /** Snapshots seen. */
  steps: number;
}

export interface LogEntry {
  /** `event`: a machine's event; `marker`: a phase of the run (`LiveView.mark`), `event` holding its text. */
  kind: 'event' | 'marker';
  seq: number;
  /** Clock time, ms. */
  at: number;
  machine: string;
  label: string;
  /** The event's type. */
  event: string;
  /** A bounded JSON preview of the event. */
  detail: string;
  /** The state after the event. */
  state: string;
  /** Whether the event changed the state. */
  changed: boolean;
}

export type ViewMessage =
  | { type: 'definition'; id: string; graph: StateGraph }
  | { type: 'machine'; machine: MachineView; now: number }
  | { type: 'forget'; id: string }
  | { type: 'log'; entry: LogEntry }
  | { type: 'stats'; untracked: number };

export interface Hello {
  title: string;
  /** The clock's time when this was sent, ms: the page shows deadlines relative to it. */
  now: number;
  /** The latest marker's text (the run's current phase), or '' before any. */
  banner: string;
  definitions: Record<string, StateGraph>;
  machines: MachineView[];
  log: LogEntry[];
  untracked: number;
}

