// The architecture's layers as lint rules: each folder may import only from the
// folders below it (docs/overview.md, "Architecture"), and no files import each other
// in a circle. A relative import that crosses a boundary the wrong way, or a file on
// an import circle, fails `npm run lint`, naming the files.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * Layers, most specific first: the first whose `path` prefix matches a file applies.
 * `may` lists the project folders (or files) it may import from; its own folder is
 * always allowed. `packages`, when given, is the only npm packages it may import.
 */
export const LAYERS = [
  { path: 'machines/', may: [], packages: ['xstate'] },
  { path: 'src/shared/', may: [] },
  // OpenTelemetry instrumentation: what the runtimes report, never what they do.
  { path: 'src/telemetry/', may: ['src/shared/'], packages: ['@opentelemetry/api'] },
  { path: 'src/syncer/', may: ['src/shared/', 'src/telemetry/', 'machines/'] },
  { path: 'src/servers/', may: ['src/shared/', 'src/telemetry/', 'machines/'] },
  // The agent's composition rule (which server events ask for a full sync): below every host of agents.
  { path: 'src/wiring.ts', may: ['src/servers/', 'src/shared/'] },
  { path: 'src/agent.ts', may: ['src/wiring.ts', 'src/syncer/', 'src/servers/', 'src/shared/', 'machines/'] },
  { path: 'src/catalog/', may: ['src/agent.ts', 'src/syncer/', 'src/servers/', 'src/shared/', 'src/telemetry/'] },
  { path: 'src/etcd/', may: ['src/catalog/', 'src/shared/'] },
  { path: 'src/view/', may: ['src/shared/', 'machines/'] },
  // Tools and entry points built on everything of the library (never on tests or benches).
  { path: 'src/', may: ['src/', 'machines/'] },
];

function layerOf(file) {
  return LAYERS.find((layer) => file === layer.path || file.startsWith(layer.path));
}

function inside(file, folder) {
  return file === folder || (folder.endsWith('/') && file.startsWith(folder));
}

/** @type {import('eslint').Rule.RuleModule} */
const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Keep imports inside the architecture layers' },
    schema: [{ type: 'object', properties: { root: { type: 'string' } }, additionalProperties: false }],
  },
  create(context) {
    const root = context.options[0]?.root ?? context.cwd;
    const file = relative(root, context.filename).split('\\').join('/');
    const layer = layerOf(file);
    if (!layer) return {};
    const own = layer.path;
    const check = (node, source) => {
      if (typeof source !== 'string') return;
      if (!source.startsWith('.')) {
        if (source.startsWith('node:') && layer.packages === undefined) return;
        const pkg = source.startsWith('@') ? source.split('/').slice(0, 2).join('/') : source.split('/')[0];
        if (layer.packages && !layer.packages.includes(pkg)) {
          context.report({ node, message: `${own} may import only ${layer.packages.join(', ')}; found "${source}"` });
        }
        return;
      }
      const target = relative(root, resolve(dirname(context.filename), source)).split('\\').join('/').replace(/\.js$/, '.ts');
      if (inside(target, own)) return;
      if (layer.may.some((folder) => inside(target, folder))) return;
      context.report({
        node,
        message: `${own} must not import ${target} (allowed: ${[own, ...layer.may].join(', ')}; see docs/overview.md)`,
      });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

// Relative imports and re-exports, type-only ones included: a circle of types is still a
// circle a reader has to untangle.
const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*['"](\.[^'"]+)['"]|\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function sourceFiles(root, folder) {
  const out = [];
  for (const entry of readdirSync(join(root, folder), { withFileTypes: true })) {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(root, path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Files of `src/` and `machines/` that sit on an import circle, each with the circle's members (Tarjan's SCCs). */
export function importCircles(root) {
  const files = [...sourceFiles(root, 'src'), ...sourceFiles(root, 'machines')];
  const known = new Set(files);
  const edges = new Map();
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    const targets = new Set();
    for (const m of text.matchAll(IMPORT)) {
      const target = relative(root, resolve(root, dirname(file), m[1] ?? m[2])).split('\\').join('/').replace(/\.js$/, '.ts');
      if (known.has(target) && target !== file) targets.add(target);
    }
    edges.set(file, [...targets]);
  }
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const circles = new Map();
  let next = 0;
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    const members = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      members.push(w);
    } while (w !== v);
    if (members.length > 1) for (const m of members) circles.set(m, members.sort());
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return circles;
}

// One graph per lint run: every file's check reads the same map.
const circlesByRoot = new Map();

/** @type {import('eslint').Rule.RuleModule} */
const circlesRule = {
  meta: {
    type: 'problem',
    docs: { description: 'No import circles between files' },
    schema: [{ type: 'object', properties: { root: { type: 'string' } }, additionalProperties: false }],
  },
  create(context) {
    const root = context.options[0]?.root ?? context.cwd;
    if (!circlesByRoot.has(root)) circlesByRoot.set(root, importCircles(root));
    const file = relative(root, context.filename).split('\\').join('/');
    const members = circlesByRoot.get(root).get(file);
    if (!members) return {};
    return {
      Program: (node) =>
        context.report({ node, message: `${file} is on an import circle with ${members.filter((m) => m !== file).join(', ')}` }),
    };
  },
};

export default { rules: { layers: layersRule, circles: circlesRule } };
