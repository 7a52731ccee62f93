// The rebalance loop's rules as step functions, without a clock or an actor: each rule
// on a plain state with the time, counts and random draws given.
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/servers/options.js';
import {
  firstDelay,
  initialLoopState,
  loopStopped,
  nextDelay,
  requestRebalance,
  runStarted,
  serversChanged,
} from '../../src/servers/loopRules.js';
import { scriptedPinger } from '../../src/testing.js';

const settings = resolveOptions({ pinger: scriptedPinger(() => true) }); // 120 s reuse, fraction 2, cap 64/s
const draws = (...values: number[]) => {
  const queue = [...values];
  return () => {
    const v = queue.shift();
    if (v === undefined) throw new Error('unexpected draw');
    return v;
  };
};
const at = (t: number) => () => t;
const n = (v: number) => () => v;

describe('loop rules', () => {
  it('draws the first wait as 120 s + U(0, 60 s) and arms it at the current count', () => {
    const state = initialLoopState();
    expect(firstDelay(settings, state, 1000, 5, draws(0.5))).toBe(150_000);
    expect(state).toMatchObject({ phase: 'initial', dueAt: 151_000, armedDelay: 150_000, armedServers: 5 });
    expect(firstDelay({ ...settings, jitterFirstRebalance: false }, initialLoopState(), 0, 5, draws())).toBe(120_000);
  });

  it('stretches the next wait by the cap and jitters it: 100K nodes on 5 servers wait 312.5 s + U(0, 156.25 s)', () => {
    const state = initialLoopState();
    expect(nextDelay(settings, state, 0, { servers: 5, nodes: 100_000 }, draws(0, 0.5))).toBe(312_500 + 78_125);
    expect(state.phase).toBe('waiting');
    expect(state.armedDelay).toBe(312_500);
    // Below the cap: the reuse jitter alone, one draw.
    expect(nextDelay(settings, initialLoopState(), 0, { servers: 5, nodes: 1000 }, draws(0.5))).toBe(150_000);
  });

  it('serves a request at once when the spacing allows, at 60 s after the last start when not, and after a running rebalance', () => {
    const state = initialLoopState();
    firstDelay(settings, state, 0, 5, draws(0.5));
    expect(requestRebalance(settings, state, at(10))).toEqual({ type: 'rebalanceNow' });
    runStarted(state, 10);
    expect(requestRebalance(settings, state, at(20))).toEqual({ type: 'none' });
    expect(state.requestPending).toBe(true);
    // The next wait is cut to the spacing: the last start (10) + 60 s − now (1000).
    expect(nextDelay(settings, state, 1000, { servers: 5, nodes: 10 }, draws(0.5))).toBe(59_010);
    expect(state.requestPending).toBe(false);
    // Already due at the soonest moment: a request changes nothing.
    expect(requestRebalance(settings, state, at(2000))).toEqual({ type: 'none' });
    // Waiting for 150 s from 1000: a request moves it to the spacing after the last start, rounded up.
    nextDelay(settings, state, 1000, { servers: 5, nodes: 10 }, draws(0.5));
    expect(state.dueAt).toBe(151_000);
    expect(requestRebalance(settings, state, at(2000.5))).toEqual({ type: 'rearm', delayMs: 58_010 });
    expect(state.dueAt).toBe(60_010);
    runStarted(state, 60_010);
    nextDelay(settings, state, 60_100, { servers: 5, nodes: 10 }, draws(0.5));
    expect(requestRebalance(settings, state, at(120_009.5))).toEqual({ type: 'rearm', delayMs: 1 });
    expect(requestRebalance(settings, state, at(120_010))).toEqual({ type: 'rebalanceNow' });
    loopStopped(state);
    expect(requestRebalance(settings, state, at(70_000))).toEqual({ type: 'none' });
  });

  it('re-draws a capped wait when the reachable count changes, and moves nothing when the cap binds at neither count', () => {
    // 100K nodes, armed at 5 servers (312.5 s). One server left: d1 = 100 000 / 256 s = 390.625 s, drawn U(0, d1).
    const state = initialLoopState();
    nextDelay(settings, state, 0, { servers: 5, nodes: 100_000 }, draws(0, 0));
    expect(serversChanged(settings, state, n(4), n(100_000), at(1000), draws(0.5))).toEqual({ type: 'rearm', delayMs: 195_312 });
    expect(state.armedDelay).toBe(390_625);
    // Same count again: nothing, no draw.
    expect(serversChanged(settings, state, n(4), n(100_000), at(2000), draws())).toEqual({ type: 'none' });
    // A small fleet: the cap binds at neither count.
    const small = initialLoopState();
    nextDelay(settings, small, 0, { servers: 5, nodes: 1000 }, draws(0.5));
    expect(serversChanged(settings, small, n(1), n(1000), at(1000), draws())).toEqual({ type: 'none' });
    // Off, or rebalancing: nothing.
    expect(serversChanged({ ...settings, rearmOnChange: false }, state, n(1), n(100_000), at(1000), draws())).toEqual({ type: 'none' });
    runStarted(state, 3000);
    expect(serversChanged(settings, state, n(1), n(100_000), at(3000), draws())).toEqual({ type: 'none' });
  });
});
