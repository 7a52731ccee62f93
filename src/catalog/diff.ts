// Comparing two catalogs by service id: what the scenario checks, the demo and the
// tests use to say "nothing lost" (every local entry stored, nothing extra).
import type { Service } from './backend.js';
import { servicesEqual } from './validate.js';

export function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** How two catalogs differ (by id): what `remote` lacks, holds extra, or holds differently. */
export function diffCatalog(local: readonly Service[], remote: readonly Service[]): { missing: string[]; extra: string[]; different: string[] } {
  const remoteById = new Map(remote.map((s) => [s.id, s]));
  const localIds = new Set(local.map((s) => s.id));
  const missing: string[] = [];
  const different: string[] = [];
  for (const service of local) {
    const found = remoteById.get(service.id);
    if (!found) missing.push(service.id);
    else if (!servicesEqual(found, service)) different.push(service.id);
  }
  const extra = remote.filter((s) => !localIds.has(s.id)).map((s) => s.id);
  return { missing: missing.sort(byId), extra: extra.sort(byId), different: different.sort(byId) };
}
