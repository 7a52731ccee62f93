// The event engine against the actor engine it replaces by default: every scenario of
// the simulator, at a small fleet and two seeds, must give byte-identical results —
// every series cell, counter, gap, lifetime, lag and claim. This is the guard on every
// change to a rule, a machine or xstate itself (docs/performance.md, "The event engine").
import { describe, expect, it } from 'vitest';
import { SCENARIOS, type ScenarioParams } from '../../../src/sim/scenarios/index.js';
import { MIN } from '../../../src/sim/scenarios/common.js';
import { simulate } from '../../../src/sim/simulator.js';
import { equilibrium } from '../../../src/sim/scenarios/common.js';

/** Small enough for the check, large enough that every scenario's timeline and faults happen. */
function paramsFor(name: string, seed: number): ScenarioParams {
  if (name === 'starvation') return { seed, agents: 60, durationMs: 8 * MIN };
  return { seed, agents: 300 };
}

/** The path and both values of the first place `a` and `b` differ, or undefined. */
function firstDifference(a: unknown, b: unknown, path = '$'): string | undefined {
  if (Object.is(a, b)) return undefined;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return `${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    if (d !== undefined) return d;
  }
  return undefined;
}

describe('the event engine', () => {
  for (const scenario of SCENARIOS)
    for (const seed of [5, 42])
      it(`gives byte-identical results to the actor engine: ${scenario.name}, seed ${seed}`, async () => {
        const params = paramsFor(scenario.name, seed);
        const actors = JSON.stringify(await scenario.run(params, { sim: { engine: 'actors' } }));
        const events = JSON.stringify(await scenario.run(params, { sim: { engine: 'events' } }));
        // Names the first difference (a whole run's JSON is megabytes), then checks every byte.
        expect(firstDifference(JSON.parse(events), JSON.parse(actors))).toBeUndefined();
        expect(events === actors).toBe(true);
      }, 120_000);

  it('differs from the actor engine when the runs differ (the comparison can fail)', async () => {
    const { config } = equilibrium({ seed: 5, agents: 100, servers: 3, durationMs: 20 * MIN });
    const actors = await simulate(config, { engine: 'actors' });
    const events = await simulate({ ...config, tuning: { ...config.tuning, pingTimeout: 1 } }, { engine: 'events' });
    expect(JSON.stringify(events.series)).not.toBe(JSON.stringify(actors.series));
  });

  it('refuses a tuning it does not model (syncTimeout), naming it, and the actor engine runs it', async () => {
    const { config } = equilibrium({ seed: 5, agents: 10, servers: 3, durationMs: MIN });
    const timed = { ...config, tuning: { ...config.tuning, syncTimeout: 20_000 } };
    await expect(simulate(timed, { engine: 'events' })).rejects.toThrow(/the event engine does not model syncTimeout \(received 20000\)/);
    await expect(simulate(timed, { engine: 'actors' })).resolves.toMatchObject({ config: timed });
  });

  it('refuses an engine it does not know, naming it', async () => {
    const { config } = equilibrium({ seed: 5, agents: 10, servers: 3, durationMs: MIN });
    await expect(simulate(config, { engine: 'fast' as never })).rejects.toThrow(/engine must be 'events' or 'actors', received fast/);
  });
});
