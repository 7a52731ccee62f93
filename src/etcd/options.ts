// Options of the etcd catalog backend and their validation. Bad values throw a
// TypeError/RangeError naming the option and the value — except credentials,
// which are never echoed back.
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import { checkLogger, type Logger } from '../shared/logger.js';
import { describeValue, durationMs, checkClock, renamedOption } from '../shared/options.js';

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
   * after this long instead of hanging. Defaults to 2 s (`DEFAULT_ETCD_CALL_TIMEOUT_MS`).
   */
  callTimeout?: number;
  /** @deprecated Renamed `callTimeout` (same unit, ms); this name goes in the next release. */
  callTimeoutMs?: number;
  /**
   * Poll etcd's member list for `watchMembers`: members not among `endpoints` are added
   * once they answer at their advertised client URL, and removed when the list drops them.
   * The endpoints given always stay. Set false when the advertised URLs mean nothing to
   * the agent (NAT, containers, port-forwards, a load-balancer name) or to use exactly
   * `endpoints`; `watchMembers` then reports nothing. Defaults to true.
   */
  pollMembers?: boolean;
  /** How often the member list is polled for `watchMembers` (first at once), in ms. Defaults to 5 s. */
  pollMembersInterval?: number;
  /** @deprecated Renamed `pollMembersInterval` (same unit, ms); this name goes in the next release. */
  pollMembersMs?: number;
  /**
   * Server-side grace of a session, as a multiple of its TTL (≥ 1): the lease is granted
   * for `ceil(sessionTtl × sessionGrace)` whole seconds, while the client gives the
   * session up after one `sessionTtl` without a successful renewal. Same name and meaning
   * as MemoryCluster's. Defaults to 2.
   */
  sessionGrace?: number;
  /**
   * A member's connection is closed after this long without a call, in ms, and reopened
   * on demand. Must exceed `callTimeout`. Defaults to 127 s (the first prime above
   * 120 s: once-a-minute jobs with up to 59 s of drift reuse the connection).
   */
  idleClose?: number;
  /** @deprecated Renamed `idleClose` (same unit, ms); this name goes in the next release. */
  idleCloseMs?: number;
  /**
   * Accept `auth` over plain `http://` endpoints, where the password crosses the network
   * in clear text; a warning is logged at every backend creation. Defaults to false
   * (refused with a RangeError).
   */
  insecureAuth?: boolean;
  /**
   * Most operations per transaction the backend sends: a batch of writes is one
   * transaction. Set it to the members' `--max-txn-ops` when that was changed; a
   * transaction over the members' limit is refused and split by the registry, so a
   * value too high costs extra calls, never an entry. An integer ≥ 1. Defaults to 128
   * (etcd's default `--max-txn-ops`).
   */
  maxTxnOps?: number;
  /**
   * Read a node's entries and the node count serializably, from the member the agent is
   * connected to, instead of through a linearizable read that needs the leader. A read is
   * used only when its revision is at or past the agent's own last acknowledged write
   * (for the node count: the last write of any node on this backend); a read that is
   * behind is made again linearizably. Set false to make every read linearizable (a
   * member far behind the others then costs nothing extra). Defaults to true.
   */
  staleReads?: boolean;
  /** A `Logger` (pino, `fromConsole(console)`, or any object with its five members); the backend logs through `child({ component: 'etcd' })`, credentials censored whatever the logger. Defaults to silent. */
  logger?: Logger;
  /** Username/password authentication, passed through to etcd3. Needs TLS unless `insecureAuth`. */
  auth?: EtcdAuthOptions;
  /** TLS for the client connections (scheme-less endpoints then mean `https://`; an explicit `http://` is refused). */
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
  pollMembers: boolean;
  pollMembersMs: number;
  sessionGrace: number;
  idleCloseMs: number;
  insecureAuth: boolean;
  maxTxnOps: number;
  staleReads: boolean;
  logger: Logger | undefined;
  auth: EtcdAuthOptions | undefined;
  tls: EtcdTlsOptions | undefined;
  clock: Clock;
}

export const DEFAULT_PREFIX = '/ae-sync';
/**
 * The default `callTimeout` of the etcd backend: one unary etcd call to one member, ms.
 * Not the registry's `DEFAULT_CALL_TIMEOUT_MS` (5 s, one whole catalog call).
 */
export const DEFAULT_ETCD_CALL_TIMEOUT_MS = 2_000;
/** The default `pollMembersInterval`, ms. */
export const DEFAULT_POLL_MEMBERS_MS = 5_000;
export const DEFAULT_SESSION_GRACE = 2;
/** etcd's default `--max-txn-ops`. */
export const DEFAULT_MAX_TXN_OPS = 128;
/** 127 s: the first prime above 120 s, so a client used once a minute (with up to 59 s of drift) keeps its connection. */
export const DEFAULT_IDLE_CLOSE_MS = 127_000;
/**
 * The shortest session TTL the etcd backend accepts, ms. Lease TTLs are whole seconds,
 * and the client renews every TTL/3 and gives up after one TTL: below a second it would
 * renew faster than a loaded member answers. (etcd itself raises any lease below its
 * minimum — 1.5 × the election timeout, rounded up: 2 s by default — to that minimum,
 * which only lengthens the server side.)
 */
export const MIN_SESSION_TTL_MS = 1_000;

const ENDPOINT = /^(?:(https?):\/\/)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})\/?$/;

/** `value` with any userinfo (`user:password@`) replaced, so an error can show the rest. */
export function redactUserinfo(value: string): string {
  return value.replace(/^((?:[A-Za-z][A-Za-z0-9+.-]*:\/\/)?)[^/]*@/, '$1[redacted]@');
}

/**
 * Parses `host:port` / `http(s)://host:port`; throws a RangeError naming the bad value
 * (with any userinfo redacted: credentials belong in `auth`, and never in an error).
 */
export function parseEndpoint(name: string, value: unknown, tls: boolean): Endpoint {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, received ${describeValue(value)}`);
  if (value.includes('@')) {
    throw new RangeError(`${name} must not carry credentials (pass them as \`auth\`), received ${describeValue(redactUserinfo(value))}`);
  }
  const match = ENDPOINT.exec(value.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || !(port >= 1 && port <= 65_535)) {
    throw new RangeError(`${name} must look like "host:port" or "http(s)://host:port" with a port in 1..65535, received ${describeValue(value)}`);
  }
  const scheme = match[1];
  // Upgrading an explicit http:// to TLS would make initialServers() and the connection disagree.
  if (scheme === 'http' && tls) throw new RangeError(`${name} is http:// but tls is set: use https:// or a scheme-less "host:port", received ${describeValue(value)}`);
  return { address: `${match[2]}:${port}`, secure: scheme === 'https' || (scheme === undefined && tls) };
}

/** NUL, C0/C1 controls, DEL and every kind of space (including zero-width and bidi marks). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const PREFIX_BAD_CHAR = /[\u0000-\u0020\u007f-\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff]/u;

function validatePrefix(value: unknown): string {
  if (value === undefined) return DEFAULT_PREFIX;
  if (typeof value !== 'string') throw new TypeError(`prefix must be a string, received ${describeValue(value)}`);
  const trimmed = value.replace(/\/+$/, '');
  if (!trimmed.startsWith('/') || trimmed.length < 2 || trimmed.includes('//')) {
    throw new RangeError(`prefix must start with "/" and name at least one path segment, received ${describeValue(value)}`);
  }
  if (PREFIX_BAD_CHAR.test(trimmed)) throw new RangeError(`prefix must not contain NUL, control characters or spaces, received ${describeValue(value)}`);
  if (trimmed.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new RangeError(`prefix must not contain "." or ".." segments, received ${describeValue(value)}`);
  }
  return trimmed;
}

function validateGrace(value: unknown): number {
  if (value === undefined) return DEFAULT_SESSION_GRACE;
  if (typeof value !== 'number') throw new TypeError(`sessionGrace must be a number, received ${describeValue(value)}`);
  if (!Number.isFinite(value) || value < 1 || value > 1000) throw new RangeError(`sessionGrace must be a finite number in [1, 1000], received ${describeValue(value)}`);
  return value;
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

function validateTxnOps(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_TXN_OPS;
  if (typeof value !== 'number') throw new TypeError(`maxTxnOps must be a number, received ${describeValue(value)}`);
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`maxTxnOps must be an integer ≥ 1, received ${describeValue(value)}`);
  return value;
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
  checkLogger('logger', o.logger);
  const clock = o.clock === undefined ? systemClock : checkClock('clock', o.clock);
  const callTimeout = renamedOption(o, 'callTimeout', 'callTimeoutMs');
  const idleClose = renamedOption(o, 'idleClose', 'idleCloseMs');
  const pollInterval = renamedOption(o, 'pollMembersInterval', 'pollMembersMs');
  const callTimeoutMs = durationMs(callTimeout.name, callTimeout.value, DEFAULT_ETCD_CALL_TIMEOUT_MS);
  const idleCloseMs = durationMs(idleClose.name, idleClose.value, DEFAULT_IDLE_CLOSE_MS);
  if (idleCloseMs <= callTimeoutMs) throw new RangeError(`${idleClose.name} must exceed ${callTimeout.name} (${callTimeoutMs} ms), received ${describeValue(idleCloseMs)}`);
  if (o.insecureAuth !== undefined && typeof o.insecureAuth !== 'boolean') throw new TypeError(`insecureAuth must be a boolean, received ${describeValue(o.insecureAuth)}`);
  const insecureAuth = o.insecureAuth === true;
  if (o.pollMembers !== undefined && typeof o.pollMembers !== 'boolean') throw new TypeError(`pollMembers must be a boolean, received ${describeValue(o.pollMembers)}`);
  if (o.staleReads !== undefined && typeof o.staleReads !== 'boolean') throw new TypeError(`staleReads must be a boolean, received ${describeValue(o.staleReads)}`);
  const auth = validateAuth(o.auth);
  const plain = endpoints.filter((e) => !e.secure).map((e) => e.address);
  if (auth && plain.length > 0 && !insecureAuth) {
    throw new RangeError(`auth over plain http:// would send the password in clear text to ${plain.join(', ')}: set tls, or insecureAuth: true to accept it`);
  }
  return {
    endpoints,
    prefix: validatePrefix(o.prefix),
    callTimeoutMs,
    pollMembers: o.pollMembers !== false,
    pollMembersMs: durationMs(pollInterval.name, pollInterval.value, DEFAULT_POLL_MEMBERS_MS),
    sessionGrace: validateGrace(o.sessionGrace),
    idleCloseMs,
    insecureAuth,
    maxTxnOps: validateTxnOps(o.maxTxnOps),
    staleReads: o.staleReads !== false,
    logger: o.logger,
    auth,
    tls,
    clock,
  };
}
