// Compiles src/ and machines/ with tsc into a scratch folder (.tmp/, git-ignored) so a
// bench can measure the code users get. Under tsx, esbuild's keepNames re-defines
// `name` on every function it creates and V8 then gives each such closure its own
// property store (~250 B), which inflates per-instance heap figures.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Builds into `.tmp/<name>` and returns an importer for paths under it; undefined when tsc fails. */
export function tscBuild(name: string): ((path: string) => Promise<unknown>) | undefined {
  const dir = `${root}.tmp/${name}`;
  rmSync(dir, { recursive: true, force: true });
  const tsc = `${root}node_modules/typescript/bin/tsc`;
  const result = spawnSync(process.execPath, [tsc, '-p', `${root}tsconfig.build.json`, '--outDir', dir], {
    cwd: root,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    console.error(`tsc build failed (exit ${result.status}): ${result.stdout}${result.stderr}`);
    return undefined;
  }
  return (path) => import(pathToFileURL(`${dir}/${path}`).href);
}

/**
 * Builds src/ and machines/ as they were at git revision `rev` (a commit, a tag, HEAD)
 * into `.tmp/<name>`, with this checkout's node_modules and compiler; the folder, or
 * undefined when git or tsc fails. For before/after figures in one run.
 */
export function tscBuildAt(name: string, rev: string): string | undefined {
  const src = `${root}.tmp/${name}-src`;
  const dir = `${root}.tmp/${name}`;
  rmSync(src, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  const tree = spawnSync('git', ['archive', '--format=tar', rev, 'src', 'machines', 'tsconfig.json', 'tsconfig.build.json'], { cwd: root, maxBuffer: 1 << 28 });
  if (tree.status !== 0) {
    console.error(`git archive ${rev} failed: ${tree.stderr.toString()}`);
    return undefined;
  }
  const unpacked = spawnSync('tar', ['-x', '-C', src], { input: tree.stdout });
  if (unpacked.status !== 0) {
    console.error(`unpacking ${rev} failed: ${unpacked.stderr.toString()}`);
    return undefined;
  }
  const tsc = `${root}node_modules/typescript/bin/tsc`;
  const result = spawnSync(process.execPath, [tsc, '-p', `${src}/tsconfig.build.json`, '--outDir', dir], { cwd: root, encoding: 'utf8' });
  rmSync(src, { recursive: true, force: true });
  if (result.status !== 0) {
    console.error(`tsc build of ${rev} failed (exit ${result.status}): ${result.stdout}${result.stderr}`);
    return undefined;
  }
  return dir;
}

/** The folder {@link tscBuild} builds `name` into. */
export function buildDir(name: string): string {
  return `${root}.tmp/${name}`;
}

/** Removes the scratch build. */
export function removeBuild(name: string): void {
  rmSync(`${root}.tmp/${name}`, { recursive: true, force: true });
}
