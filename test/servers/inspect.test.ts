import { describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { createSyncAgent } from '../../src/agent.js';
import { managerHarness, server, servers } from '../helpers/index.js';
import { MAX_PICTURED_SERVERS } from '../../src/servers/inspection.js';
import { createTestClock } from '../../src/testing.js';
import { scriptedPinger } from '../helpers/index.js';

/** The SERVERS_CHANGED events the rebalancer's inspector saw, as `front | list`. */
function pictures(seen: InspectionEvent[]): string[] {
  return seen
    .filter((e) => e.type === '@xstate.event' && e.event.type === 'SERVERS_CHANGED')
    .map((e) => {
      const ev = (e as InspectionEvent & { event: { front: string | null; servers: string[] } }).event;
      return `${ev.front ?? '-'} | ${ev.servers.join(', ')}`;
    });
}

describe('ServerManager inspect', () => {
  it('shows the rebalancer to the inspector and tells it once per burst when the front server fails over', async () => {
    const seen: InspectionEvent[] = [];
    const { manager } = managerHarness({ inspect: (e) => seen.push(e) });
    for (const s of servers(3)) manager.addServer(s);
    manager.start();
    expect(seen.some((e) => e.type === '@xstate.actor' && (e.actorRef as { logic?: { id?: string } }).logic?.id === 'rebalancer')).toBe(true);
    // The first snapshot's context shows the list through the environment's toJSON.
    const first = seen.find((e) => e.type === '@xstate.snapshot' && e.actorRef.sessionId === manager.actor?.sessionId);
    const context = JSON.parse(JSON.stringify((first as unknown as { snapshot: { context: unknown } }).snapshot.context)) as unknown;
    expect(context, JSON.stringify(context)).toMatchObject({
      env: { front: 's1', servers: ['s1 healthy', 's2 healthy', 's3 healthy'] },
    });
    await expect(manager.call(() => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    await Promise.resolve();
    // One failure: s1 turns suspect and rotates to the back, in one event.
    expect(pictures(seen)).toEqual(['s2 | s2 healthy, s3 healthy, s1 suspect']);
    manager.removeServer(server('s3'));
    await Promise.resolve();
    expect(pictures(seen).at(-1)).toBe('s2 | s2 healthy, s1 suspect');
    await manager.stop();
    manager.addServer(server('late'));
    await Promise.resolve();
    expect(pictures(seen)).toHaveLength(2); // nothing after stop
  });

  it('sends nothing and builds no picture when not inspected', async () => {
    const { manager } = managerHarness();
    for (const s of servers(2)) manager.addServer(s);
    manager.start();
    const sent: string[] = [];
    manager.actor?.subscribe({ next: (snap) => sent.push(String(snap.value)) });
    await expect(manager.call(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await Promise.resolve();
    expect(sent).toEqual([]);
    await manager.stop();
  });

  it('bounds the picture of a long list', async () => {
    const seen: InspectionEvent[] = [];
    const { manager } = managerHarness({ inspect: (e) => seen.push(e) });
    manager.start();
    for (const s of servers(MAX_PICTURED_SERVERS + 5)) manager.addServer(s);
    await Promise.resolve();
    const last = pictures(seen).at(-1) ?? '';
    expect(last.split(', ')).toHaveLength(MAX_PICTURED_SERVERS + 1);
    expect(last.endsWith('… 5 more')).toBe(true);
    await manager.stop();
  });

  it('refuses an inspect option that is neither a function nor an observer, naming the value', () => {
    expect(() => managerHarness({ inspect: 42 as never })).toThrow(/inspect must be a function or an observer with next\(\), received 42/);
  });

  it('createSyncAgent hands its inspect observer to both machines', async () => {
    const machines = new Set<string>();
    const clock = createTestClock();
    const agent = createSyncAgent({
      pinger: scriptedPinger(() => true),
      clock,
      interval: 60_000,
      state: { syncFull: async () => undefined, syncChanges: async () => undefined },
      inspect: (e) => {
        if (e.type === '@xstate.actor') machines.add(String((e.actorRef as { logic?: { id?: string } }).logic?.id));
      },
    }).start();
    expect([...machines].filter((id) => id !== 'undefined').sort()).toEqual(['rebalancer', 'stateSyncer']);
    await agent.stop();
  });
});
