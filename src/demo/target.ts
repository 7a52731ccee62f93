// What the demo scenario plays against: a catalog cluster it can hurt (fail a
// server, add one, change entries behind the agents' backs) and read directly.
// The embedded target is a MemoryCluster; the etcd target lives in etcdTarget.ts.
import type { CatalogBackend, Service } from '../catalog/backend.js';
import { MemoryCluster } from '../catalog/memory/cluster.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';

export interface DemoTarget {
  /** One line saying what the agents talk to. */
  readonly description: string;
  /** How faults are injected, when it is not obvious (printed once). */
  readonly faultNote?: string;
  /** The backend one agent uses (its own connection where the target has that notion). */
  backendFor(node: string): CatalogBackend;
  /** Makes `server` fail: calls and pings to it are refused. */
  failServer(name: string): Promise<void> | void;
  /** A new server joins the cluster (agents learn it through membership events); resolves its name. */
  joinServer(): Promise<string>;
  /** Cuts `node`'s agent off from every server (its calls and pings no longer get through). */
  cutOff(node: string): Promise<void> | void;
  /** Undoes cutOff: `node`'s agent can reach the servers again. */
  reconnect(node: string): Promise<void> | void;
  /** Removes one entry behind the agent's back. */
  deleteEntry(node: string, id: string): Promise<void>;
  /** Alters one entry behind the agent's back. */
  corruptEntry(node: string, id: string): Promise<void>;
  /** The node's entries as the cluster stores them, sorted by id. */
  readEntries(node: string): Promise<Service[]>;
  close(): Promise<void>;
}

export interface MemoryTargetOptions {
  clock?: Clock;
  /** Servers at start. Defaults to 3. */
  servers?: number;
  /** Per-call latency range in ms (uniform), so calls interleave like real RPCs. Defaults to [1, 4]. */
  latencyMs?: readonly [number, number];
  random?: () => number;
  logger?: Logger;
}

/** The embedded target: an in-process MemoryCluster; each agent gets its own connection. */
export function memoryTarget(options: MemoryTargetOptions = {}): DemoTarget & { cluster: MemoryCluster } {
  const [low, high] = options.latencyMs ?? [1, 4];
  const random = options.random ?? Math.random;
  const cluster = new MemoryCluster({
    servers: options.servers ?? 3,
    clock: options.clock,
    logger: options.logger,
    latency: () => low + Math.floor(random() * (high - low + 1)),
  });
  let joined = cluster.serverNames().length;
  return {
    cluster,
    description: `embedded MemoryCluster (${cluster.serverNames().join(', ')})`,
    backendFor: (node) => cluster.connect(node),
    failServer: (name) => cluster.fail(name),
    joinServer: async () => {
      let name = `mem-${++joined}`;
      while (cluster.status(name) !== undefined) name = `mem-${++joined}`;
      cluster.addServer(name);
      return name;
    },
    cutOff: (node) => cluster.partition(node),
    reconnect: (node) => cluster.unpartition(node),
    deleteEntry: async (node, id) => void cluster.deleteEntry(node, id),
    corruptEntry: async (node, id) => void cluster.corruptEntry(node, id),
    readEntries: async (node) => cluster.readEntries(node),
    close: () => cluster.close(),
  };
}
