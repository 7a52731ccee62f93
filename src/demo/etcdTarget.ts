// The demo against a real etcd cluster. Agents share one etcd backend (one client
// per member) behind a FaultInjectingBackend: the last endpoint is kept hidden until
// the "join" phase, and the "failed" server is refused on the client side. Remote
// deletions and corruption are real writes to etcd, under a per-run key prefix.
import type { DemoTarget } from './target.js';
import type { DemoTiming } from './scenarioTypes.js';
import { FaultInjectingBackend } from './faultyBackend.js';
import { createEtcdBackend } from '../etcd/index.js';
import { rawMemberClient } from '../etcd/rawClient.js';
import type { Service } from '../catalog/backend.js';
import type { Logger } from '../shared/logger.js';

export interface EtcdTargetOptions {
  endpoints: string[];
  /** Key prefix; defaults to a fresh `/ae-sync-demo/<pid>-<time>` so runs never collide. */
  prefix?: string;
  logger?: Logger;
}

/** Timings that suit a real cluster: etcd leases are whole seconds and calls cross the loopback. */
export const ETCD_TIMING: Partial<DemoTiming> = { callTimeout: 2_000, pingTimeout: 2_000, sessionTtl: 5_000 };

export async function etcdTarget(options: EtcdTargetOptions): Promise<DemoTarget & { timing: Partial<DemoTiming> }> {
  if (options.endpoints.length < 2) throw new RangeError('--etcd needs at least two endpoints (one is held back to join later)');
  const prefix = options.prefix ?? `/ae-sync-demo/${process.pid}-${Date.now()}`;
  const etcd = createEtcdBackend({ endpoints: options.endpoints, prefix, callTimeout: 2_000, logger: options.logger });
  const all = etcd.initialServers();
  const joiner = all.at(-1)?.name as string;
  const faulty = new FaultInjectingBackend(etcd, [joiner]);
  const admin = (): ReturnType<typeof rawMemberClient> => rawMemberClient(etcd, all[0] as (typeof all)[number]);
  // Fail fast with a clear message when the cluster is not there.
  try {
    await admin().get(`${prefix}/probe`).string();
  } catch (err) {
    await etcd.close();
    throw new Error(`cannot reach etcd at ${all[0]?.name ?? '?'} (${(err as Error).message}); start a cluster with scripts/etcd-cluster.sh start`);
  }
  return {
    timing: ETCD_TIMING,
    description: `etcd (${all.map((s) => s.name).join(', ')}; ${joiner} held back until the join), prefix ${prefix}`,
    faultNote: 'note: the failed server is refused on the agents\' side (the etcd member keeps running); deletions and corruption are real etcd writes',
    backendFor: (node) => faulty.forAgent(node),
    cutOff: (node) => faulty.cutOff(node),
    reconnect: (node) => faulty.reconnect(node),
    failServer: (name) => faulty.fail(name),
    joinServer: async () => faulty.join(joiner).name,
    deleteEntry: async (node, id) => {
      await admin().delete().key(etcd.keys.serviceKey(node, id)).exec();
    },
    corruptEntry: async (node, id) => {
      await admin().put(etcd.keys.serviceKey(node, id)).value('{"corrupted":').exec();
    },
    readEntries: async (node): Promise<Service[]> => {
      const signal = new AbortController().signal;
      return etcd.client(all[0] as (typeof all)[number]).listServices(node, signal);
    },
    close: async () => {
      try {
        await admin().delete().prefix(prefix).exec();
      } catch {
        // best effort: the agents revoked their sessions already
      }
      await etcd.close();
    },
  };
}
