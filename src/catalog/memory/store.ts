// The MemoryCluster's shared store: every node's entries, each attached to the
// session that wrote it. Copies in and out, so callers never share its objects.
import type { Service } from '../backend.js';
import { copyService } from './types.js';

interface StoredEntry {
  service: Service;
  sessionId: string;
}

export class EntryStore {
  private readonly byNode = new Map<string, Map<string, StoredEntry>>();

  put(node: string, service: Service, sessionId: string): void {
    let entries = this.byNode.get(node);
    if (!entries) this.byNode.set(node, (entries = new Map()));
    entries.set(service.id, { service: copyService(service), sessionId });
  }

  /** True when the entry existed. */
  delete(node: string, id: string): boolean {
    const entries = this.byNode.get(node);
    const existed = entries?.delete(id) ?? false;
    if (entries && entries.size === 0) this.byNode.delete(node);
    return existed;
  }

  /** Replaces one entry's service with `mutate(copy)`; true when it existed. */
  mutate(node: string, id: string, mutate: (service: Service) => Service): boolean {
    const entry = this.byNode.get(node)?.get(id);
    if (!entry) return false;
    entry.service = copyService(mutate(copyService(entry.service)));
    return true;
  }

  /** The node's services, sorted by id (copies). */
  read(node: string): Service[] {
    const entries = this.byNode.get(node);
    if (!entries) return [];
    return [...entries.keys()].sort().map((id) => copyService((entries.get(id) as StoredEntry).service));
  }

  /** Nodes with at least one entry, sorted. */
  nodes(): string[] {
    return [...this.byNode.keys()].sort();
  }

  /** Removes the node's entries written under `sessionId` (the session ended). */
  dropSession(node: string, sessionId: string): void {
    const entries = this.byNode.get(node);
    if (!entries) return;
    for (const [id, entry] of entries) if (entry.sessionId === sessionId) entries.delete(id);
    if (entries.size === 0) this.byNode.delete(node);
  }
}
