// A property test of the list: random sequences of what members, heartbeats, callers
// and time do to a manager, with the invariants checked after every step.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ServerManager } from '../../src/servers/serverManager.js';
import type { HealthState, Server } from '../../src/servers/types.js';
import { flushPromises, managerHarness, server } from '../helpers/index.js';

const NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
const name = fc.constantFrom(...NAMES);
const names = fc.uniqueArray(name, { maxLength: NAMES.length });

type Op =
  | { op: 'add' | 'remove' | 'fail' | 'drain' | 'join' | 'leave' | 'memberFailed' | 'memberDraining'; name: string }
  | { op: 'heartbeat' | 'setServers' | 'backups'; names: string[] }
  | { op: 'call'; ok: boolean }
  | { op: 'rebalance'; up: string[] }
  | { op: 'tick'; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom('add', 'remove', 'fail', 'drain', 'join', 'leave', 'memberFailed', 'memberDraining'), name }),
  fc.record({ op: fc.constantFrom('heartbeat', 'setServers', 'backups'), names }),
  fc.record({ op: fc.constant('call'), ok: fc.boolean() }),
  fc.record({ op: fc.constant('rebalance'), up: names }),
  fc.record({ op: fc.constant('tick'), ms: fc.integer({ min: 0, max: 120_000 }) }),
);

const RANK: Record<HealthState, number> = { healthy: 0, suspect: 1, failed: 2, draining: 3 };

function checkInvariants(manager: ServerManager, step: string): void {
  const health = manager.health();
  const listed = health.map((h) => h.server.name);
  expect(new Set(listed).size, `${step}: unique names`).toBe(listed.length);
  expect(manager.servers().map((s) => s.name), `${step}: servers() matches health()`).toEqual(listed);
  // Primaries before backups.
  const firstBackup = health.findIndex((h) => h.backup);
  if (firstBackup >= 0) expect(health.slice(firstBackup).every((h) => h.backup), `${step}: primaries before backups`).toBe(true);
  // The choice: never draining; never worse than the best health listed.
  const chosen = manager.findServer();
  const usable = health.filter((h) => h.state !== 'draining');
  if (usable.length === 0) {
    expect(chosen, `${step}: nothing usable, nothing chosen`).toBeUndefined();
    return;
  }
  const best = Math.min(...usable.map((h) => RANK[h.state]));
  const chosenHealth = health.find((h) => h.server.name === chosen?.name);
  expect(chosenHealth, `${step}: something chosen`).toBeDefined();
  expect(RANK[(chosenHealth as { state: HealthState }).state], `${step}: never a failed server while a healthy one exists`).toBe(best);
}

describe('ServerManager list properties', () => {
  it('keeps primaries before backups, never chooses a failed server over a healthy one, never removes the last healthy server', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        let up = new Set<string>(NAMES);
        const pinger = { ping: (s: Server) => Promise.resolve(up.has(s.name)) };
        const { manager, clock } = managerHarness({ pinger, failureThreshold: 2, deadServerTimeout: 60_000 });
        const removedDead: { state: HealthState | undefined; healthyLeft: number; listedBefore: number; removedInRound: number }[] = [];
        let listedBefore = 0;
        let removedInRound = 0;
        // Each listed server's state as the events report it.
        const states = new Map<string, HealthState>();
        manager.on('serverUp', (s) => states.set(s.name, 'healthy'));
        manager.on('healthChanged', (e) => states.set(e.server.name, e.state));
        manager.on('serverRemoved', (e) => {
          const state = states.get(e.server.name);
          states.delete(e.server.name);
          if (e.reason !== 'dead') return;
          removedInRound++;
          const healthyLeft = manager.health().filter((h) => h.healthy).length;
          removedDead.push({ state, healthyLeft, listedBefore, removedInRound });
        });
        // The model: which listed names are primaries (P) and which backups (B).
        const P = new Set<string>();
        const B = new Set<string>();
        manager.on('serverRemoved', (e) => {
          P.delete(e.server.name);
          B.delete(e.server.name);
        });
        const primary = (n: string) => {
          P.add(n);
          B.delete(n);
        };
        for (const [i, o] of ops.entries()) {
          const step = `step ${i} ${JSON.stringify(o)}`;
          switch (o.op) {
            case 'add':
              manager.addServer(server(o.name));
              primary(o.name);
              break;
            case 'remove':
              manager.removeServer(server(o.name));
              break;
            case 'fail':
              manager.notifyFailedServer(server(o.name));
              break;
            case 'drain':
              manager.drain(server(o.name));
              break;
            case 'join':
            case 'leave':
              manager.applyMembershipEvent({ type: o.op, server: server(o.name) });
              await flushPromises();
              if (o.op === 'join') primary(o.name);
              break;
            case 'memberFailed':
            case 'memberDraining':
              manager.applyMembershipEvent({ type: o.op === 'memberFailed' ? 'failed' : 'draining', server: server(o.name) });
              await flushPromises();
              break;
            case 'heartbeat':
            case 'setServers':
              if (o.op === 'heartbeat') manager.updateFromHeartbeat({ servers: o.names.map((n) => server(n)), numNodes: 10 });
              else manager.setServers(o.names.map((n) => server(n)));
              P.clear();
              o.names.forEach(primary);
              break;
            case 'backups':
              manager.setBackupServers(o.names.map((n) => server(n)));
              B.clear();
              for (const n of o.names) if (!P.has(n)) B.add(n);
              break;
            case 'call':
              await manager.call(() => (o.ok ? Promise.resolve() : Promise.reject(new Error('x')))).catch(() => undefined);
              break;
            case 'rebalance':
              up = new Set(o.up);
              listedBefore = manager.numServers();
              removedInRound = 0;
              await manager.rebalanceServers();
              break;
            case 'tick':
              clock.tick(o.ms);
              break;
          }
          checkInvariants(manager, step);
          const expected = [...P].sort().map((n) => `${n}:primary`).concat([...B].sort().map((n) => `${n}:backup`));
          const actual = manager.health().map((h) => `${h.server.name}:${h.backup ? 'backup' : 'primary'}`);
          expect([...actual].sort(), `${step}: the primaries and backups the inputs made`).toEqual([...expected].sort());
          // The events tell the same story as health().
          expect(new Map(manager.health().map((h) => [h.server.name, h.state])), `${step}: events match health()`).toEqual(states);
          for (const r of removedDead.splice(0)) {
            // Cleanup removes only failed servers, keeps a healthy one, and at most a minority per round.
            expect(r.state, `${step}: only failed servers are cleaned up`).toBe('failed');
            expect(r.healthyLeft, `${step}: a healthy server is left`).toBeGreaterThanOrEqual(1);
            expect(r.removedInRound, `${step}: a minority per round`).toBeLessThanOrEqual(Math.floor((r.listedBefore - 1) / 2));
          }
        }
        await manager.stop();
      }),
      { numRuns: 300, seed: 20_240_610 },
    );
  });
});
