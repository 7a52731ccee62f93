import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ServerEntry } from '../../src/servers/health.js';
import { ServerList } from '../../src/servers/serverList.js';
import { createRandom } from '../../src/shared/random.js';
import type { Server } from '../../src/servers/types.js';
import { server } from '../helpers/index.js';

const entry = (name: string, extra: Partial<Server> = {}) => new ServerEntry(server(name, extra), 0);
const list = (...names: string[]) => ServerList.of(names.map((n) => entry(n)));

/** Servers whose `name` reads are counted: an operation count for the list's algorithms. */
function countedEntries(n: number, prefix: string): { entries: ServerEntry[]; reads: () => number } {
  let reads = 0;
  class CountedServer {
    readonly address = 'x';
    constructor(readonly id: string) {}
    get name(): string {
      reads++;
      return this.id;
    }
  }
  const entries = Array.from({ length: n }, (_, i) => new ServerEntry(new CountedServer(`${prefix}${i}`), 0));
  return { entries, reads: () => reads };
}

describe('ServerList', () => {
  it('holds entries in order and finds them by name, in small and indexed large lists', () => {
    const small = list('a', 'b');
    expect(small.entries[0]?.server.name).toBe('a');
    expect(small.get('b')?.server.name).toBe('b');
    expect(small.indexOf('zz')).toBe(-1);
    const names = Array.from({ length: 50 }, (_, i) => `n${i}`);
    const large = list(...names);
    for (const [i, n] of names.entries()) expect(large.indexOf(n)).toBe(i);
    expect(large.has('n50')).toBe(false);
    expect(ServerList.EMPTY.size).toBe(0);
  });

  it('appends with `with` and leaves the original list untouched', () => {
    const l = list('a', 'b');
    expect(l.with(entry('c')).names()).toEqual(['a', 'b', 'c']);
    expect(l.names()).toEqual(['a', 'b']);
  });

  it('removes by name and returns itself when the name is unknown', () => {
    const l = list('a', 'b', 'c');
    expect(l.without('b').names()).toEqual(['a', 'c']);
    expect(l.without('zz')).toBe(l);
    expect(list('a').without('a')).toBe(ServerList.EMPTY);
  });

  it('moves a name to the back, returning itself when unknown or already last', () => {
    const l = list('a', 'b', 'c');
    expect(l.moveToBack('a').names()).toEqual(['b', 'c', 'a']);
    expect(l.moveToBack('c')).toBe(l);
    expect(l.moveToBack('zz')).toBe(l);
    // A large (indexed) list answers lookups from its own index after a move.
    const names = Array.from({ length: 20 }, (_, i) => `n${i}`);
    const moved = list(...names).moveToBack('n0');
    expect(moved.indexOf('n0')).toBe(19);
    expect(moved.indexOf('n1')).toBe(0);
  });

  it('shuffles a copy with the injected random, reproducibly for one seed', () => {
    const names = Array.from({ length: 10 }, (_, i) => `s${i}`);
    const l = list(...names);
    const one = l.shuffled(createRandom(7)).names();
    const two = l.shuffled(createRandom(7)).names();
    expect(one).toEqual(two);
    expect([...one].sort()).toEqual([...names].sort());
    expect(one).not.toEqual(names);
    expect(l.names()).toEqual(names);
  });

  it('keeps its order, drops departed and appends joined servers when reconciled, taking the live entries', () => {
    const snapshot = list('c', 'a', 'b', 'd');
    const fresh = entry('a', { address: 'moved:1' });
    const live = ServerList.of([fresh, entry('c'), entry('e'), entry('f')]);
    const merged = snapshot.reconcile(live);
    expect(merged.names()).toEqual(['c', 'a', 'e', 'f']);
    expect(merged.get('a')).toBe(fresh);
  });

  it('compares name sets regardless of order', () => {
    expect(list('a', 'b').sameNames(list('b', 'a'))).toBe(true);
    expect(list('a', 'b').sameNames(list('a', 'c'))).toBe(false);
    expect(list('a', 'b').sameNames(list('a'))).toBe(false);
  });

  it('returns fresh arrays from servers() and names() so callers cannot change the list', () => {
    const l = list('a');
    l.servers().push(server('x'));
    l.names().push('x');
    expect(l.size).toBe(1);
  });

  it('keeps exactly the live names in snapshot order, joined ones appended, for any reconcile', () => {
    const nameSet = fc.uniqueArray(fc.constantFrom(...'abcdefghijklmnop'.split('')), { maxLength: 16 });
    fc.assert(
      fc.property(nameSet, nameSet, (snapshotNames, liveNames) => {
        const out = list(...snapshotNames).reconcile(list(...liveNames)).names();
        const kept = snapshotNames.filter((n) => liveNames.includes(n));
        const joined = liveNames.filter((n) => !snapshotNames.includes(n));
        return JSON.stringify(out) === JSON.stringify([...kept, ...joined]);
      }),
      { numRuns: 500, seed: 42 },
    );
  });

  it('reconciles and compares 20,000 servers in a linear number of name reads', () => {
    const n = 20_000;
    const a = countedEntries(n, 'a');
    const b = countedEntries(n, 'a');
    const left = ServerList.of(a.entries);
    const right = ServerList.of(b.entries.slice().reverse());
    expect(left.sameNames(right)).toBe(true);
    expect(left.reconcile(right).size).toBe(n);
    expect(left.moveToBack('a0').indexOf('a0')).toBe(n - 1);
    // Quadratic scans would read names ~n² = 4 × 10^8 times.
    expect(a.reads() + b.reads()).toBeLessThan(20 * n);
  });
});
