// Optional peer dependencies. A subpath entry that needs a package the user may not
// have installed (etcd3 for `ae-sync/etcd`, @sinonjs/fake-timers for `ae-sync/testing`,
// elkjs for `ae-sync/view`) loads it through here, so a missing one fails at import
// with an error naming the package and the entry instead of a bare ERR_MODULE_NOT_FOUND.
import { AeSyncError, brandGuard } from './errors.js';

/** An entry of ae-sync was imported without the optional peer package it needs. Install `packageName`. */
export class MissingPeerError extends AeSyncError {
  readonly packageName: string;
  readonly entry: string;
  constructor(packageName: string, entry: string, cause?: unknown) {
    super('ERR_MISSING_PEER', `${entry} needs the package "${packageName}", which is not installed: run \`npm install ${packageName}\``, { cause });
    this.packageName = packageName;
    this.entry = entry;
  }
}
export const isMissingPeerError = brandGuard<MissingPeerError>('ERR_MISSING_PEER');

/** True when `err` says that `packageName` itself (not one of its own dependencies) cannot be found. */
export function isPackageMissing(err: unknown, packageName: string): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  const message = String((err as { message?: unknown }).message);
  return message.includes(`'${packageName}'`) || message.includes(`'${packageName}/`) || message.includes(`"${packageName}"`);
}

/**
 * `await load()`, where `load` is `() => import('<packageName>')`: the package's module,
 * or a MissingPeerError when the package is not installed. Any other failure is rethrown.
 */
export async function importPeer<T>(packageName: string, entry: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if (isPackageMissing(err, packageName)) throw new MissingPeerError(packageName, entry, err);
    throw err;
  }
}
