// One simulated agent's CatalogBackend: what its real ServiceRegistry calls, each call a
// request through the simulated network to the shard's SimCatalog. Membership reaches
// agents through the run's timeline (the fleet adds and removes servers itself), so
// watchMembers delivers nothing; the fleet's managers ping through the network model.
import type { CatalogBackend, CatalogClient, NodeSession, Service, WriteOp } from '../../catalog/backend.js';
import type { MembershipEvent, Server } from '../../servers/types.js';
import { OUTCOME_ERRORS, type Network } from '../network.js';
import type { SimCatalog, SimWrite } from './simCatalog.js';

/** Most ops per write call: etcd's default `--max-txn-ops`, as the etcd backend declares. */
export const SIM_MAX_BATCH_OPS = 128;

/** The network's errors for a request that never reached a server (unreachable, down): it did not apply. */
const NOT_SENT = new Set<unknown>([OUTCOME_ERRORS[1], OUTCOME_ERRORS[2]]);

class SimSession implements NodeSession {
  readonly id: string;
  constructor(
    private readonly catalog: SimCatalog,
    private readonly agent: number,
    readonly number: number,
  ) {
    this.id = `${catalog.node(agent)}#${number}`;
  }
  onLost(listener: (err: unknown) => void): void {
    this.catalog.onLost(this.agent, this.number, () => listener(new Error(`session ${this.id} lost`)));
  }
  close(): Promise<void> {
    this.catalog.closeSession(this.agent, this.number);
    return Promise.resolve();
  }
}

function sessionNumber(id: string): number {
  return Number(id.slice(id.lastIndexOf('#') + 1));
}

function simWrite(op: WriteOp): SimWrite {
  switch (op.op) {
    case 'put':
      return { op: 'put', service: op.service };
    case 'delete':
      return { op: 'delete', id: op.id };
    default:
      // The simulated agents register services only.
      throw new RangeError(`the simulated catalog stores services only, received a ${op.op} op`);
  }
}

/** Server `server`'s catalog client, as agent `agent` reaches it. */
class SimClient implements CatalogClient {
  constructor(
    private readonly catalog: SimCatalog,
    private readonly agent: number,
    private readonly server: number,
  ) {}
  listServices(_node: string, signal: AbortSignal): Promise<Service[]> {
    return this.catalog.list(this.agent, this.server, signal);
  }
  putService(_node: string, service: Service, sessionId: string, signal: AbortSignal): Promise<void> {
    return this.catalog.write(this.agent, this.server, [{ op: 'put', service }], sessionNumber(sessionId), signal);
  }
  deleteService(_node: string, id: string, signal: AbortSignal): Promise<void> {
    return this.catalog.write(this.agent, this.server, [{ op: 'delete', id }], 0, signal);
  }
  writeBatch(_node: string, ops: readonly WriteOp[], sessionId: string, signal: AbortSignal): Promise<void> {
    return this.catalog.write(this.agent, this.server, ops.map(simWrite), sessionNumber(sessionId), signal);
  }
  countNodes(signal: AbortSignal): Promise<number> {
    return this.catalog.countNodes(this.agent, this.server, signal);
  }
}

export class SimCatalogBackend implements CatalogBackend {
  readonly maxBatchOps = SIM_MAX_BATCH_OPS;
  readonly #clients: (SimClient | undefined)[] = [];

  constructor(
    private readonly catalog: SimCatalog,
    private readonly network: Network,
    private readonly agent: number,
  ) {}

  initialServers(): Server[] {
    return this.network.servers.slice();
  }

  client(server: Server): CatalogClient {
    const s = this.network.serverIndex(server);
    return (this.#clients[s] ??= new SimClient(this.catalog, this.agent, s));
  }

  readonly pinger = {
    ping: (server: Server, signal: AbortSignal): Promise<boolean> => this.catalog.ping(this.agent, this.network.serverIndex(server), signal),
  };

  watchMembers(_listener: (event: MembershipEvent) => void): () => void {
    return () => undefined;
  }

  async openSession(server: Server, _node: string, _ttlMs: number, signal: AbortSignal): Promise<NodeSession> {
    const number = await this.catalog.openSession(this.agent, this.network.serverIndex(server), signal);
    return new SimSession(this.catalog, this.agent, number);
  }

  notApplied(error: unknown): boolean {
    return NOT_SENT.has(error);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
