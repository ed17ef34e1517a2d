/**
 * The sockauth matchers for Vitest: registered on Vitest's `expect` (with or without `globals: true`) and
 * declared on its `Assertion` type. Import it once, in a `setupFiles` module or at the top of a test file.
 *
 * @example
 * ```ts
 * import { expect, test } from 'vitest';
 * import '@sockauth/testing/vitest';
 *
 * test('a reader may not write', async () => {
 *   await expect(reader.emitWithAck('chat:send', 'hi')).toBeForbidden();
 * });
 * ```
 */
import { afterEach, expect } from 'vitest';
import { closeAll } from './auto-close.js';
import { installMatchers, type SockauthMatchers } from './matchers.js';

installMatchers(expect);
// Sockets and apps the kit opened are closed after each test, also without global hooks (closing twice is a no-op).
afterEach(closeAll);

declare module 'vitest' {
  // Asynchronous matchers only: none of them can be an asymmetric matcher (`expect.toBeForbidden()`).
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
  interface Assertion<T = any> extends SockauthMatchers<void> {}
}
