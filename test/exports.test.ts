// The public surface of every package entry, as a snapshot: each exported name with
// whether it is a value or only a type. Adding, removing or renaming a public name
// changes test/__snapshots__/exports.test.ts.snap, so the change shows in review
// (update it on purpose with `npx vitest run test/exports.test.ts -u`).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { exports: Record<string, { default: string } | string> };

/** Source file of each entry in package.json `exports` (dist/…/x.js → …/x.ts). */
const entries = Object.entries(pkg.exports)
  .filter(([, target]) => typeof target === 'object')
  .map(([subpath, target]) => [subpath, `${root}${(target as { default: string }).default.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts')}`] as const);

function surface(program: ts.Program, file: string): string[] {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`not in the program: ${file}`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`not a module: ${file}`);
  return checker
    .getExportsOfModule(moduleSymbol)
    .map((symbol) => {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      // `export type { X }` of a class exports only its type.
      const typeOnly = (symbol.declarations ?? []).some((d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly));
      return `${symbol.getName()}${target.flags & ts.SymbolFlags.Value && !typeOnly ? '' : ' (type)'}`;
    })
    .sort();
}

describe('public surface', () => {
  const program = ts.createProgram(
    entries.map(([, file]) => file),
    { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, skipLibCheck: true, noEmit: true },
  );

  it('covers every entry in package.json exports', () => {
    expect(entries.map(([subpath]) => subpath)).toEqual(['.', './machines', './testing', './etcd', './view']);
  });

  it.each(entries)('of %s matches the snapshot', (subpath, file) => {
    expect(surface(program, file)).toMatchSnapshot();
  });

  it('keeps internals off the root entry', () => {
    const names = surface(program, entries[0]![1]).map((n) => n.replace(' (type)', ''));
    for (const internal of ['statePath', 'shuffleInPlace', 'createRandom', 'MemorySession', 'clockNow', 'TriggerTarget', 'SyncRunner', 'ServerList', 'createHostedActor']) {
      expect(names, internal).not.toContain(internal);
    }
    for (const required of ['StateSyncer', 'ServerManager', 'createSyncAgent', 'createCatalogAgent', 'MemoryCluster', 'ServiceRegistry', 'scaleFactor', 'randomStagger', 'rateScaledInterval', 'isAeSyncError', 'isTimeoutError', 'isStoppedError', 'isNoServersError', 'isSessionLostError']) {
      expect(names, required).toContain(required);
    }
  });
});
