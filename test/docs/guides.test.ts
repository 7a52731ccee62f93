// The user guides (README.md and docs/*.md) speak to users: they name the API, the
// command or the behaviour, never a file of the repository's sources, tests or
// benchmarks, which a user of the package does not have. Contributor material, where
// those paths belong, is in CONTRIBUTING.md.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './blocks.js';

/** A path into the repository's sources, tests or benchmarks: `src/…`, `test/…`, `bench/…`, `machines/….ts`. */
const SOURCE_PATH = /(?<![\w.@/-])(?:\.\.\/)?(?:src|test|bench)\/[\w./-]*|(?<![\w.@/-])(?:\.\.\/)?machines\/[\w.-]+\.ts\b/g;

/** `file:line: path` for every source path in `markdown`. */
function sourcePaths(file: string, markdown: string): string[] {
  return markdown.split('\n').flatMap((line, i) => [...line.matchAll(SOURCE_PATH)].map((m) => `${file}:${i + 1}: ${m[0]}`));
}

describe('the user guides', () => {
  const guides = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

  it('name no source, test or benchmark path', () => {
    expect(guides.length).toBeGreaterThan(10);
    expect(guides.flatMap((f) => sourcePaths(f, readFileSync(join(root, f), 'utf8')))).toEqual([]);
  });

  it('are each linked from the README', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const linked = new Set([...readme.matchAll(/\]\((docs\/[\w.-]+\.md)(?:#[^)]*)?\)/g)].map((m) => m[1]));
    expect(guides.filter((f) => f.startsWith('docs/') && !linked.has(f))).toEqual([]);
  });

  it('would report a path, at its line (the check can fail)', () => {
    const markdown = ['# t', 'The registry (`src/catalog/registry.ts`) is tested in test/catalog/x.test.ts,', 'see [the machine](../machines/stateSyncer.machine.ts) and `bench/sim.bench.ts`.'].join('\n');
    expect(sourcePaths('docs/x.md', markdown)).toEqual([
      'docs/x.md:2: src/catalog/registry.ts',
      'docs/x.md:2: test/catalog/x.test.ts',
      'docs/x.md:3: ../machines/stateSyncer.machine.ts',
      'docs/x.md:3: bench/sim.bench.ts',
    ]);
  });

  it('leave alone what only looks like a path: an npm scope, a URL, `ae-sync/testing`, a flag', () => {
    const markdown = '`@scope/src/x`, https://example.org/src/a, `ae-sync/testing`, `--out reports/sim`, agent/ae, latest/test';
    expect(sourcePaths('docs/x.md', markdown)).toEqual([]);
  });
});
