import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ServerList } from '../../src/servers/serverList.js';
import { createRandom } from '../../src/shared/random.js';
import { server, servers } from '../helpers/index.js';

const list = (...names: string[]) => ServerList.of(names.map((n) => server(n)));

describe('ServerList', () => {
  it('returns the same front object on every call when nothing changes', () => {
    const l = list('a', 'b');
    expect(l.front()).toBe(l.front());
    expect(l.front()?.name).toBe('a');
    expect(ServerList.EMPTY.front()).toBeUndefined();
  });

  it('copies its input when built so later changes to the array do not leak in', () => {
    const input = servers(2);
    const l = ServerList.of(input);
    input.push(server('x'));
    expect(l.names()).toEqual(['s1', 's2']);
  });

  it('moves the front to the back when rotated, leaving the original list untouched', () => {
    const l = list('a', 'b', 'c');
    expect(l.rotate().names()).toEqual(['b', 'c', 'a']);
    expect(l.names()).toEqual(['a', 'b', 'c']);
  });

  it('returns itself when rotating fewer than two servers', () => {
    const one = list('a');
    expect(one.rotate()).toBe(one);
    expect(ServerList.EMPTY.rotate()).toBe(ServerList.EMPTY);
  });

  it('replaces a known name in place and appends an unknown one when upserting', () => {
    const l = list('a', 'b', 'c');
    const b2 = server('b', { address: 'new:1' });
    const replaced = l.upsert(b2);
    expect(replaced.names()).toEqual(['a', 'b', 'c']);
    expect(replaced.get('b')).toBe(b2);
    expect(l.upsert(server('d')).names()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('removes by name and returns itself when the name is unknown', () => {
    const l = list('a', 'b', 'c');
    expect(l.remove('b').names()).toEqual(['a', 'c']);
    expect(l.remove('zz')).toBe(l);
    expect(list('a').remove('a')).toBe(ServerList.EMPTY);
  });

  it('shuffles a copy with the injected random, reproducibly for one seed', () => {
    const l = ServerList.of(servers(10));
    const one = l.shuffled(createRandom(7)).names();
    const two = l.shuffled(createRandom(7)).names();
    expect(one).toEqual(two);
    expect([...one].sort()).toEqual([...l.names()].sort());
    expect(one).not.toEqual(l.names());
    expect(l.names()).toEqual(servers(10).map((s) => s.name));
  });

  it('keeps its order, drops departed and appends joined servers when reconciled', () => {
    const snapshot = list('c', 'a', 'b', 'd');
    const live = list('a', 'b', 'c', 'e').remove('b').upsert(server('f'));
    expect(snapshot.reconcile(live)?.names()).toEqual(['c', 'a', 'e', 'f']);
  });

  it('takes the live details of servers that changed while reconciling', () => {
    const fresh = server('a', { address: 'moved:1' });
    const merged = list('b', 'a').reconcile(list('a', 'b').upsert(fresh));
    expect(merged?.get('a')).toBe(fresh);
  });

  it('refuses to reconcile (freeze) when its front server is no longer live', () => {
    expect(list('a', 'b').reconcile(list('b', 'c'))).toBeUndefined();
    expect(list('a').reconcile(ServerList.EMPTY)).toBeUndefined();
    expect(ServerList.EMPTY.reconcile(list('a'))).toBeUndefined();
  });

  it('compares name sets regardless of order', () => {
    expect(list('a', 'b').sameNames(list('b', 'a'))).toBe(true);
    expect(list('a', 'b').sameNames(list('a', 'c'))).toBe(false);
    expect(list('a', 'b').sameNames(list('a'))).toBe(false);
  });

  it('appends only the names it lacks when concatenated', () => {
    expect(list('a', 'b').concat(list('b', 'c')).names()).toEqual(['a', 'b', 'c']);
  });

  it('returns a fresh array from toArray so callers cannot change the list', () => {
    const l = list('a');
    l.toArray().push(server('x'));
    expect(l.size).toBe(1);
  });

  it('keeps exactly the live names, the chosen front and the snapshot order for any reconcile', () => {
    const nameSet = fc.uniqueArray(fc.constantFrom(...'abcdefghij'.split('')), { maxLength: 10 });
    fc.assert(
      fc.property(nameSet, nameSet, (snapshotNames, liveNames) => {
        const snapshot = list(...snapshotNames);
        const live = list(...liveNames);
        const merged = snapshot.reconcile(live);
        const front = snapshotNames[0];
        if (front === undefined || !liveNames.includes(front)) return merged === undefined;
        if (merged === undefined) return false;
        const out = merged.names();
        const kept = snapshotNames.filter((n) => liveNames.includes(n));
        const joined = liveNames.filter((n) => !snapshotNames.includes(n));
        return out[0] === front && JSON.stringify(out) === JSON.stringify([...kept, ...joined]);
      }),
      { numRuns: 500, seed: 42 },
    );
  });
});
