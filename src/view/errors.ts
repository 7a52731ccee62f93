// The live view's typed errors: a port that is already taken is the one failure a
// user causes by choice (two agents, one fixed port), so it gets a class and a guard.
import { AeSyncError, brandGuard } from '../shared/errors.js';

/** The live view (or the demo's inspector bridge) could not listen: `port` on `host` is taken. */
export class PortInUseError extends AeSyncError {
  readonly port: number;
  readonly host: string;
  constructor(host: string, port: number, cause?: unknown) {
    super('ERR_PORT_IN_USE', `port ${port} on ${host} is already in use`, { cause });
    this.port = port;
    this.host = host;
  }
}
export const isPortInUseError = brandGuard<PortInUseError>('ERR_PORT_IN_USE');
