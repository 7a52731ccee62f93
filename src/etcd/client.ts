// One etcd3 client per member, configured so a call goes to exactly that member,
// is tried once (the server manager, not etcd3, decides where to retry) and
// always carries a deadline — so a frozen member costs one deadline, not minutes.
import type { Etcd3, CallOptionsFactory, IOptions } from 'etcd3';
import { abortReason, attempt, raceAbort } from '../shared/abort.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { deadline } from '../shared/deadline.js';
import { TimeoutError } from '../shared/errors.js';
import { importPeer } from '../shared/peer.js';
import type { Endpoint, EtcdAuthOptions, EtcdTlsOptions } from './options.js';

/** etcd3 is an optional peer of ae-sync: without it, importing `ae-sync/etcd` fails naming the package. */
export const etcd3 = await importPeer('etcd3', 'ae-sync/etcd', () => import('etcd3'));

type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

/**
 * A pass-through fault policy. etcd3's defaults (3 retries over a circuit breaker
 * that opens for 5 s) would hide a member's failure from the server manager and
 * stretch one call over several deadlines; etcd3 only ever calls `execute`.
 */
const passThrough = {
  execute: <T>(fn: (context: { signal: AbortSignal }) => T | Promise<T>): Promise<T> =>
    Promise.resolve().then(() => fn({ signal: new AbortController().signal })),
} as unknown as Policy;

/**
 * `defaultCallOptions` as a factory, so every unary call (and every retry etcd3
 * might make) gets a fresh deadline. Streams get none: a deadline would cut a
 * long-lived stream; the keepalive sets its own per-stream deadline.
 */
export function deadlineFactory(callTimeoutMs: number): CallOptionsFactory {
  return (context) => (context.isStream ? {} : { deadline: Date.now() + callTimeoutMs });
}

export interface MemberClientOptions {
  endpoint: Endpoint;
  callTimeoutMs: number;
  auth: EtcdAuthOptions | undefined;
  tls: EtcdTlsOptions | undefined;
}

/** An etcd3 client bound to one member. Constructing it opens no connection. */
export function createMemberClient(options: MemberClientOptions): Etcd3 {
  const { endpoint, callTimeoutMs, auth, tls } = options;
  const factory = deadlineFactory(callTimeoutMs);
  const config: IOptions = {
    hosts: [`${endpoint.secure ? 'https' : 'http'}://${endpoint.address}`],
    defaultCallOptions: factory,
    dialTimeout: callTimeoutMs,
    faultHandling: { host: () => passThrough, global: passThrough },
  };
  if (auth) config.auth = { username: auth.username, password: auth.password, callOptions: factory };
  if (tls) config.credentials = { ...tls };
  return new etcd3.Etcd3(config);
}

/**
 * Runs one etcd call with a gRPC deadline of `timeoutMs`, and races it against a
 * timer of the same length on `clock` and against `signal`: whichever ends first
 * settles the call. The gRPC deadline alone is not enough — etcd3 may first wait
 * for a connection, and a promise that never settles (a bug, a stuck channel)
 * must cost one deadline, never the agent. The late outcome is ignored.
 */
export function boundedCall<T>(
  signal: AbortSignal,
  timeoutMs: number,
  run: (options: { deadline: number }) => Promise<T>,
  clock: Clock = systemClock,
): Promise<T> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  const bound = deadline(clock, timeoutMs, () => new TimeoutError(`etcd call timed out after ${timeoutMs} ms`), signal);
  return raceAbort(attempt(() => run({ deadline: Date.now() + timeoutMs })), bound.signal).finally(() => bound.dispose());
}
