// Every TypeScript block in README.md and docs/*.md compiles against the public
// entries (`ae-sync`, `ae-sync/etcd`, …, mapped to their sources), with only what its
// `typecheck: given` marker declares. Each block is its own module; a diagnostic is
// reported at its line in the markdown.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { allTsBlocks, ENTRY_SOURCES, root, tsBlocks, type CodeBlock } from './blocks.js';

// Inside the repository, so that `pino` and the other packages resolve as for a reader's project.
mkdirSync(join(root, '.tmp'), { recursive: true });
const dir = mkdtempSync(join(root, '.tmp', 'doc-blocks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Typechecks blocks together; returns `file:line: message` for each diagnostic in a block. */
function typecheck(blocks: readonly CodeBlock[]): string[] {
  const files = blocks.map((b, i) => {
    const path = join(dir, `block-${i}.ts`);
    const prelude = b.given === '' ? '' : `${b.given}\n`;
    // `export {}` makes every block a module (its own scope; top-level await allowed).
    writeFileSync(path, `${prelude}${b.code}\nexport {};\n`);
    return { path, block: b, offset: prelude.split('\n').length - 1 };
  });
  const paths = Object.fromEntries(Object.entries(ENTRY_SOURCES).map(([name, src]) => [name, [join(root, src)]]));
  const program = ts.createProgram(
    files.map((f) => f.path),
    {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2023.d.ts'],
      types: ['node'],
      strict: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: true,
      noEmit: true,
      paths,
    },
  );
  const problems: string[] = [];
  for (const f of files) {
    const source = program.getSourceFile(f.path);
    for (const d of ts.getPreEmitDiagnostics(program, source)) {
      const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line - f.offset : 0;
      const where = at < 0 ? `${f.block.file}:${f.block.line} (in its given marker)` : `${f.block.file}:${f.block.line + at}`;
      problems.push(`${where}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    }
  }
  return problems;
}

describe('TypeScript blocks in README.md and docs/', () => {
  const blocks = allTsBlocks();

  it('finds the quick starts and the other docs\' examples', () => {
    const readme = blocks.filter((b) => b.file === 'README.md');
    expect(readme.map((b) => b.heading)).toEqual(['Quick start: embed a syncer', 'Quick start: an agent with a server manager', 'Quick start: a service registry on etcd']);
    expect(blocks.filter((b) => b.file !== 'README.md').length).toBeGreaterThanOrEqual(4);
  });

  it('compile against the public entries with only what their markers declare', () => {
    expect(typecheck(blocks)).toEqual([]);
  }, 120_000);

  it('report a block that does not compile at its line in the markdown (the check can fail)', () => {
    const markdown = ['# t', '', '```ts', "import { StateSyncer } from 'ae-sync';", 'new StateSyncer({ interval: "soon" });', '```'].join('\n');
    const problems = typecheck(tsBlocks('docs/x.md', markdown));
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(/^docs\/x\.md:5: /);
  }, 120_000);

  it('do not let a block use what it neither imports nor declares', () => {
    const markdown = ['```ts', 'await pushAll();', '```'].join('\n');
    expect(typecheck(tsBlocks('README.md', markdown))).toEqual([expect.stringMatching(/^README\.md:2: Cannot find name 'pushAll'/)]);
  }, 120_000);
});
