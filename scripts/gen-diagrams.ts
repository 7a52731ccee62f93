// `npm run docs`: regenerates the machine diagrams embedded in docs/*.md.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { diagramDocs } from './diagrams.js';

const docsDir = fileURLToPath(new URL('../docs', import.meta.url));
for (const doc of await diagramDocs(docsDir)) {
  if (doc.current === doc.expected) continue;
  writeFileSync(doc.path, doc.expected);
  console.log(`updated ${doc.path}`);
}
