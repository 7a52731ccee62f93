import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { diagramDocs, machineToMermaid, renderDiagramBlocks } from '../scripts/diagrams.js';
import { stateSyncerMachine } from '../machines/stateSyncer.machine.js';

describe('generated diagrams', () => {
  it('match the machine definitions in every checked-in doc (run `npm run docs` when this fails)', async () => {
    const docs = await diagramDocs(fileURLToPath(new URL('../docs', import.meta.url)));
    expect(docs.map((d) => d.path).some((p) => p.endsWith('state-syncer.md'))).toBe(true);
    for (const doc of docs) expect(doc.current, doc.path).toBe(doc.expected);
  });

  it('draws every top-level state and the named delays of the syncer', () => {
    const diagram = machineToMermaid(stateSyncerMachine);
    for (const name of ['fullSync', 'partialSync', 'retryFullSync', 'done']) expect(diagram).toContain(`state "${name}"`);
    expect(diagram).toContain('partialSync --> partialSync : after fullSyncDeadline [isBusyInPartialSync] / markDeadlinePassed');
    expect(diagram).toContain('retryFullSync_waiting --> fullSync_syncing : after retryFailDelay');
    expect(diagram).toContain('partialSync_syncingChanges --> partialSync_idle : SYNC_DONE [isCurrentRequest]');
    expect(diagram).toContain('fullSync_checking --> retryFullSync : always [isPaused]');
    expect(diagram).toContain('partialSync --> done : STOP');
  });

  it('refuses a doc block naming an unknown machine', () => {
    expect(() => renderDiagramBlocks('<!-- diagram:nope -->\n<!-- /diagram -->', new Map())).toThrow(/unknown machine "nope"/);
  });
});
