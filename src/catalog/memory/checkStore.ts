// The MemoryCluster's health checks: every node's checks, each attached to the
// session that wrote it, dropped with that session. Copies in and out.
import type { Check } from '../backend.js';

const copy = (check: Check): Check => ({ ...check });

export class CheckStore {
  private readonly byNode = new Map<string, Map<string, { check: Check; sessionId: string }>>();

  put(node: string, check: Check, sessionId: string): void {
    let checks = this.byNode.get(node);
    if (!checks) this.byNode.set(node, (checks = new Map()));
    checks.set(check.id, { check: copy(check), sessionId });
  }

  /** True when the check existed. */
  delete(node: string, id: string): boolean {
    const checks = this.byNode.get(node);
    const existed = checks?.delete(id) ?? false;
    if (checks && checks.size === 0) this.byNode.delete(node);
    return existed;
  }

  /** The node's checks, sorted by id (copies). */
  read(node: string): Check[] {
    const checks = this.byNode.get(node);
    if (!checks) return [];
    return [...checks.keys()].sort().map((id) => copy((checks.get(id) as { check: Check }).check));
  }

  dropSession(node: string, sessionId: string): void {
    const checks = this.byNode.get(node);
    if (!checks) return;
    for (const [id, entry] of checks) if (entry.sessionId === sessionId) checks.delete(id);
    if (checks.size === 0) this.byNode.delete(node);
  }
}
