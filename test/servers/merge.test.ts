// The list merges at scale: an operation count (reads of server names, where every
// lookup, comparison and diff of the roster and its lists starts) instead of a timer.
// The manager's setServers took 24.6 s for 20,000 servers when these were quadratic.
import { describe, expect, it } from 'vitest';
import { mergeHeartbeat, replaceBackups, replacePrimaries } from '../../src/servers/merge.js';
import { Roster } from '../../src/servers/roster.js';
import type { Server } from '../../src/servers/types.js';

let reads = 0;

/** A server whose name reads are counted (the roster takes servers already checked and copied). */
class CountedServer implements Server {
  readonly address = '10.0.0.1:8300';
  constructor(readonly id: string) {}
  get name(): string {
    reads++;
    return this.id;
  }
}

const counted = (n: number, prefix: string): Server[] => Array.from({ length: n }, (_, i) => new CountedServer(`${prefix}${i}`));

function roster() {
  const events = { up: 0, removed: 0 };
  const r = new Roster(true, 3, {
    now: () => 0,
    emit: (event) => {
      if (event === 'serverUp') events.up++;
      if (event === 'serverRemoved') events.removed++;
    },
    changed: () => undefined,
  });
  return { r, events };
}

describe('list merges at 20,000 servers', () => {
  const n = 20_000;

  it('replace the primaries in a linear number of name reads', () => {
    const { r, events } = roster();
    reads = 0;
    replacePrimaries(r, counted(n, 'a'), 0, (l) => l);
    replacePrimaries(r, [...counted(n / 2, 'a'), ...counted(n / 2, 'b')], 0, (l) => l);
    expect(r.size).toBe(n);
    expect(events).toEqual({ up: n + n / 2, removed: n / 2 });
    // Quadratic scans would read names ~n² = 4 × 10^8 times.
    expect(reads).toBeLessThan(30 * n);
  });

  it('merge heartbeats and replace backups in a linear number of name reads', () => {
    const { r } = roster();
    reads = 0;
    mergeHeartbeat(r, counted(n, 'a'), 0);
    mergeHeartbeat(r, [...counted(n / 2, 'b'), ...counted(n / 2, 'a')], 0);
    replaceBackups(r, counted(n, 'c'), 0);
    replaceBackups(r, [...counted(n / 2, 'c'), ...counted(n / 2, 'a')], 0);
    expect(r.primaries.size).toBe(n);
    expect(r.backups.size).toBe(n / 2);
    expect(reads).toBeLessThan(40 * n);
  });
});
