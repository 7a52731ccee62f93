// The machine contract (machines/README.md): what a machine may use so that both the
// actor host and the simulator's engine can drive it. Walks both definitions.
import { describe, expect, it } from 'vitest';
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { rebalancerMachine, stateSyncerMachine } from '../../machines/index.js';

const ALLOWED_ACTIONS = new Set(['xstate.assign', 'xstate.emit', 'xstate.sendTo']);

interface Tagged {
  type?: unknown;
  to?: unknown;
  delay?: unknown;
}

function typeOf(value: unknown): string {
  return typeof value === 'function' || (typeof value === 'object' && value !== null) ? String((value as Tagged).type) : typeof value;
}

/** Every way `machine` breaks the contract, as readable lines (empty when it keeps it). */
function contractViolations(machine: AnyStateMachine): string[] {
  const out: string[] = [];
  const impl = machine.implementations;

  for (const [name, action] of Object.entries(impl.actions)) {
    const type = typeOf(action);
    if (!ALLOWED_ACTIONS.has(type)) out.push(`action ${name} is ${type}: only assign, emit and sendTo('worker') are allowed`);
    if (type === 'xstate.sendTo') {
      const { to, delay } = action as Tagged;
      if (to !== 'worker') out.push(`action ${name} sends to ${String(to)}, not the worker`);
      if (delay !== undefined) out.push(`action ${name} sends with a delay: time only through after`);
    }
  }

  const actorNames = Object.keys(impl.actors);
  // A named guard, or xstate's combinators (and, or, not: `check` and `guards`; stateIn: `check` alone) over named guards.
  const namedGuard = (guard: unknown): boolean => {
    if (typeof guard === 'string') return guard in impl.guards;
    if (typeof guard !== 'function' || !('check' in guard)) return false;
    const inner = (guard as { guards?: unknown[] }).guards;
    return inner === undefined || inner.every(namedGuard);
  };
  const walk = (node: AnyStateNode): void => {
    const at = node.id;
    if (node.type !== 'atomic' && node.type !== 'compound' && node.type !== 'final') out.push(`state ${at} is ${node.type}`);
    if (node.invoke.length > 0) {
      const ok = node === machine.root && node.invoke.length === 1 && node.invoke[0]!.id === 'worker' && typeof node.invoke[0]!.src === 'string' && actorNames.includes(node.invoke[0]!.src);
      if (!ok) out.push(`state ${at} invokes ${node.invoke.map((i) => `${i.id}:${typeof i.src === 'string' ? i.src : 'inline'}`).join(', ')}: one root worker only`);
    }
    // The delayed raise on entry and its cancel on exit are `after`'s own, one each per delayed transition.
    const own = (list: readonly unknown[], kind: string, where: string): void => {
      const generated = list.filter((a) => typeof a !== 'string' && typeOf(a) === kind).length;
      const delays = new Set(node.after.map((t) => t.delay)).size;
      if (generated !== delays) out.push(`state ${at} ${where} has ${generated} ${kind} for ${delays} delays`);
      for (const a of list) {
        if (typeof a === 'string') {
          if (!(a in impl.actions)) out.push(`state ${at} ${where} names unknown action ${a}`);
        } else if (typeOf(a) !== kind) out.push(`state ${at} ${where} has an inline ${typeOf(a)} action`);
      }
    };
    own(node.entry, 'xstate.raise', 'entry');
    own(node.exit, 'xstate.cancel', 'exit');
    for (const t of node.after) {
      if (typeof t.delay !== 'string' || !(t.delay in impl.delays)) out.push(`state ${at} has an unnamed delay ${String(t.delay)}`);
    }
    const transitions = [...[...node.transitions.values()].flat(), ...(node.always ?? [])];
    for (const t of transitions) {
      for (const a of t.actions) if (typeof a !== 'string' || !(a in impl.actions)) out.push(`state ${at} on ${t.eventType} has an inline ${typeOf(a)} action`);
      if (t.guard !== undefined && !namedGuard(t.guard)) out.push(`state ${at} on ${t.eventType || '(always)'} has an inline or unknown guard`);
    }
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(machine.root);

  // The context: the environment plus numbers and booleans.
  const factory = machine.config.context as ((args: { input: unknown; spawn: unknown; self: unknown }) => Record<string, unknown>) | undefined;
  const env = { environment: true };
  const context = typeof factory === 'function' ? factory({ input: { env }, spawn: undefined, self: undefined }) : (factory ?? {});
  for (const [key, value] of Object.entries(context)) {
    if (key === 'env') {
      if (value !== env) out.push('context.env is not the input environment');
    } else if (typeof value !== 'number' && typeof value !== 'boolean') out.push(`context.${key} is ${typeof value}, not a number or boolean`);
  }
  if (!('env' in context)) out.push('context has no env');
  return out;
}

describe('machine contract', () => {
  it.each([
    ['stateSyncer', stateSyncerMachine],
    ['rebalancer', rebalancerMachine],
  ] as const)('is kept by the %s machine', (_name, machine) => {
    expect(contractViolations(machine)).toEqual([]);
  });

  it('finds a parallel state, inline actions and guards, a delayed or foreign sendTo, a raise, a second actor, an unnamed delay and a string in the context', async () => {
    const { assign, fromCallback, raise, sendTo, setup } = await import('xstate');
    const noop = fromCallback(() => undefined);
    const broken = setup({
      actors: { worker: noop, other: noop },
      actions: {
        late: sendTo('worker', { type: 'RUN' }, { delay: 5 }),
        elsewhere: sendTo('other', { type: 'RUN' }),
        poke: raise({ type: 'X' }),
        set: assign({ n: 1 }),
      },
      delays: { wait: 10 },
    }).createMachine({
      context: ({ input }: { input: { env: unknown } }) => ({ env: input.env, n: 0, label: 'x' }),
      invoke: [
        { id: 'worker', src: 'worker' },
        { id: 'other', src: 'other' },
      ],
      initial: 'a',
      states: {
        a: { type: 'parallel', states: { p: {}, q: {} }, entry: [() => undefined], after: { 1000: 'b' } },
        b: { on: { GO: { target: 'a', guard: () => true, actions: ['set', () => undefined] } } },
      },
    });
    const found = contractViolations(broken).join('\n');
    expect(found).toMatch(/action late sends with a delay/);
    expect(found).toMatch(/action elsewhere sends to other/);
    expect(found).toMatch(/action poke is xstate.raise/);
    expect(found).toMatch(/state .*\.a is parallel/);
    expect(found).toMatch(/invokes worker:worker, other:other/);
    expect(found).toMatch(/entry has an inline function action|entry has an inline undefined action/);
    expect(found).toMatch(/unnamed delay 1000/);
    expect(found).toMatch(/on GO has an inline/);
    expect(found).toMatch(/on GO has an inline or unknown guard/);
    expect(found).toMatch(/context.label is string/);
  });
});
