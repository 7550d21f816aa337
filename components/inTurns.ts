/**
 * Creating many resources in one synchronous run keeps every registration's promises alive at
 * once: a 1,000-host fleet then ran out of heap under the mock runtime. Creating them a few at a
 * time, with a turn of the event loop in between, lets the runtime settle each batch first and
 * keeps memory flat.
 */

/** Hosts created between two turns of the event loop. */
export const HOSTS_PER_TURN = 10;

/**
 * Calls `make` for every item, `perTurn` items per turn of the event loop; the first batch runs
 * before this returns. `created` fills as it goes; `done` resolves when every item is made (and
 * rejects with the first error).
 */
export function makeInTurns<T, R>(
  items: readonly T[],
  make: (item: T) => R,
  perTurn: number = HOSTS_PER_TURN,
): { readonly created: readonly R[]; readonly done: Promise<void> } {
  const created: R[] = [];
  const done = (async () => {
    for (let i = 0; i < items.length; i++) {
      created.push(make(items[i]));
      if ((i + 1) % perTurn === 0 && i + 1 < items.length) await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  return { created, done };
}
