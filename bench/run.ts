// `npm run bench`: runs every bench/*.bench.ts (each exports `run()` returning its
// figures) and prints them. Run under `node --expose-gc` so heap figures are honest.
// Pass names to run a subset: `npm run bench -- stateSyncer serverManager`.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

type Bench = { run(): Promise<Record<string, string | number>> };

const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.includes(f.replace('.bench.ts', '')))
  .sort();

if (typeof globalThis.gc !== 'function') {
  console.error('note: run with node --expose-gc (npm run bench does) for heap figures');
}
console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
for (const file of files) {
  const bench = (await import(pathToFileURL(`${dir}/${file}`).href)) as Bench;
  const started = process.hrtime.bigint();
  const figures = await bench.run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`\n## ${file.replace('.bench.ts', '')} (${seconds.toFixed(1)} s)`);
  const width = Math.max(...Object.keys(figures).map((k) => k.length));
  for (const [name, value] of Object.entries(figures)) console.log(`  ${name.padEnd(width)}  ${value}`);
}
