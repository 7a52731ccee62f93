// Generates Mermaid state diagrams from the machine definitions themselves, and
// keeps the diagram blocks in docs/*.md up to date. Never draw a diagram by hand:
// `npm run docs` rewrites every `<!-- diagram:<machine id> -->` block, and
// test/docs.test.ts fails when a checked-in block is stale.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnyStateMachine } from 'xstate';
import { machineGraph, type StateGraphNode } from '../src/view/graph.js';

// The graph (states, labelled edges) comes from src/view/graph.ts, the one home of
// that rule: the live view draws the same edges with the same labels.
const ROOT_MARK = '__root__';

function mermaidId(id: string): string {
  return id === '' ? ROOT_MARK : id.split('.').join('_');
}

function declareStates(node: StateGraphNode, lines: string[], indent: string): void {
  for (const child of node.children) {
    const id = mermaidId(child.id);
    if (child.children.length > 0) {
      lines.push(`${indent}state "${child.key}" as ${id} {`);
      if (child.initial !== undefined) lines.push(`${indent}  [*] --> ${mermaidId(child.initial)}`);
      declareStates(child, lines, `${indent}  `);
      lines.push(`${indent}}`);
    } else {
      lines.push(`${indent}state "${child.key}" as ${id}`);
      if (child.type === 'final') lines.push(`${indent}${id} --> [*]`);
    }
  }
}

/** A Mermaid `stateDiagram-v2` of `machine`, derived from its definition. */
export function machineToMermaid(machine: AnyStateMachine): string {
  const graph = machineGraph(machine);
  const lines = ['stateDiagram-v2'];
  if (graph.root.initial !== undefined) lines.push(`  [*] --> ${mermaidId(graph.root.initial)}`);
  declareStates(graph.root, lines, '  ');
  for (const e of graph.edges) lines.push(`  ${mermaidId(e.from)} --> ${mermaidId(e.to)} : ${e.label}`);
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
