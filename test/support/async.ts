/** A promise with its resolve function exposed. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Waits `ms`. Only for asserting that something does NOT happen within a window (there is no event to await
 * for an absence); never to wait for something that has an event.
 */
export function quietPeriod(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves after pending I/O callbacks and microtasks have run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Resolves with the first `count` values pushed through the returned `push`. */
export function collector<T>(count: number): { push(value: T): void; values: T[]; done: Promise<T[]> } {
  const values: T[] = [];
  const done = deferred<T[]>();
  return {
    values,
    done: done.promise,
    push(value: T) {
      values.push(value);
      if (values.length === count) done.resolve(values);
    },
  };
}

/**
 * Resolves once `predicate` holds, turning the event loop meanwhile (setImmediate only, no timer), for state reached
 * through I/O that no event announces (e.g. frames a raw client received); rejects after `withinMs`.
 */
export async function until(predicate: () => boolean, withinMs = 5_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await settle();
  }
}

/** `promise`, or a rejection naming `what` once `ms` have passed first (the timer is cleared either way). */
export function within<T>(promise: Promise<T>, what: string, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
