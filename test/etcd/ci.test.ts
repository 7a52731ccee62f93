// The CI switch of the real-process suites: any non-empty CI but "false"/"0" makes a
// missing etcd (or openssl, or chromium) a failure rather than a silent skip.
import { describe, expect, it } from 'vitest';
import { isCi } from '../helpers/ci.js';
import { etcdAvailable } from '../helpers/etcdCluster.js';

describe('isCi', () => {
  it.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['TRUE', true],
    ['false', false],
    ['FALSE', false],
    ['0', false],
    ['', false],
    [' ', false],
  ])('CI=%j → %s', (value, expected) => {
    expect(isCi(value)).toBe(expected);
  });

  it('makes a missing etcd a failure under CI=1, and a skip without CI or with CI=false', () => {
    const saved = process.env.CI;
    const warn = console.warn;
    console.warn = () => undefined;
    try {
      process.env.CI = '1';
      expect(() => etcdAvailable('/nonexistent/etcd')).toThrow(/CI is set: a missing etcd is a failure/);
      process.env.CI = 'false';
      expect(etcdAvailable('/nonexistent/etcd')).toBe(false);
      delete process.env.CI;
      expect(isCi()).toBe(false);
      expect(etcdAvailable('/nonexistent/etcd')).toBe(false);
    } finally {
      console.warn = warn;
      if (saved === undefined) delete process.env.CI;
      else process.env.CI = saved;
    }
  });
});
