// Names for the syncer machine's states as the runtime reports them: a dotted path
// ('partialSync.idle') and the top-level name ('partialSync'), from xstate's state value.
import type { StateSyncerStateName } from '../../machines/stateSyncer.machine.js';

/** 'partialSync.idle' for { partialSync: 'idle' }; 'done' for 'done'. */
export function statePath(value: unknown): string {
  if (typeof value === 'string') return value;
  const parts: string[] = [];
  let v: unknown = value;
  for (let depth = 0; depth < 8 && v && typeof v === 'object'; depth++) {
    const key = Object.keys(v)[0];
    if (key === undefined) break;
    parts.push(key);
    v = (v as Record<string, unknown>)[key];
  }
  if (typeof v === 'string') parts.push(v);
  return parts.join('.');
}

/** The top-level state of a state value or a dotted path. */
export function topLevel(value: unknown): StateSyncerStateName {
  if (typeof value === 'object' && value !== null) {
    for (const key in value) return key as StateSyncerStateName;
  }
  const path = typeof value === 'string' ? value : statePath(value);
  const dot = path.indexOf('.');
  return (dot < 0 ? path : path.slice(0, dot)) as StateSyncerStateName;
}
