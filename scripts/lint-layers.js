// The architecture's layers as a lint rule: each folder may import only from the
// folders below it (docs/overview.md, "Architecture"). A relative import that
// crosses a boundary the wrong way fails `npm run lint`, naming both folders.
import { dirname, relative, resolve } from 'node:path';

/**
 * Layers, most specific first: the first whose `path` prefix matches a file applies.
 * `may` lists the project folders (or files) it may import from; its own folder is
 * always allowed. `packages`, when given, is the only npm packages it may import.
 */
export const LAYERS = [
  { path: 'machines/', may: [], packages: ['xstate'] },
  { path: 'src/shared/', may: [] },
  { path: 'src/syncer/', may: ['src/shared/', 'machines/'] },
  { path: 'src/servers/', may: ['src/shared/', 'machines/'] },
  // The agent's composition rule (which server events ask for a full sync): below every host of agents.
  { path: 'src/wiring.ts', may: ['src/servers/', 'src/shared/'] },
  { path: 'src/agent.ts', may: ['src/wiring.ts', 'src/syncer/', 'src/servers/', 'src/shared/', 'machines/'] },
  { path: 'src/catalog/', may: ['src/agent.ts', 'src/syncer/', 'src/servers/', 'src/shared/'] },
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

export default { rules: { layers: layersRule } };
