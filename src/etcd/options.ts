// Options of the etcd catalog backend and their validation. Bad values throw a
// TypeError/RangeError naming the option and the value — except credentials,
// which are never echoed back.
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { describeValue, optionalPositiveNumber, checkClock } from '../shared/options.js';

/** Client TLS material, handed to etcd3 (`credentials`) unchanged. */
export interface EtcdTlsOptions {
  /** PEM of the CA that signed the members' certificates. */
  rootCertificate: Buffer;
  /** PEM private key, for client-certificate authentication. */
  privateKey?: Buffer;
  /** PEM certificate chain matching `privateKey`. */
  certChain?: Buffer;
}

/** etcd username/password authentication. Never logged. */
export interface EtcdAuthOptions {
  username: string;
  password: string;
}

export interface EtcdBackendOptions {
  /** Client endpoints, `host:port` or `http(s)://host:port`, one per member. At least one. */
  endpoints: string[];
  /** Key prefix of everything the backend writes. Defaults to `'/ae-sync'`. */
  prefix?: string;
  /**
   * Deadline of every unary etcd call, in ms: a call to a frozen member fails
   * after this long instead of hanging. Defaults to 2,000 ms.
   */
  callTimeoutMs?: number;
  /** How often the member list is polled for `watchMembers`, in ms. Defaults to 5,000 ms. */
  pollMembersMs?: number;
  /** pino logger; the backend logs through `child({ component: 'etcd' })` with credentials redacted. */
  logger?: Logger;
  /** Username/password authentication, passed through to etcd3. */
  auth?: EtcdAuthOptions;
  /** TLS for the client connections (endpoints then default to `https://`). */
  tls?: EtcdTlsOptions;
  /** Clock for the member poll and session keepalive timers. Defaults to the system clock. */
  clock?: Clock;
}

/** One endpoint split into scheme and `host:port` (the server's name and address). */
export interface Endpoint {
  address: string;
  secure: boolean;
}

export interface ResolvedOptions {
  endpoints: Endpoint[];
  prefix: string;
  callTimeoutMs: number;
  pollMembersMs: number;
  logger: Logger | undefined;
  auth: EtcdAuthOptions | undefined;
  tls: EtcdTlsOptions | undefined;
  clock: Clock;
}

export const DEFAULT_PREFIX = '/ae-sync';
export const DEFAULT_CALL_TIMEOUT_MS = 2_000;
export const DEFAULT_POLL_MEMBERS_MS = 5_000;

const ENDPOINT = /^(?:(https?):\/\/)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})\/?$/;

/** Parses `host:port` / `http(s)://host:port`; throws a RangeError naming the bad value. */
export function parseEndpoint(name: string, value: unknown, tls: boolean): Endpoint {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, received ${describeValue(value)}`);
  const match = ENDPOINT.exec(value.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || !(port >= 1 && port <= 65_535)) {
    throw new RangeError(`${name} must look like "host:port" or "http(s)://host:port" with a port in 1..65535, received ${describeValue(value)}`);
  }
  const scheme = match[1];
  return { address: `${match[2]}:${port}`, secure: scheme === 'https' || (scheme === undefined && tls) };
}

function validatePrefix(value: unknown): string {
  if (value === undefined) return DEFAULT_PREFIX;
  if (typeof value !== 'string') throw new TypeError(`prefix must be a string, received ${describeValue(value)}`);
  const trimmed = value.replace(/\/+$/, '');
  if (!trimmed.startsWith('/') || trimmed.length < 2 || trimmed.includes('//')) {
    throw new RangeError(`prefix must start with "/" and name at least one path segment, received ${describeValue(value)}`);
  }
  return trimmed;
}

function validateAuth(value: unknown): EtcdAuthOptions | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) throw new TypeError(`auth must be an object { username, password }, received ${describeValue(value)}`);
  const { username, password } = value as Partial<EtcdAuthOptions>;
  // The values are deliberately not shown: they are credentials.
  if (typeof username !== 'string' || username.length === 0) throw new TypeError('auth.username must be a non-empty string');
  if (typeof password !== 'string' || password.length === 0) throw new TypeError('auth.password must be a non-empty string');
  return { username, password };
}

function validateTls(value: unknown): EtcdTlsOptions | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) throw new TypeError(`tls must be an object { rootCertificate, privateKey?, certChain? }, received ${describeValue(value)}`);
  const tls = value as Partial<EtcdTlsOptions>;
  if (!Buffer.isBuffer(tls.rootCertificate)) throw new TypeError('tls.rootCertificate must be a Buffer');
  if (tls.privateKey !== undefined && !Buffer.isBuffer(tls.privateKey)) throw new TypeError('tls.privateKey must be a Buffer');
  if (tls.certChain !== undefined && !Buffer.isBuffer(tls.certChain)) throw new TypeError('tls.certChain must be a Buffer');
  return { ...tls, rootCertificate: tls.rootCertificate };
}

/** Checks every option; throws before anything is connected. */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, received ${describeValue(options)}`);
  const o = options as Partial<EtcdBackendOptions>;
  const tls = validateTls(o.tls);
  if (!Array.isArray(o.endpoints)) throw new TypeError(`endpoints must be an array of "host:port" strings, received ${describeValue(o.endpoints)}`);
  if (o.endpoints.length === 0) throw new RangeError('endpoints must list at least one member, received []');
  const endpoints = o.endpoints.map((e, i) => parseEndpoint(`endpoints[${i}]`, e, tls !== undefined));
  const seen = new Set<string>();
  for (const e of endpoints) {
    if (seen.has(e.address)) throw new RangeError(`endpoints must not repeat a member, received ${describeValue(e.address)} twice`);
    seen.add(e.address);
  }
  if (o.logger !== undefined && (typeof o.logger !== 'object' || o.logger === null || typeof o.logger.child !== 'function')) {
    throw new TypeError(`logger must be a pino logger, received ${describeValue(o.logger)}`);
  }
  const clock = o.clock === undefined ? systemClock : checkClock('clock', o.clock);
  return {
    endpoints,
    prefix: validatePrefix(o.prefix),
    callTimeoutMs: optionalPositiveNumber('callTimeoutMs', o.callTimeoutMs, DEFAULT_CALL_TIMEOUT_MS),
    pollMembersMs: optionalPositiveNumber('pollMembersMs', o.pollMembersMs, DEFAULT_POLL_MEMBERS_MS),
    logger: o.logger,
    auth: validateAuth(o.auth),
    tls,
    clock,
  };
}
