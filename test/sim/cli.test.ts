import { describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { main, parseArgs, parseDuration } from '../../src/sim/main.js';
import { MAX_COLUMNS, SCENARIO_SUMMARIES } from '../../src/sim/help.js';
import { SCENARIOS } from '../../src/sim/scenarios/index.js';

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
    expect(parseArgs(['--scenario', 'steady', '--agents=100', '--servers', '3', '--duration', '10m', '--seed', '9', '--out', 'x', '--no-progress', '--workers=3', '--worker-heap', '512', '--engine=actors'])).toEqual({
      scenario: 'steady',
      agents: 100,
      servers: 3,
      durationMs: 600_000,
      seed: 9,
      out: 'x',
      progress: false,
      workers: 3,
      workerHeapMb: 512,
      engine: 'actors',
      help: false,
    });
    expect(parseArgs(['--scenario', 'all']).seed).toBe(42);
    expect(parseArgs(['--scenario', 'all']).engine).toBe('events');
    expect(parseArgs(['--scenario', 'all']).workers).toBe(availableParallelism());
  });

  it('refuses unknown scenarios, flags and bad numbers with a RangeError', () => {
    expect(() => parseArgs([])).toThrow(/--scenario is required/);
    expect(() => parseArgs(['--scenario', 'nope'])).toThrow(/unknown scenario "nope"/);
    expect(() => parseArgs(['--scenario', 'steady', '--agents', '-3'])).toThrow(/--agents/);
    expect(() => parseArgs(['--scenario', 'steady', '--seed', '1.5'])).toThrow(/--seed/);
    expect(() => parseArgs(['--scenario', 'steady', '--frobnicate'])).toThrow(RangeError);
    expect(() => parseArgs(['--scenario', 'steady', '--frobnicate'])).toThrow(/--frobnicate/);
    expect(() => parseArgs(['--scenario'])).toThrow(RangeError);
    expect(() => parseArgs(['--scenario', 'steady', '--workers', '0'])).toThrow(/--workers must be a positive integer, received "0"/);
    expect(() => parseArgs(['--scenario', 'steady', '--engine', 'fast'])).toThrow(/--engine must be events or actors, received "fast"/);
    expect(() => parseArgs(['--scenario', 'steady', '--worker-heap', '1.5'])).toThrow(/--worker-heap/);
  });

  it('prints every scenario with its defaults and what it measures in at most 100 columns, and exits 0, when given --help', async () => {
    let stdout = '';
    const code = await main(['--help'], { stdout: (t) => (stdout += t), stderr: () => undefined });
    expect(code).toBe(0);
    expect(stdout).toMatch(/--workers N/);
    expect(stdout).toMatch(/--worker-heap MB/);
    // The help lists the scenarios without loading them: its list must be theirs.
    expect(SCENARIO_SUMMARIES.map((s) => [s.name, s.agents, s.servers, s.durationMs])).toEqual(
      SCENARIOS.map((s) => [s.name, s.defaults.agents, s.defaults.servers, s.defaults.durationMs]),
    );
    for (const s of SCENARIOS) expect(stdout).toMatch(new RegExp(`^  ${s.name} +${s.defaults.agents} × ${s.defaults.servers}, `, 'm'));
    for (const line of stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(MAX_COLUMNS);
    expect(stdout).toContain('N/(64·S) s > 180 s, i.e. above 11,520 agents per server (57,600 agents on 5 servers)');
  });

  it('exits with code 2 and prints the usage on stderr when the arguments are bad', async () => {
    let stderr = '';
    let stdout = '';
    const code = await main(['--scenario', 'nope'], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    expect(code).toBe(2);
    expect(stderr).toMatch(/usage: ae-sync-sim/);
    expect(stdout).toBe('');
  });
});
