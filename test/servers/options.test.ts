import { describe, expect, it } from 'vitest';
import {
  CONNS_PER_SEC_PER_SERVER,
  DEAD_SERVER_TIMEOUT_MS,
  DISCOVER_INTERVAL_MS,
  DISCOVER_TIMEOUT_MS,
  FAILURE_THRESHOLD,
  JITTER_FRACTION,
  MAX_TIMER_MS,
  MIN_REUSE_DURATION_MS,
  PING_TIMEOUT_MS,
  ServerManager,
  type ServerManagerOptions,
} from '../../src/servers/serverManager.js';
import { managerHarness, scriptedPinger } from '../helpers/index.js';

const okPinger = () => scriptedPinger(() => true);

describe('ServerManager options', () => {
  it('uses the documented defaults when options are omitted', () => {
    expect([MIN_REUSE_DURATION_MS, JITTER_FRACTION, CONNS_PER_SEC_PER_SERVER, PING_TIMEOUT_MS]).toEqual([120_000, 2, 64, 10_000]);
    expect([FAILURE_THRESHOLD, DEAD_SERVER_TIMEOUT_MS, DISCOVER_INTERVAL_MS, DISCOVER_TIMEOUT_MS]).toEqual([3, 259_200_000, 30_000, 10_000]);
    const { manager } = managerHarness({ random: () => 0 });
    expect(manager.rebalanceDelay()).toBe(120_000);
  });

  it.each([
    ['minReuseDuration', 0, RangeError, /minReuseDuration.*0/],
    ['minReuseDuration', -5, RangeError, /minReuseDuration.*-5/],
    ['minReuseDuration', Number.NaN, RangeError, /minReuseDuration.*NaN/],
    ['minReuseDuration', Infinity, RangeError, /minReuseDuration.*Infinity/],
    ['minReuseDuration', 3e9, RangeError, /minReuseDuration.*3000000000/],
    ['minReuseDuration', '120s', TypeError, /minReuseDuration.*"120s"/],
    ['jitterFraction', 0, RangeError, /jitterFraction.*0/],
    ['connsPerSecPerServer', -1, RangeError, /connsPerSecPerServer.*-1/],
    ['pingTimeout', Number.NaN, RangeError, /pingTimeout.*NaN/],
    ['pingTimeout', MAX_TIMER_MS + 1, RangeError, /pingTimeout.*2147483648/],
    ['apiVersion', Number.NaN, RangeError, /apiVersion.*NaN/],
    ['clusterSize', 5, TypeError, /clusterSize.*5/],
    ['random', 0.5, TypeError, /random.*0.5/],
    ['clock', {}, TypeError, /clock/],
    ['pinger', {}, TypeError, /pinger/],
    ['pinger', undefined, TypeError, /pinger.*undefined/],
    ['health', 'yes', TypeError, /health.*"yes"/],
    ['rearmOnChange', 1, TypeError, /rearmOnChange.*1/],
    ['jitterFirstRebalance', null, TypeError, /jitterFirstRebalance.*null/],
    ['cleanupDeadServers', 'no', TypeError, /cleanupDeadServers.*"no"/],
    ['failureThreshold', 0, RangeError, /failureThreshold.*0/],
    ['failureThreshold', 1.5, RangeError, /failureThreshold.*1.5/],
    ['failureThreshold', '3', RangeError, /failureThreshold.*"3"/],
    ['deadServerTimeout', 0, RangeError, /deadServerTimeout.*0/],
    ['deadServerTimeout', MAX_TIMER_MS + 1, RangeError, /deadServerTimeout.*2147483648/],
    ['discover', 'dns', TypeError, /discover.*"dns"/],
    ['discoverInterval', -1, RangeError, /discoverInterval.*-1/],
    ['discoverInterval', MAX_TIMER_MS + 1, RangeError, /discoverInterval.*2147483648/],
    ['discoverTimeout', Number.NaN, RangeError, /discoverTimeout.*NaN/],
    ['discoverTimeout', MAX_TIMER_MS + 1, RangeError, /discoverTimeout.*2147483648/],
  ] as const)('throws when %s is %s', (name, value, type, message) => {
    const build = () => new ServerManager({ pinger: okPinger(), [name]: value });
    expect(build).toThrow(type);
    expect(build).toThrow(message);
  });

  it.each(['minReuseDuration', 'pingTimeout', 'deadServerTimeout', 'discoverInterval', 'discoverTimeout'] as const)(
    'accepts %s at the longest timer, 2^31 − 1 ms',
    (name) => {
      expect(() => new ServerManager({ pinger: okPinger(), [name]: MAX_TIMER_MS })).not.toThrow();
    },
  );

  it('throws a TypeError when given no options object', () => {
    expect(() => new ServerManager(undefined as unknown as ServerManagerOptions)).toThrow(TypeError);
  });
});
