// The live view's server side, over real loopback HTTP: what a late browser gets, what
// a live one is sent, the bounds on memory and messages, and every request it refuses.
import http from 'node:http';
import { connect, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { startLiveView, isPortInUseError, type LiveView } from '../../src/view/index.js';
import { StateSyncer } from '../../src/syncer/stateSyncer.js';
import { createTestClock, scriptedSyncState } from '../../src/testing.js';
import { openStream, request, toggleMachine } from './helpers.js';

let view: LiveView | undefined;
afterEach(async () => {
  await view?.close();
  view = undefined;
});

const pathOf = (v: LiveView): string => new URL(v.url).pathname;

interface HelloData {
  machines: { id: string; label: string; group: string; machine: string; state: string; active: string[]; status: string; definition: string; context: string }[];
  definitions: Record<string, { machine: string; root: { children: { id: string }[] }; edges: unknown[] }>;
  log: { kind: string; label: string; event: string; state: string; detail: string; seq: number }[];
  untracked: number;
  banner: string;
  now: number;
}

describe('startLiveView', () => {
  it('gives a late browser every machine with its current state and its definition', async () => {
    view = await startLiveView();
    const a = createActor(toggleMachine, { inspect: view.inspector('agent-a') }).start();
    const b = createActor(toggleMachine, { inspect: view.inspector('agent-b') }).start();
    a.send({ type: 'GO' });
    b.send({ type: 'GO' });
    b.send({ type: 'REST' });
    const late = await openStream(view.url + 'events');
    expect(late.status).toBe(200);
    const hello = (await late.next('hello')).data as HelloData;
    expect(hello.machines.map((m) => [m.label, m.state, m.status])).toEqual([
      ['agent-a › toggle', 'busy.working', 'active'],
      ['agent-b › toggle', 'busy.resting', 'active'],
    ]);
    expect(hello.machines.map((m) => [m.group, m.machine])).toEqual([
      ['agent-a', 'toggle'],
      ['agent-b', 'toggle'],
    ]);
    expect(hello.machines[1]?.active).toEqual(['busy', 'busy.resting']);
    // One definition for both: same machine, drawn once.
    expect(Object.keys(hello.definitions)).toHaveLength(1);
    const def = hello.definitions[hello.machines[0]!.definition]!;
    expect(def.machine).toBe('toggle');
    expect(def.root.children.map((c) => c.id)).toEqual(['idle', 'busy', 'done']);
    expect(hello.log.map((e) => [e.label, e.event, e.state])).toEqual([
      ['agent-a › toggle', 'xstate.init', 'idle'],
      ['agent-b › toggle', 'xstate.init', 'idle'],
      ['agent-a › toggle', 'GO', 'busy.working'],
      ['agent-b › toggle', 'GO', 'busy.working'],
      ['agent-b › toggle', 'REST', 'busy.resting'],
    ]);
    late.close();
    a.stop();
    b.stop();
  });

  it('streams each state change and log entry to a connected browser as it happens', async () => {
    view = await startLiveView();
    const stream = await openStream(view.url + 'events');
    await stream.next('hello');
    const actor = createActor(toggleMachine, { inspect: view.inspect }).start();
    expect((await stream.next('definition')).data).toMatchObject({ graph: { machine: 'toggle' } });
    actor.send({ type: 'GO' });
    actor.send({ type: 'STOP' });
    const states: string[] = [];
    for (let i = 0; i < 4; i++) {
      const m = (await stream.next('machine')).data as { machine: { label: string; state: string; status: string } };
      states.push(`${m.machine.label}:${m.machine.state}:${m.machine.status}`);
    }
    // Registered, started, GO, STOP (unnamed root machines are named after the machine).
    expect(states).toEqual(['toggle::active', 'toggle:idle:active', 'toggle:busy.working:active', 'toggle:done:done']);
    expect(((await stream.next('log')).data as { entry: { event: string } }).entry.event).toBe('xstate.init');
    stream.close();
  });

  it('names unlabelled root machines apart and shows a StateSyncer through its inspect option', async () => {
    view = await startLiveView();
    const clock = createTestClock();
    const syncers = [1, 2].map(() => new StateSyncer({ state: scriptedSyncState(clock), interval: 60_000, clusterSize: () => 1, clock, inspect: view!.inspect }).start());
    const hello = (await (await openStream(view.url + 'events')).next('hello')).data as HelloData;
    expect(hello.machines.map((m) => m.label)).toEqual(['stateSyncer', 'stateSyncer #2']);
    expect(hello.machines.map((m) => m.state)).toEqual(['partialSync.idle', 'partialSync.idle']); // the first full sync succeeded
    await Promise.all(syncers.map((s) => s.stop()));
    await clock.tickAsync(10_000);
  });

  it('keeps the event log to logSize entries, dropping the oldest', async () => {
    view = await startLiveView({ logSize: 3 });
    const actor = createActor(toggleMachine, { inspect: view.inspect }).start();
    for (let i = 0; i < 5; i++) {
      actor.send({ type: 'GO' });
      actor.send({ type: 'BACK' });
    }
    const hello = (await (await openStream(view.url + 'events')).next('hello')).data as HelloData;
    expect(hello.log.map((e) => e.event)).toEqual(['BACK', 'GO', 'BACK']);
    expect(hello.log.at(-1)!.seq).toBe(11); // init + 10 events: the sequence shows what was dropped
    actor.stop();
  });

  it('bounds what it keeps of a huge or cyclic event to maxPreviewChars', async () => {
    view = await startLiveView({ maxPreviewChars: 64 });
    const machine = createMachine({ id: 'm', context: { blob: 'x'.repeat(10_000_000) }, on: { BIG: {} } });
    const actor = createActor(machine, { inspect: view.inspect }).start();
    const cyclic: Record<string, unknown> = { type: 'BIG', big: 'y'.repeat(5_000_000) };
    cyclic.self = cyclic;
    actor.send(cyclic as { type: 'BIG' });
    const hello = (await (await openStream(view.url + 'events')).next('hello')).data as HelloData;
    expect(hello.log.at(-1)!.detail.length).toBeLessThanOrEqual(64);
    expect(hello.log.at(-1)!.detail.endsWith('…')).toBe(true);
    expect(hello.machines[0]!.context.length).toBeLessThanOrEqual(64);
    actor.stop();
  });

  it('forgets finished machines first past maxMachines, then counts new ones without showing them', async () => {
    view = await startLiveView({ maxMachines: 2 });
    const a = createActor(toggleMachine, { inspect: view.inspector('a') }).start();
    const b = createActor(toggleMachine, { inspect: view.inspector('b') }).start();
    a.send({ type: 'STOP' }); // a is done: it makes room
    const c = createActor(toggleMachine, { inspect: view.inspector('c') }).start();
    const d = createActor(toggleMachine, { inspect: view.inspector('d') }).start(); // no room: b and c are running
    d.send({ type: 'GO' });
    const hello = (await (await openStream(view.url + 'events')).next('hello')).data as HelloData;
    expect(hello.machines.map((m) => m.label)).toEqual(['b › toggle', 'c › toggle']);
    expect(hello.untracked).toBe(1);
    expect(hello.log.some((e) => e.label.startsWith('d'))).toBe(false);
    for (const x of [b, c, d]) x.stop();
  });

  it('keeps one label count per tracked machine: short-lived actors under one label reuse it instead of growing the counts', async () => {
    const { ViewStore } = await import('../../src/view/store.js');
    const { resolveViewOptions } = await import('../../src/view/options.js');
    const store = new ViewStore(resolveViewOptions({ maxMachines: 3 }), () => undefined);
    const labels: string[] = [];
    for (let i = 0; i < 200; i++) {
      const actor = createActor(toggleMachine, { inspect: (e) => store.take(e, `job-${i}`) }).start();
      actor.send({ type: 'STOP' });
    }
    expect(store.labelsTracked).toBeLessThanOrEqual(3);
    // Numbers go with the machines that carry them: the same label again starts afresh once the old ones are forgotten.
    for (let i = 0; i < 4; i++) {
      const actor = createActor(toggleMachine, { inspect: (e) => store.take(e, 'same') }).start();
      actor.send({ type: 'STOP' });
    }
    labels.push(...store.hello().machines.map((m) => m.label));
    expect(labels).toEqual(['same › toggle #2', 'same › toggle #3', 'same › toggle #4']);
    expect(store.labelsTracked).toBe(1);
  });

  it('adds markers to the log, shows the latest as the banner, and tells a late browser the clock time', async () => {
    const clock = createTestClock(1_000_000);
    view = await startLiveView({ clock });
    view.mark('steady state');
    clock.tick(500);
    view.mark('server mem-1 fails');
    const hello = (await (await openStream(view.url + 'events')).next('hello')).data as HelloData;
    expect(hello.banner).toBe('server mem-1 fails');
    expect(hello.now).toBe(1_000_500);
    expect(hello.log.map((e) => [e.kind, e.event])).toEqual([
      ['marker', 'steady state'],
      ['marker', 'server mem-1 fails'],
    ]);
    expect(() => view!.mark(42 as never)).toThrow(/mark needs a string, received 42/);
  });

  it('waitForViewer resolves only once a browser opens the event stream (not for a HEAD), or when aborted or closed', async () => {
    view = await startLiveView();
    let resolved = false;
    const waiting = view.waitForViewer().then(() => (resolved = true));
    expect((await request(view.port, pathOf(view))).status).toBe(200); // the page alone is not a viewer
    expect((await request(view.port, pathOf(view) + 'events', { method: 'HEAD' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(resolved).toBe(false);
    const stream = await openStream(view.url + 'events');
    await waiting;
    expect(resolved).toBe(true);
    await view.waitForViewer(); // one is connected: at once
    stream.close();
    await stream.closed;
    const controller = new AbortController();
    const aborted = view.waitForViewer(controller.signal);
    controller.abort();
    await aborted;
    const closing = view.waitForViewer();
    await view.close();
    await closing;
  });

  it('answers HEAD on the event stream without taking a viewer slot, even while that connection stays open', async () => {
    view = await startLiveView({ maxClients: 1 });
    const port = view.port;
    const socket = connect(port);
    await new Promise((r) => socket.once('connect', r));
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.write(`HEAD ${pathOf(view)}events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n\r\n`);
    for (let i = 0; i < 100 && !answer.includes('\r\n\r\n'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(view.viewers).toBe(0);
    const stream = await openStream(view.url + 'events');
    expect(stream.status).toBe(200); // the HEAD's connection is still open, and the one slot is free
    stream.close();
    socket.destroy();
  });

  it('closes connections past maxConnections as they arrive, and idle ones after headersTimeout', async () => {
    view = await startLiveView({ maxClients: 1, maxConnections: 3, headersTimeout: 300 });
    const port = view.port;
    const open = (): Promise<{ closedAfter: Promise<number> }> =>
      new Promise((resolve) => {
        const started = Date.now();
        const s = connect(port);
        s.on('error', () => undefined);
        s.resume(); // read what the view answers, so its close reaches this side
        const closedAfter = new Promise<number>((done) => s.once('close', () => done(Date.now() - started)));
        s.once('connect', () => resolve({ closedAfter }));
      });
    const idle = await Promise.all([open(), open(), open()]);
    await new Promise((r) => setTimeout(r, 50)); // the server has accepted the three
    const extra = await open();
    // The fourth is closed at once (well before the headers timeout); the three idle ones
    // when the timeout passes (checked every 300 ms here): none holds its descriptor for
    // Node's default 30 s sweep.
    expect(await extra.closedAfter).toBeLessThan(250);
    for (const c of idle) expect(await c.closedAfter).toBeLessThan(3_000);
    expect((await request(port, pathOf(view))).status).toBe(200); // room again
  }, 10_000);

  it('serves the page, its script, its style and elkjs from the agent, with a CSP that allows nothing else', async () => {
    view = await startLiveView({ title: '<b>mine</b>' });
    const page = await request(view.port, pathOf(view));
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>&#60;b&#62;mine&#60;/b&#62;</title>');
    expect(page.body).not.toMatch(/https?:\/\//); // no CDN
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    for (const [asset, type] of [['elk.js', 'text/javascript'], ['app.js', 'text/javascript'], ['style.css', 'text/css']] as const) {
      const res = await request(view.port, pathOf(view) + asset);
      expect(res.status, asset).toBe(200);
      expect(res.headers['content-type']).toContain(type);
    }
    expect((await request(view.port, pathOf(view) + 'elk.js')).body).toContain('ELK');
  });

  it('refuses a request without the run token, with a foreign Host or Origin, a method other than GET, or a body', async () => {
    view = await startLiveView();
    const p = pathOf(view);
    const port = view.port;
    expect((await request(port, '/')).status).toBe(404);
    expect((await request(port, '/not-the-token/')).status).toBe(404);
    expect((await request(port, `${p.slice(0, -2)}x/`)).status).toBe(404); // same length, one character off
    expect((await request(port, p, { headers: { host: `evil.example:${port}` } })).status).toBe(421); // DNS rebinding
    expect((await request(port, p, { headers: { host: `localhost:${port}` } })).status).toBe(200);
    expect((await request(port, p + 'events', { headers: { origin: 'http://evil.example' } })).status).toBe(403);
    expect((await request(port, p + 'events', { headers: { origin: 'null' } })).status).toBe(403);
    expect((await request(port, p, { headers: { 'sec-fetch-site': 'cross-site' } })).status).toBe(403);
    expect((await request(port, p, { headers: { origin: `http://127.0.0.1:${port}` } })).status).toBe(200);
    expect((await request(port, p, { method: 'POST' })).status).toBe(405);
    expect((await request(port, p, { method: 'GET', body: 'x'.repeat(100), headers: { 'content-length': '100' } })).status).toBe(413);
    // Oversized request headers never reach a handler.
    expect((await request(port, p, { headers: { 'x-big': 'x'.repeat(20_000) } })).status).toBe(431);
    expect((await request(port, p.slice(0, -1))).status).toBe(308);
  });

  it('refuses viewers past maxClients and disconnects one whose backlog passes maxClientBacklogBytes', async () => {
    view = await startLiveView({ maxClients: 1 });
    const first = await openStream(view.url + 'events');
    const second = await openStream(view.url + 'events');
    expect([first.status, second.status]).toEqual([200, 503]);
    first.close();
    await first.closed;
    for (let i = 0; i < 50 && view.viewers > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(view.viewers).toBe(0);

    await view.close();
    view = await startLiveView({ maxClientBacklogBytes: 1_024, maxPreviewChars: 4_096 });
    // A browser that never reads: its socket buffers fill, then the view's backlog grows.
    const stalled = await new Promise<http.IncomingMessage>((resolve) => http.get(view!.url + 'events', { agent: false }, resolve));
    stalled.pause();
    const actor = createActor(createMachine({ id: 'chatty', on: { PING: {} } }), { inspect: view.inspect }).start();
    for (let i = 0; i < 2_000 && view.viewers > 0; i++) {
      actor.send({ type: 'PING', payload: 'p'.repeat(4_000) });
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
    expect(view.viewers).toBe(0);
    actor.stop();
    stalled.destroy();
  });

  it('listens on 127.0.0.1 only: another loopback address reaches a 0.0.0.0 listener but not the view', async () => {
    view = await startLiveView();
    // Linux routes all of 127.0.0.0/8 to the loopback interface: a control server on
    // every interface answers on 127.0.0.2, so a refusal below is the view's binding.
    const control = createServer((s) => s.end()).listen(0, '0.0.0.0');
    await new Promise((r) => control.once('listening', r));
    const controlPort = (control.address() as { port: number }).port;
    const connect = (port: number): Promise<string> =>
      new Promise((resolve) => {
        const req = http.get({ host: '127.0.0.2', port, path: '/', agent: false }, () => resolve('answered'));
        req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      });
    expect(await connect(controlPort)).not.toBe('ECONNREFUSED');
    expect(await connect(view.port)).toBe('ECONNREFUSED');
    control.close();
  });

  it('rejects with a PortInUseError naming the port when the port is taken', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => taken.once('listening', r));
    const port = (taken.address() as { port: number }).port;
    const err = await startLiveView({ port }).then(() => undefined, (e: unknown) => e);
    expect(isPortInUseError(err)).toBe(true);
    expect((err as Error).message).toBe(`port ${port} on 127.0.0.1 is already in use`);
    taken.close();
  });

  it('refuses malformed options with a TypeError or RangeError naming the option', async () => {
    await expect(startLiveView({ port: 70_000 })).rejects.toThrow(/^port must be an integer in \[0, 65535\], received 70000$/);
    await expect(startLiveView({ logSize: 0 })).rejects.toThrow(RangeError);
    await expect(startLiveView({ maxMachines: 1.5 })).rejects.toThrow(/maxMachines/);
    await expect(startLiveView({ maxClients: 8, maxConnections: 4 })).rejects.toThrow(/^maxConnections must be at least maxClients \(8\), received 4$/);
    await expect(startLiveView({ headersTimeout: 10 })).rejects.toThrow(/^headersTimeout must be an integer in \[100, 60000\], received 10$/);
    await expect(startLiveView({ port: '80' as unknown as number })).rejects.toThrow(TypeError);
    await expect(startLiveView(null as never)).rejects.toThrow(TypeError);
    view = await startLiveView();
    expect(() => view!.inspector('')).toThrow(TypeError);
  });

  it('closes cleanly: browsers are disconnected, the port is free again, and the observers ignore later events', async () => {
    view = await startLiveView();
    const port = view.port;
    const stream = await openStream(view.url + 'events');
    await stream.next('hello');
    const observer = view.inspect;
    await view.close();
    await stream.closed;
    await view.close(); // safe to repeat
    const actor = createActor(toggleMachine, { inspect: observer }).start(); // no throw, nothing kept
    actor.send({ type: 'GO' });
    actor.stop();
    view = await startLiveView({ port }); // the same port binds again
    expect(view.port).toBe(port);
  });
});
