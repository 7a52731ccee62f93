// The raw etcd3 client of a member, for ae-sync's own tools and tests. The public
// `EtcdBackend.memberClient` types it as `EtcdMemberClient`, so that the shipped
// declarations of `ae-sync/etcd` never import etcd3's (a project without the optional
// peer still typechecks); this module is not exported.
import type { Etcd3 } from 'etcd3';
import type { Server } from '../catalog/backend.js';
import type { EtcdBackend } from './backend.js';

/** `backend.memberClient(server)` with etcd3's whole API: the backend hands out `Etcd3` instances. */
export function rawMemberClient(backend: EtcdBackend, server: Server): Etcd3 {
  return backend.memberClient(server) as Etcd3;
}
