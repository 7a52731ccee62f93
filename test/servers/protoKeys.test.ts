// Server entries from the network are JSON, where "__proto__" is an ordinary own key.
// Copied by assignment it would become the copy's prototype and slip unchecked `useTLS`,
// `version` and `meta` values past validation: the manager's copies hold only checked
// fields, defined rather than assigned, on a plain prototype.
import { describe, expect, it } from 'vitest';
import type { Server } from '../../src/servers/types.js';
import { flushPromises, managerHarness, scriptedPinger } from '../helpers/index.js';

const EVIL = '{"useTLS":"yes","version":"not a number","meta":{"k":1},"datacenter":7}';
/** A heartbeat/discovery entry as JSON.parse gives it: `__proto__` an own key. */
const parsed = (name: string, extra = ''): Server => JSON.parse(`{"name":"${name}","address":"10.0.0.1:4647"${extra},"__proto__":${EVIL}}`) as Server;

function expectClean(s: Server | undefined): void {
  expect(s).toBeDefined();
  expect(Object.getPrototypeOf(s)).toBe(Object.prototype);
  expect(Object.keys(s as object).sort()).toEqual(['address', 'name']);
  expect((s as Server).useTLS).toBeUndefined();
  expect((s as Server).version).toBeUndefined();
  expect((s as Server).meta).toBeUndefined();
  expect((s as Server).datacenter).toBeUndefined();
}

describe('server entries holding "__proto__"', () => {
  it('are copied from a heartbeat with a plain prototype and only the known fields', () => {
    const { manager } = managerHarness();
    const entry = parsed('hb', ',"evil":"x"');
    expect(Object.prototype.hasOwnProperty.call(entry, '__proto__')).toBe(true); // the premise
    manager.updateFromHeartbeat({ servers: [entry], numNodes: 1 });
    const [copy] = manager.servers();
    expectClean(copy);
    expect((copy as unknown as Record<string, unknown>).evil).toBeUndefined(); // unknown network fields are not kept
  });

  it('are copied from discovery the same way', async () => {
    const answers: Array<(servers: Server[]) => void> = [];
    const { manager, clock } = managerHarness({
      random: () => 0.5,
      pinger: scriptedPinger(() => true),
      discover: () => new Promise<Server[]>((resolve) => answers.push(resolve)),
    });
    manager.start();
    await clock.tickAsync(15_000);
    answers[0]?.([parsed('found')]);
    await flushPromises();
    expectClean(manager.servers()[0]);
    await manager.stop();
  });

  it('keep a direct caller\'s extra fields but never the "__proto__" key, in server and meta', () => {
    const { manager } = managerHarness();
    const direct = JSON.parse(`{"name":"d","address":"a","zone":"z1","meta":{"__proto__":"s","rack":"r1"},"__proto__":${EVIL}}`) as Server;
    manager.addServer(direct);
    const copy = manager.servers()[0] as Server & { zone?: string };
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(copy.zone).toBe('z1');
    expect(copy.useTLS).toBeUndefined();
    expect(Object.getPrototypeOf(copy.meta)).toBe(Object.prototype);
    expect(Object.keys(copy.meta ?? {})).toEqual(['rack']);
    expect(Object.isFrozen(copy) && Object.isFrozen(copy.meta)).toBe(true);
  });

  it('refuse a frozen server whose prototype carries the fields, instead of sharing it unchecked', () => {
    const { manager } = managerHarness();
    const sneaky = Object.freeze(Object.assign(Object.create({ useTLS: true, version: 3 }) as Server, { name: 'f', address: 'a' }));
    manager.addServer(sneaky);
    const copy = manager.servers()[0];
    expect(copy).not.toBe(sneaky);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    // Inherited values that passed the check are copied as own, frozen fields.
    expect(copy).toEqual({ name: 'f', address: 'a', useTLS: true, version: 3 });
  });
});
