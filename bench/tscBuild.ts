// Compiles src/ and machines/ with tsc into a scratch folder (.tmp/, git-ignored) so a
// bench can measure the code users get. Under tsx, esbuild's keepNames re-defines
// `name` on every function it creates and V8 then gives each such closure its own
// property store (~250 B), which inflates per-instance heap figures.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
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

/** The folder {@link tscBuild} builds `name` into. */
export function buildDir(name: string): string {
  return `${root}.tmp/${name}`;
}

/** Removes the scratch build. */
export function removeBuild(name: string): void {
  rmSync(`${root}.tmp/${name}`, { recursive: true, force: true });
}
