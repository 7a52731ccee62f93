// Generates Mermaid state diagrams from the machine definitions themselves, and
// keeps the diagram blocks in docs/*.md up to date. Never draw a diagram by hand:
// `npm run docs` rewrites every `<!-- diagram:<machine id> -->` block, and
// test/docs.test.ts fails when a checked-in block is stale.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnyStateMachine, AnyStateNode } from 'xstate';

interface Edge {
  from: string;
  to: string;
  label: string;
}

const ROOT_MARK = '__root__';

function mermaidId(node: AnyStateNode): string {
  return node.path.length === 0 ? ROOT_MARK : node.path.join('_');
}

function guardLabel(guard: unknown): string {
  if (guard === undefined) return '';
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && guard !== null && 'type' in guard) return String((guard).type);
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

function label(event: string, guard: unknown, actions: readonly unknown[]): string {
  const g = guardLabel(guard);
  const names = actions
    .map((a) => (typeof a === 'string' ? a : ((a as { type?: string }).type ?? '')))
    .filter((a) => a && !a.startsWith('emit'));
  return `${event}${g ? ` [${g}]` : ''}${names.length ? ` / ${names.join(', ')}` : ''}`;
}

function collectEdges(node: AnyStateNode, edges: Edge[], topLevel: AnyStateNode[]): void {
  const from = mermaidId(node);
  const add = (event: string, t: { target?: readonly AnyStateNode[]; guard?: unknown; actions: readonly unknown[] }) => {
    const text = label(event, t.guard, t.actions);
    const targets = t.target ?? [];
    // Root-level transitions (e.g. STOP) apply in every top-level state: draw them from each.
    const sources = from === ROOT_MARK ? topLevel.filter((s) => s.type !== 'final').map(mermaidId) : [from];
    if (targets.length === 0) {
      if (from !== ROOT_MARK) edges.push({ from, to: from, label: text });
      return;
    }
    for (const source of sources) for (const target of targets) edges.push({ from: source, to: mermaidId(target), label: text });
  };
  for (const [eventType, transitions] of Object.entries(node.on)) {
    if (eventType.startsWith('xstate.after.')) continue; // listed through node.after below
    for (const t of transitions ?? []) add(eventLabel(eventType, node), t);
  }
  for (const t of node.after) add(`after ${String(t.delay)}`, t);
  for (const t of node.always ?? []) add('always', t);
  for (const child of Object.values(node.states)) collectEdges(child, edges, topLevel);
}

function declareStates(node: AnyStateNode, lines: string[], indent: string): void {
  for (const child of Object.values(node.states)) {
    const id = mermaidId(child);
    const name = child.key;
    if (Object.keys(child.states).length > 0) {
      lines.push(`${indent}state "${name}" as ${id} {`);
      const initial = child.initial?.target?.[0];
      if (initial) lines.push(`${indent}  [*] --> ${mermaidId(initial)}`);
      declareStates(child, lines, `${indent}  `);
      lines.push(`${indent}}`);
    } else {
      lines.push(`${indent}state "${name}" as ${id}`);
      if (child.type === 'final') lines.push(`${indent}${id} --> [*]`);
    }
  }
}

/** A Mermaid `stateDiagram-v2` of `machine`, derived from its definition. */
export function machineToMermaid(machine: AnyStateMachine): string {
  const root = machine.root;
  const lines = ['stateDiagram-v2'];
  const initial = root.initial?.target?.[0];
  if (initial) lines.push(`  [*] --> ${mermaidId(initial)}`);
  declareStates(root, lines, '  ');
  const edges: Edge[] = [];
  collectEdges(root, edges, Object.values(root.states));
  for (const e of edges) lines.push(`  ${e.from} --> ${e.to} : ${e.label}`);
  return lines.join('\n');
}

const BLOCK = /<!-- diagram:([\w-]+) -->\n[\s\S]*?<!-- \/diagram -->/g;

/** The text of `markdown` with every diagram block regenerated from `machines` (by machine id). */
export function renderDiagramBlocks(markdown: string, machines: Map<string, AnyStateMachine>): string {
  return markdown.replace(BLOCK, (whole, id: string) => {
    const machine = machines.get(id);
    if (!machine) throw new Error(`docs refer to an unknown machine "${id}"`);
    return `<!-- diagram:${id} -->\n\`\`\`mermaid\n${machineToMermaid(machine)}\n\`\`\`\n<!-- /diagram -->`;
  });
}

/** Every machine exported from machines/index.ts, keyed by its `id`. */
export async function loadMachines(): Promise<Map<string, AnyStateMachine>> {
  const exported = (await import('../machines/index.js')) as Record<string, unknown>;
  const machines = new Map<string, AnyStateMachine>();
  for (const value of Object.values(exported)) {
    if (value && typeof value === 'object' && 'root' in value && 'id' in value && 'provide' in value) {
      const machine = value as AnyStateMachine;
      machines.set(machine.id, machine);
    }
  }
  return machines;
}

/** For each docs/*.md containing diagram blocks: its path, current text and regenerated text. */
export async function diagramDocs(docsDir: string): Promise<{ path: string; current: string; expected: string }[]> {
  const machines = await loadMachines();
  const result: { path: string; current: string; expected: string }[] = [];
  for (const file of readdirSync(docsDir).filter((f) => f.endsWith('.md')).sort()) {
    const path = join(docsDir, file);
    const current = readFileSync(path, 'utf8');
    if (!current.includes('<!-- diagram:')) continue;
    result.push({ path, current, expected: renderDiagramBlocks(current, machines) });
  }
  return result;
}
