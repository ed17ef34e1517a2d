/**
 * Everything the kit opens (client sockets, Nest apps) is closed after each test: when the test framework
 * exposes a global `afterEach` (jest, Vitest with `globals: true`), the kit registers it when the test file imports
 * the kit (hooks cannot be added from inside a test); otherwise call {@link closeAll} in your own `afterEach`.
 */

type Closer = () => unknown;

const closers: Closer[] = [];

/** Registers something to close after the current test. */
export function closeAfterTest(close: Closer): void {
  closers.push(close);
}

/** Closes everything the kit opened, most recent first. Never throws. */
export async function closeAll(): Promise<void> {
  for (const close of closers.splice(0).reverse()) {
    try {
      await close();
    } catch {
      // Already closed.
    }
  }
}

const afterEachHook = (globalThis as { afterEach?: (fn: () => Promise<void>) => void }).afterEach;
if (typeof afterEachHook === 'function') afterEachHook(closeAll);
