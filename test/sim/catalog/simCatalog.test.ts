// The simulated catalog's server side and the backend a simulated registry calls: entries
// held by sessions, a session loss, reads refused, what each request costs its server,
// and the round trip on the run's clock.
import { describe, expect, it } from 'vitest';
import type { Service } from '../../../src/catalog/backend.js';
import { HeapClock } from '../../../src/sim/heapClock.js';
import { Recorder } from '../../../src/sim/metrics.js';
import { Network, OUTCOME_ERRORS, SimRpcError } from '../../../src/sim/network.js';
import { READ_REFUSED, SESSION_GONE, SimCatalog } from '../../../src/sim/catalog/simCatalog.js';
import { SimCatalogBackend } from '../../../src/sim/catalog/simBackend.js';
import { serverFor } from '../../../src/sim/config.js';

const servers = [serverFor(0), serverFor(1)];
const svc = (id: string, port = 80): Service => ({ id, name: id, address: '10.1.0.1', port });
const NEVER = new AbortController().signal;

function setup(count = 3) {
  const clock = new HeapClock();
  const recorder = new Recorder(['s0', 's1'], 1000, 60_000);
  const network = new Network(clock, () => 0.5, servers, count, { baseRttMs: 5, jitterMs: 0, pingFailRate: 0, rpcFailRate: 0, unreachableMs: 2000 });
  const catalog = new SimCatalog({
    seed: 1,
    first: 10,
    count,
    totalAgents: 1000,
    network,
    recorder,
    now: () => clock.now(),
    transport: { after: (_agent, ms) => new Promise<void>((resolve) => void clock.setTimeout(resolve, ms)) },
  });
  return { clock, recorder, network, catalog };
}

/** Runs `p` to its end on the heap clock (bounded: 10 simulated seconds). */
async function settle<T>(clock: HeapClock, p: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  const out: { value?: T; error?: unknown; done?: boolean } = {};
  p.then(
    (value) => Object.assign(out, { value, done: true }),
    (error: unknown) => Object.assign(out, { error, done: true }),
  );
  await clock.advance(10_000);
  expect(out.done).toBe(true);
  return out;
}

describe('SimCatalog', () => {
  it('names nodes by their run-wide index, whatever the shard', () => {
    expect(setup().catalog.node(2)).toBe('agent-12');
  });

  it('answers a request after one round trip and not before', async () => {
    const { clock, catalog } = setup();
    let done = false;
    void catalog.countNodes(0, 0, NEVER).then(() => (done = true));
    await clock.advance(4);
    expect(done).toBe(false);
    await clock.advance(1);
    expect(done).toBe(true);
  });

  it('stores puts under the live session, lists them by id, and counts each op as one write at the server that served it', async () => {
    const { clock, catalog, recorder } = setup();
    const session = (await settle(clock, catalog.openSession(0, 1, NEVER))).value!;
    await settle(clock, catalog.write(0, 1, [{ op: 'put', service: svc('b') }, { op: 'put', service: svc('a') }], session, NEVER));
    expect((await settle(clock, catalog.list(0, 0, NEVER))).value!.map((s) => s.id)).toEqual(['a', 'b']);
    expect(catalog.stored(0)).toBe(2);
    expect(recorder.total('putsPerSec', 1)).toBe(2);
    expect(recorder.total('putsPerSec', 0)).toBe(0);
    expect(recorder.total('sessionOpsPerSec', 1)).toBe(1);
    expect(recorder.total('listsPerSec', 0)).toBe(1);
  });

  it('refuses a put under a session it no longer holds, and takes a delete without one', async () => {
    const { clock, catalog } = setup();
    const first = (await settle(clock, catalog.openSession(0, 0, NEVER))).value!;
    await settle(clock, catalog.write(0, 0, [{ op: 'put', service: svc('a') }], first, NEVER));
    catalog.loseSession(0);
    expect((await settle(clock, catalog.write(0, 0, [{ op: 'put', service: svc('a') }], first, NEVER))).error).toBe(SESSION_GONE);
    expect((await settle(clock, catalog.write(0, 0, [{ op: 'delete', id: 'a' }], 0, NEVER))).error).toBeUndefined();
  });

  it('drops the entries of a lost session and tells its listener once', async () => {
    const { clock, catalog } = setup();
    const id = (await settle(clock, catalog.openSession(1, 0, NEVER))).value!;
    await settle(clock, catalog.write(1, 0, [{ op: 'put', service: svc('a') }, { op: 'put', service: svc('b') }], id, NEVER));
    let lost = 0;
    catalog.onLost(1, id, () => lost++);
    catalog.loseSession(1);
    catalog.loseSession(1);
    expect(lost).toBe(1);
    expect(catalog.stored(1)).toBe(0);
    expect((await settle(clock, catalog.list(1, 0, NEVER))).value).toEqual([]);
  });

  it('records when every entry of the shard is back after a loss, and forgets it at the next loss', async () => {
    const { clock, catalog } = setup(2);
    catalog.expect(1);
    const a = (await settle(clock, catalog.openSession(0, 0, NEVER))).value!;
    await settle(clock, catalog.write(0, 0, [{ op: 'put', service: svc('x') }], a, NEVER));
    expect(catalog.allBackAt).toBeNaN();
    const b = (await settle(clock, catalog.openSession(1, 0, NEVER))).value!;
    await settle(clock, catalog.write(1, 0, [{ op: 'put', service: svc('x') }], b, NEVER));
    const first = catalog.allBackAt;
    // At the last write's reply: one round trip into the last 10 s settled.
    expect(first).toBe(clock.now() - 10_000 + 5);
    catalog.loseSession(0);
    expect(catalog.allBackAt).toBeNaN();
    const again = (await settle(clock, catalog.openSession(0, 1, NEVER))).value!;
    await settle(clock, catalog.write(0, 1, [{ op: 'put', service: svc('x', 81) }], again, NEVER));
    expect(catalog.allBackAt).toBe(clock.now() - 10_000 + 5);
    expect(catalog.allBackAt).toBeGreaterThan(first);
  });

  it('refuses reads at a refusing server after the round trip (it answered), counting refused reads and the agents whose list met one', async () => {
    const { clock, catalog, recorder } = setup();
    catalog.refuseReads(0, true);
    expect((await settle(clock, catalog.list(0, 0, NEVER))).error).toBe(READ_REFUSED);
    expect((await settle(clock, catalog.list(0, 0, NEVER))).error).toBe(READ_REFUSED);
    expect((await settle(clock, catalog.countNodes(1, 0, NEVER))).error).toBe(READ_REFUSED);
    expect(catalog.readsRefused).toBe(3);
    // Agent 1's refused read was a count, not a full sync's list.
    expect(catalog.agentsRefused).toBe(1);
    expect(recorder.total('listsPerSec', 0)).toBe(0);
    expect((await settle(clock, catalog.list(0, 1, NEVER))).value).toEqual([]);
    catalog.refuseReads(0, false);
    expect((await settle(clock, catalog.countNodes(0, 0, NEVER))).value).toBe(1000);
  });

  it("fails a request with the network's error: unreachable after unreachableMs, down after a round trip", async () => {
    const { clock, catalog, network } = setup();
    network.block(0, 1);
    const t0 = clock.now();
    const unreachable = catalog.list(0, 1, NEVER);
    const r = await settle(clock, unreachable);
    expect(r.error).toBe(OUTCOME_ERRORS[1]);
    network.healAll();
    network.setUp(1, false);
    expect((await settle(clock, catalog.countNodes(0, 1, NEVER))).error).toBe(OUTCOME_ERRORS[2]);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(2000);
  });

  it('rejects with the abort when the signal aborted before the reply', async () => {
    const { clock, catalog } = setup();
    const c = new AbortController();
    const p = catalog.list(0, 0, c.signal);
    c.abort();
    const r = await settle(clock, p);
    expect(r.error).toBeInstanceOf(SimRpcError);
    expect((r.error as Error).message).toBe('aborted');
  });
});

describe('SimCatalogBackend', () => {
  it('opens sessions named after the node, writes batches and reports when a failed call never reached a server', async () => {
    const { clock, catalog, network } = setup();
    const backend = new SimCatalogBackend(catalog, network, 0);
    const session = (await settle(clock, backend.openSession(servers[0]!, 'agent-10', 10_000, NEVER))).value!;
    expect(session.id).toMatch(/^agent-10#\d+$/);
    const client = backend.client(servers[1]!);
    expect(backend.client(servers[1]!)).toBe(client);
    await settle(clock, client.writeBatch!('agent-10', [{ op: 'put', service: svc('a') }, { op: 'put', service: svc('b') }], session.id, NEVER));
    await settle(clock, client.deleteService('agent-10', 'a', NEVER));
    expect((await settle(clock, client.listServices('agent-10', NEVER))).value!.map((s) => s.id)).toEqual(['b']);
    let lost = 0;
    session.onLost(() => lost++);
    catalog.loseSession(0);
    expect(lost).toBe(1);
    expect(backend.notApplied(OUTCOME_ERRORS[1])).toBe(true);
    expect(backend.notApplied(OUTCOME_ERRORS[2])).toBe(true);
    expect(backend.notApplied(OUTCOME_ERRORS[3])).toBe(false);
    expect(backend.notApplied(READ_REFUSED)).toBe(false);
  });

  it('refuses ops the simulated catalog does not store (checks, node info), naming them', async () => {
    const { clock, catalog, network } = setup();
    const backend = new SimCatalogBackend(catalog, network, 0);
    const session = (await settle(clock, backend.openSession(servers[0]!, 'agent-10', 10_000, NEVER))).value!;
    expect(() => backend.client(servers[0]!).writeBatch!('agent-10', [{ op: 'putNode', info: { address: 'x' } }], session.id, NEVER)).toThrow(/services only, received a putNode op/);
  });
});
