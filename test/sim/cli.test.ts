import { describe, expect, it } from 'vitest';
import { main, parseArgs, parseDuration } from '../../src/sim/main.js';

describe('simulate command', () => {
  it('parses durations in ms, s, m and h when given with units', () => {
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1500ms')).toBe(1500);
    expect(parseDuration('2')).toBe(2000);
  });

  it('refuses malformed or zero durations with a RangeError naming the value', () => {
    expect(() => parseDuration('soon')).toThrow(RangeError);
    expect(() => parseDuration('soon')).toThrow(/"soon"/);
    expect(() => parseDuration('0s')).toThrow(RangeError);
  });

  it('reads every flag when given in both --flag value and --flag=value forms', () => {
    expect(parseArgs(['--scenario', 'steady', '--agents=100', '--servers', '3', '--duration', '10m', '--seed', '9', '--out', 'x', '--no-progress'])).toEqual({
      scenario: 'steady',
      agents: 100,
      servers: 3,
      durationMs: 600_000,
      seed: 9,
      out: 'x',
      progress: false,
    });
    expect(parseArgs(['--scenario', 'all']).seed).toBe(42);
  });

  it('refuses unknown scenarios, flags and bad numbers with a RangeError', () => {
    expect(() => parseArgs([])).toThrow(/--scenario is required/);
    expect(() => parseArgs(['--scenario', 'nope'])).toThrow(/unknown scenario "nope"/);
    expect(() => parseArgs(['--scenario', 'steady', '--agents', '-3'])).toThrow(/--agents/);
    expect(() => parseArgs(['--scenario', 'steady', '--seed', '1.5'])).toThrow(/--seed/);
    expect(() => parseArgs(['--scenario', 'steady', '--frobnicate'])).toThrow(/unknown argument/);
    expect(() => parseArgs(['--scenario'])).toThrow(/needs a value/);
  });

  it('exits with code 2 and prints the usage on stderr when the arguments are bad', async () => {
    let stderr = '';
    let stdout = '';
    const code = await main(['--scenario', 'nope'], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    expect(code).toBe(2);
    expect(stderr).toMatch(/usage: npm run simulate/);
    expect(stdout).toBe('');
  });
});
