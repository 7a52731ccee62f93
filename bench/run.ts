// `npm run bench`: runs every bench/*.bench.ts (each exports `run()` returning its
// figures) and prints them. Run under `node --expose-gc` so heap figures are honest.
// Pass names to run a subset: `npm run bench -- stateSyncer serverManager`; a name that
// is not a file is a point a bench exports in `points` (opt-in, e.g. `npm run bench -- sim-100k`).
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

type Figures = Record<string, string | number>;
type Bench = { run(): Promise<Figures>; points?: Record<string, () => Promise<Figures>> };

const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
const files = all.filter((f) => only.length === 0 || only.includes(f.replace('.bench.ts', '')));
const pointNames = only.filter((name) => !all.includes(`${name}.bench.ts`));

if (typeof globalThis.gc !== 'function') {
  console.error('note: run with node --expose-gc (npm run bench does) for heap figures');
}
console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
async function print(title: string, measure: () => Promise<Figures>): Promise<void> {
  const started = process.hrtime.bigint();
  const figures = await measure();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`\n## ${title} (${seconds.toFixed(1)} s)`);
  const width = Math.max(...Object.keys(figures).map((k) => k.length));
  for (const [name, value] of Object.entries(figures)) console.log(`  ${name.padEnd(width)}  ${value}`);
}

for (const file of files) {
  const bench = (await import(pathToFileURL(`${dir}/${file}`).href)) as Bench;
  await print(file.replace('.bench.ts', ''), () => bench.run());
}
for (const name of pointNames) {
  // A point belongs to the bench named by its prefix: sim-100k → sim.bench.ts.
  const file = `${name.split('-')[0]}.bench.ts`;
  const bench = all.includes(file) ? ((await import(pathToFileURL(`${dir}/${file}`).href)) as Bench) : undefined;
  const point = bench?.points?.[name];
  if (!point) {
    console.error(`unknown bench or point ${JSON.stringify(name)}; benches: ${all.map((f) => f.replace('.bench.ts', '')).join(', ')}`);
    process.exitCode = 2;
    continue;
  }
  await print(name, point);
}
