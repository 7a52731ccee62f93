// TypeScript blocks of README.md and docs/*.md, for the tests that typecheck and run
// them. A block may be preceded by a marker that states what it assumes, verbatim
// TypeScript (declarations of the reader's own functions, say), and nothing else:
//
//   <!-- typecheck: given
//   declare function pushAll(signal: AbortSignal): Promise<void>;
//   -->
//   ```ts
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

export interface CodeBlock {
  /** Path relative to the repository, e.g. `docs/catalog.md`. */
  file: string;
  /** Line of the first code line in the markdown file (1-based). */
  line: number;
  code: string;
  /** What the block assumes, from its `typecheck: given` marker ('' when it assumes nothing). */
  given: string;
  /** The nearest heading above the block. */
  heading: string;
}

const FENCE = /^```(\w*)\s*$/;
const GIVEN = /<!-- typecheck: given\n([\s\S]*?)-->\s*$/;

/** Every ```ts / ```typescript block of one markdown text. */
export function tsBlocks(file: string, markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith('#')) heading = line.replace(/^#+\s*/, '');
    const fence = FENCE.exec(line);
    if (!fence) continue;
    let end = i + 1;
    while (end < lines.length && !(lines[end] as string).startsWith('```')) end++;
    if (fence[1] === 'ts' || fence[1] === 'typescript') {
      const before = lines.slice(Math.max(0, i - 40), i).join('\n');
      blocks.push({ file, line: i + 2, code: lines.slice(i + 1, end).join('\n'), given: GIVEN.exec(before)?.[1] ?? '', heading });
    }
    i = end;
  }
  return blocks;
}

/** The blocks of README.md and every docs/*.md. */
export function allTsBlocks(): CodeBlock[] {
  const files = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
  return files.flatMap((f) => tsBlocks(f, readFileSync(join(root, f), 'utf8')));
}

/** The public entries, as a reader imports them, mapped to their sources. */
export const ENTRY_SOURCES: Record<string, string> = {
  'ae-sync': 'src/index.ts',
  'ae-sync/machines': 'machines/index.ts',
  'ae-sync/testing': 'src/testing.ts',
  'ae-sync/etcd': 'src/etcd/index.ts',
  'ae-sync/view': 'src/view/index.ts',
};
