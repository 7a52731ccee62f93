// The simulated agents' local catalogs, whichever engine hosts them: one real
// ServiceRegistry per agent (the registry createCatalogAgent builds, with its sync pass,
// read retry, write cap and session handling), holding `entries` services, against the
// shard's SimCatalog. The engine supplies what differs between hosts: the agent's call
// path to its servers and its clock. Each registry draws from a stream of its own.
import type { Service } from '../../catalog/backend.js';
import { ServiceRegistry } from '../../catalog/registry.js';
import type { ServerCaller, SyncTriggers } from '../../catalog/registryOptions.js';
import type { Clock } from '../../shared/clock.js';
import type { AgentTuning } from '../agent.js';
import type { Network } from '../network.js';
import { SimCatalogBackend } from './simBackend.js';
import { SimCatalog, type CatalogTransport } from './simCatalog.js';
import type { Recorder } from '../metrics.js';
import { Stream, StreamTable } from '../streams.js';

export interface SimRegistriesOptions {
  seed: number;
  first: number;
  count: number;
  totalAgents: number;
  /** Services each agent registers before it starts. */
  entries: number;
  network: Network;
  recorder: Recorder;
  now: () => number;
  transport: CatalogTransport;
  tuning: AgentTuning;
}

/** What an engine gives agent `i`'s registry. */
export interface RegistryHost {
  servers: ServerCaller;
  clock: Clock;
}

/**
 * The call path a simulated registry gets: the host's `call` (the agent's manager), with
 * `observe` run as a call picks its server and after a call failed (which may have rotated
 * the front server away) — so the ledger sees every new connection the calls make.
 */
export function observedCaller(call: ServerCaller['call'], reachableServers: () => number, observe: () => void): ServerCaller {
  return {
    call: (fn, options) =>
      call((server, signal) => {
        observe();
        return fn(server, signal);
      }, options).catch((err: unknown) => {
        observe();
        throw err;
      }),
    reachableServers,
  };
}

/** Service `k` of every agent, at content version `v` (a local change bumps it). */
function service(k: number, v: number): Service {
  return { id: `svc-${k}`, name: `svc-${k}`, address: '10.1.0.1', port: 8000 + k, meta: { v: String(v) } };
}

export class SimRegistries {
  readonly catalog: SimCatalog;
  readonly #registries: ServiceRegistry[] = [];
  /** Per agent: local changes made so far (picks the service and its next version). */
  readonly #changes: Uint32Array;
  readonly #random: StreamTable;

  constructor(private readonly o: SimRegistriesOptions) {
    if (!Number.isInteger(o.entries) || o.entries < 1) throw new RangeError(`entries must be an integer ≥ 1, received ${o.entries}`);
    this.catalog = new SimCatalog({ seed: o.seed, first: o.first, count: o.count, totalAgents: o.totalAgents, network: o.network, recorder: o.recorder, now: o.now, transport: o.transport });
    this.#random = new StreamTable(o.seed, Stream.agentRegistry, o.first, o.count);
    this.catalog.expect(o.entries);
    this.#changes = new Uint32Array(o.count);
  }

  /** Builds agent `i`'s registry and registers its services (written by its first sync). */
  create(i: number, host: RegistryHost): ServiceRegistry {
    const o = this.o;
    // The tuning is forwarded whole, as createCatalogAgent forwards its options.
    const registry = new ServiceRegistry({
      ...o.tuning,
      backend: new SimCatalogBackend(this.catalog, o.network, i),
      node: this.catalog.node(i),
      servers: host.servers,
      clock: host.clock,
      random: () => this.#random.next(i),
    });
    for (let k = 0; k < o.entries; k++) registry.register(service(k, 0));
    this.#registries[i] = registry;
    return registry;
  }

  /** The agent starts: its registry pulls the syncer's triggers from now on. */
  attach(i: number, triggers: SyncTriggers): void {
    (this.#registries[i] as ServiceRegistry).attach(triggers);
  }

  registry(i: number): ServiceRegistry {
    return this.#registries[i] as ServiceRegistry;
  }

  /** A local change: the next service in turn gets new content (a put owed, a partial sync asked for). */
  change(i: number): void {
    const n = this.#changes[i]!++;
    (this.#registries[i] as ServiceRegistry).register(service(n % this.o.entries, Math.floor(n / this.o.entries) + 1));
  }
}
