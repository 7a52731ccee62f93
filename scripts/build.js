// `npm run build`: a clean dist/ from src/ and machines/ (tsc), plus the live view's
// page assets (src/view/client/*.js, *.css), which the browser runs as they are.
/* global process */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
rmSync(join(root, 'dist'), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
const from = join(root, 'src/view/client');
const to = join(root, 'dist/src/view/client');
mkdirSync(to, { recursive: true });
for (const file of readdirSync(from).filter((f) => f.endsWith('.js') || f.endsWith('.css'))) copyFileSync(join(from, file), join(to, file));
