// A machine definition as a plain, serialisable graph: the state tree and every
// transition as a labelled edge. The live view sends it to the browser, which lays
// it out with elkjs; scripts/diagrams.ts renders the same graph as Mermaid for docs/.
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import type { StateGraph, StateGraphEdge, StateGraphNode } from './protocol.js';

export type { StateGraph, StateGraphEdge, StateGraphNode } from './protocol.js';

export function stateId(node: AnyStateNode): string {
  return node.path.join('.');
}

function guardLabel(guard: unknown): string {
  if (guard === undefined) return '';
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && guard !== null && 'type' in guard) return String(guard.type);
  const nested = (guard as { guards?: unknown[] }).guards;
  const name = (guard as { name?: string }).name;
  if (Array.isArray(nested)) return nested.map(guardLabel).join(name === 'or' ? ' || ' : ' && ');
  return name ?? 'guard';
}

function eventLabel(eventType: string, node: AnyStateNode): string {
  if (eventType.startsWith('xstate.after.')) return `after ${eventType.split('.')[2] ?? ''}`;
  const invoked = node.invoke[0]?.src;
  const src = typeof invoked === 'string' ? invoked : 'actor';
  if (eventType.startsWith('xstate.done.actor.')) return `${src} done`;
  if (eventType.startsWith('xstate.error.actor.')) return `${src} error`;
  return eventType;
}

function edgeLabel(event: string, guard: unknown, actions: readonly unknown[]): string {
  const g = guardLabel(guard);
  // Emitted events are how the runtime hears about a transition, not part of the behaviour.
  const names = actions
    .map((a) => (typeof a === 'string' ? a : ((a as { type?: string }).type ?? '')))
    .filter((a) => a && !a.startsWith('emit'));
  return `${event}${g ? ` [${g}]` : ''}${names.length ? ` / ${names.join(', ')}` : ''}`;
}

interface TransitionLike {
  target?: readonly AnyStateNode[];
  guard?: unknown;
  actions: readonly unknown[];
}

function collectEdges(node: AnyStateNode, edges: StateGraphEdge[], topLevel: readonly AnyStateNode[]): void {
  const from = stateId(node);
  const isRoot = node.path.length === 0;
  const add = (event: string, t: TransitionLike): void => {
    const label = edgeLabel(event, t.guard, t.actions);
    const targets = t.target ?? [];
    // Root-level transitions (e.g. STOP) apply in every top-level state: draw them from each.
    const sources = isRoot ? topLevel.filter((s) => s.type !== 'final').map(stateId) : [from];
    if (targets.length === 0) {
      if (!isRoot) edges.push({ from, to: from, label });
      return;
    }
    for (const source of sources) for (const target of targets) edges.push({ from: source, to: stateId(target), label });
  };
  for (const [eventType, transitions] of Object.entries(node.on)) {
    if (eventType.startsWith('xstate.after.')) continue; // listed through node.after below
    for (const t of (transitions ?? []) as TransitionLike[]) add(eventLabel(eventType, node), t);
  }
  for (const t of node.after) add(`after ${String(t.delay)}`, t);
  for (const t of node.always ?? []) add('always', t);
  for (const child of Object.values(node.states)) collectEdges(child, edges, topLevel);
}

function treeOf(node: AnyStateNode): StateGraphNode {
  const children = Object.values(node.states).map(treeOf);
  const initial = node.initial?.target?.[0];
  return {
    id: stateId(node),
    key: node.path.length === 0 ? node.machine.id : node.key,
    type: node.type,
    ...(initial && children.length > 0 ? { initial: stateId(initial) } : {}),
    children,
  };
}

/** The graph of `machine`, derived from its definition (never drawn by hand). */
export function machineGraph(machine: AnyStateMachine): StateGraph {
  const edges: StateGraphEdge[] = [];
  collectEdges(machine.root, edges, Object.values(machine.root.states));
  return { machine: machine.id, root: treeOf(machine.root), edges };
}

/**
 * Ids of every active state of a snapshot's `value` (`'done'`, `{ partialSync: 'idle' }`,
 * or several regions of a parallel state), ancestors included, in document order.
 */
export function activeStateIds(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [prefix + value];
  if (typeof value !== 'object' || value === null) return [];
  const ids: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    const id = prefix + key;
    ids.push(id, ...activeStateIds(child, `${id}.`));
  }
  return ids;
}
