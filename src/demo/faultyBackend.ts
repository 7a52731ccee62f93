// A CatalogBackend wrapper that injects faults on the agent's side of the wire:
// calls and pings to a "failed" server are refused, "hidden" servers stay out
// of the agents' view until they "join", and an agent "cut off" (through its own
// view, `forAgent`) reaches no server at all. Used where the demo cannot hurt the real
// servers (etcd), so the agents' failover and join handling can still be shown.
import type { CatalogBackend, CatalogClient, MembershipEvent, NodeSession } from '../catalog/backend.js';
import { ServerUnavailableError, isServerUnavailableError } from '../catalog/errors.js';
import type { Pinger, Server } from '../servers/types.js';

export class FaultInjectingBackend implements CatalogBackend {
  private readonly failed = new Set<string>();
  private readonly hidden: Set<string>;
  private readonly listeners = new Set<(event: MembershipEvent) => void>();
  private readonly clients = new Map<string, CatalogClient>();
  private readonly cut = new Set<string>();
  readonly pinger: Pinger;

  constructor(
    private readonly inner: CatalogBackend,
    hidden: readonly string[] = [],
  ) {
    this.hidden = new Set(hidden);
    this.pinger = {
      ping: (server, signal) => (this.failed.has(server.name) ? Promise.reject(this.refused(server)) : inner.pinger.ping(server, signal)),
    };
  }

  /** Calls to `name` are refused from now on (as if its process had died). */
  fail(name: string): void {
    this.failed.add(name);
  }

  heal(name: string): void {
    this.failed.delete(name);
  }

  /** Every call and ping of `agent`'s view (forAgent) is refused from now on. */
  cutOff(agent: string): void {
    this.cut.add(agent);
  }

  reconnect(agent: string): void {
    this.cut.delete(agent);
  }

  /**
   * The backend one agent uses: this one, except that while `agent` is cut off its calls,
   * pings and session opens are refused. Membership, failures and joins are shared.
   */
  forAgent(agent: string): CatalogBackend {
    const isCut = (): boolean => this.cut.has(agent);
    const refuse = (server: Server): Promise<never> => Promise.reject(new ServerUnavailableError(server.name, 'connection refused (injected: agent cut off)'));
    const clients = new Map<string, CatalogClient>();
    return {
      pinger: { ping: (server, signal) => (isCut() ? refuse(server) : this.pinger.ping(server, signal)) },
      initialServers: () => this.initialServers(),
      client: (server) => {
        let client = clients.get(server.name);
        if (client) return client;
        const inner = this.client(server);
        const guard = <T>(call: () => Promise<T>): Promise<T> => (isCut() ? refuse(server) : call());
        client = {
          listServices: (node, signal) => guard(() => inner.listServices(node, signal)),
          putService: (node, service, session, signal) => guard(() => inner.putService(node, service, session, signal)),
          deleteService: (node, id, signal) => guard(() => inner.deleteService(node, id, signal)),
          countNodes: (signal) => guard(() => inner.countNodes(signal)),
        };
        clients.set(server.name, client);
        return client;
      },
      watchMembers: (listener) => this.watchMembers(listener),
      openSession: (server, node, ttlMs, signal) => (isCut() ? refuse(server) : this.openSession(server, node, ttlMs, signal)),
      notApplied: (error) => this.notApplied(error),
      // Shared with every other agent: closing one agent's view closes nothing.
      close: async () => undefined,
    };
  }

  /** A hidden server becomes visible and every watcher gets a `join` for it. */
  join(name: string): Server {
    const server = this.inner.initialServers().find((s) => s.name === name);
    if (!server || !this.hidden.delete(name)) throw new RangeError(`no hidden server ${JSON.stringify(name)}`);
    for (const listener of [...this.listeners]) listener({ type: 'join', server: { ...server } });
    return server;
  }

  hiddenServers(): string[] {
    return [...this.hidden];
  }

  initialServers(): Server[] {
    return this.inner.initialServers().filter((s) => !this.hidden.has(s.name));
  }

  client(server: Server): CatalogClient {
    let client = this.clients.get(server.name);
    if (client) return client;
    const guard = <T>(call: () => Promise<T>): Promise<T> => (this.failed.has(server.name) ? Promise.reject(this.refused(server)) : call());
    client = {
      listServices: (node, signal) => guard(() => this.inner.client(server).listServices(node, signal)),
      putService: (node, service, session, signal) => guard(() => this.inner.client(server).putService(node, service, session, signal)),
      deleteService: (node, id, signal) => guard(() => this.inner.client(server).deleteService(node, id, signal)),
      countNodes: (signal) => guard(() => this.inner.client(server).countNodes(signal)),
    };
    this.clients.set(server.name, client);
    return client;
  }

  watchMembers(listener: (event: MembershipEvent) => void): () => void {
    this.listeners.add(listener);
    const stop = this.inner.watchMembers((event) => {
      if (!this.hidden.has(event.server.name)) listener(event);
    });
    return () => {
      this.listeners.delete(listener);
      stop();
    };
  }

  openSession(server: Server, node: string, ttlMs: number, signal: AbortSignal): Promise<NodeSession> {
    if (this.failed.has(server.name)) return Promise.reject(this.refused(server));
    return this.inner.openSession(server, node, ttlMs, signal);
  }

  /** Its own refusals are made before anything is sent; the rest as the inner backend says. */
  notApplied(error: unknown): boolean {
    return isServerUnavailableError(error) || this.inner.notApplied?.(error) === true;
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private refused(server: Server): Error {
    return new ServerUnavailableError(server.name, 'connection refused (injected)');
  }
}
