// Promises that resolve together when something happens (a pause ends, a call settles).
// Functions over a plain array that the owner creates on first use: most syncers never
// have anyone waiting, and a fleet simulation holds 100,000 of them.

/** A list of resolvers; `undefined` until someone waits. */
export type Waiters = (() => void)[] | undefined;

/** A promise resolved by the next `flushWaiters(list)`; `list` is the owner's, created if needed. */
export function addWaiter(list: (() => void)[]): Promise<void> {
  return new Promise((resolve) => list.push(resolve));
}

/** Resolves and forgets everyone waiting (no-op when nobody is). */
export function flushWaiters(list: Waiters): void {
  if (!list || list.length === 0) return;
  for (const resolve of list.splice(0)) resolve();
}

/** Does nothing: a settled promise's `.then(noop, noop)`, a listener that ignores its event. */
export function noop(): void {}
