// Lists from the network are bounded: a heartbeat or a discovery answer adds at most
// MAX_REMOTE_SERVERS servers (the rest skipped and warned, nothing accepted lost), and
// the per-server newer-API-version warning remembers a bounded number of names.
import { describe, expect, it } from 'vitest';
import { MAX_REMOTE_SERVERS } from '../../src/servers/validate.js';
import type { Server } from '../../src/servers/types.js';
import { flushPromises, managerHarness, scriptedPinger, server } from '../helpers/index.js';

const many = (n: number, prefix: string): Server[] => Array.from({ length: n }, (_, i) => server(`${prefix}${i}`));

describe('remote server lists', () => {
  it(`keeps the first ${MAX_REMOTE_SERVERS} servers of a heartbeat, warns about the rest and removes nothing that time`, () => {
    const { manager, log, names } = managerHarness();
    manager.addServer(server('kept'));
    manager.updateFromHeartbeat({ servers: many(MAX_REMOTE_SERVERS + 500, 'hb-'), numNodes: 1 });
    expect(manager.numServers()).toBe(MAX_REMOTE_SERVERS + 1);
    expect(names()).toContain('kept'); // the heartbeat lacked it, but it was cut short: nothing removed
    expect(names()).toContain(`hb-${MAX_REMOTE_SERVERS - 1}`);
    expect(names()).not.toContain(`hb-${MAX_REMOTE_SERVERS}`);
    const warned = log.warnings().filter((l) => l.msg.includes('malformed server entry'));
    expect(warned).toHaveLength(1);
    expect(JSON.stringify(warned[0])).toContain(`only the first ${MAX_REMOTE_SERVERS} usable servers are kept, entries from index ${MAX_REMOTE_SERVERS} on are skipped`);
  });

  it(`accepts a heartbeat of exactly ${MAX_REMOTE_SERVERS} servers whole, removing what it lacks`, () => {
    const { manager, log, names } = managerHarness();
    manager.addServer(server('gone'));
    manager.updateFromHeartbeat({ servers: many(MAX_REMOTE_SERVERS, 'hb-'), numNodes: 1 });
    expect(manager.numServers()).toBe(MAX_REMOTE_SERVERS);
    expect(names()).not.toContain('gone');
    expect(log.warnings()).toEqual([]);
  });

  it(`keeps the first ${MAX_REMOTE_SERVERS} servers discovery finds`, async () => {
    const answers: Array<(servers: Server[]) => void> = [];
    const { manager, clock } = managerHarness({
      random: () => 0.5,
      pinger: scriptedPinger(() => true),
      discover: () => new Promise<Server[]>((resolve) => answers.push(resolve)),
    });
    manager.start();
    await clock.tickAsync(15_000);
    answers[0]?.(many(MAX_REMOTE_SERVERS * 3, 'd-'));
    await flushPromises();
    expect(manager.numServers()).toBe(MAX_REMOTE_SERVERS);
    await manager.stop();
  });

  it('remembers a bounded number of servers refused for a newer API version, forgetting the oldest first', () => {
    const { manager, clock, log } = managerHarness({ apiVersion: 1 });
    const tooNew = (name: string) => manager.updateFromHeartbeat({ servers: [server(name, { version: 2 })], numNodes: 1 });
    const warnings = () => log.warnings().filter((l) => l.msg.includes('newer API version')).length;
    // More names than any bound the manager keeps (a few hundred to a thousand).
    const NAMES = 2_000;
    for (let i = 0; i < NAMES; i++) tooNew(`v-${i}`);
    expect(warnings()).toBe(NAMES);
    clock.tick(1000);
    // A recent name is still within its 3 h interval: no warning.
    tooNew(`v-${NAMES - 1}`);
    expect(warnings()).toBe(NAMES);
    // The first names were forgotten to keep the memory bounded: warned once more.
    tooNew('v-0');
    expect(warnings()).toBe(NAMES + 1);
  });
});
