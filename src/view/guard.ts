// The one guard of every loopback page ae-sync serves (the live view, and the demo's
// Stately bridge): a per-run secret token in every path, compared in constant time,
// and the Host and Origin a request may carry — `127.0.0.1:<port>` or
// `localhost:<port>` only, so a page on another name that resolves to 127.0.0.1 (DNS
// rebinding) is refused.
import { randomBytes, timingSafeEqual } from 'node:crypto';

export const LOOPBACK_HOST = '127.0.0.1';

export class LoopbackGuard {
  /** A secret of the run: from crypto, never the injected random. */
  readonly token = randomBytes(18).toString('base64url');

  /** `port` is read on each check: the server knows it only once it listens. */
  constructor(private readonly port: () => number) {}

  /** The Host values a request may carry. */
  hosts(): string[] {
    const port = this.port();
    return [`${LOOPBACK_HOST}:${port}`, `localhost:${port}`];
  }

  hostAllowed(host: string | undefined): boolean {
    return host !== undefined && this.hosts().includes(host);
  }

  /** An Origin of this server's own pages (`http://<allowed host>`); `undefined` (no Origin) is not one. */
  isOwnOrigin(origin: string | undefined): boolean {
    return origin !== undefined && this.hosts().some((h) => origin === `http://${h}`);
  }

  tokenMatches(candidate: string): boolean {
    const a = Buffer.from(candidate);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
