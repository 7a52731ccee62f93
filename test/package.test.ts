// The package's public surface: every subpath in package.json `exports` points at a
// built file whose source exists and exports what the docs promise.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  type: string;
  engines: { node: string };
  exports: Record<string, { types: string; default: string } | string>;
};

const expected: Record<string, string[]> = {
  '.': ['StateSyncer', 'ServerManager', 'createSyncAgent', 'createCatalogAgent', 'MemoryCluster', 'NoServersError', 'scaleFactor', 'randomStagger', 'rateScaledInterval'],
  './machines': ['stateSyncerMachine', 'rebalancerMachine'],
  './testing': ['createTestClock', 'constantRandom', 'seededRandom'],
  './etcd': ['createEtcdBackend'],
};

describe('package.json exports', () => {
  it('is an ES module for Node ≥ 20', () => {
    expect(pkg.type).toBe('module');
    expect(pkg.engines.node).toBe('>=20');
  });

  it.each(Object.entries(expected))('maps %s to built JS and types whose source exports the public names', async (subpath, names) => {
    const entry = pkg.exports[subpath];
    if (typeof entry !== 'object') throw new Error(`exports["${subpath}"] must have types and default`);
    expect(entry.types).toBe(entry.default.replace(/\.js$/, '.d.ts'));
    const source = `${root}${entry.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts')}`;
    expect(existsSync(source), source).toBe(true);
    const mod = (await import(pathToFileURL(source).href)) as Record<string, unknown>;
    for (const name of names) expect(mod[name], `${subpath} exports ${name}`).toBeDefined();
  });
});
