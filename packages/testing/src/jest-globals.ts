/**
 * The sockauth matchers for `import { expect } from '@jest/globals'`: registered on that `expect` (also with
 * `injectGlobals: false`) and declared on its type, which `@sockauth/testing` alone declares only for jest's
 * global `expect`.
 *
 * @example
 * ```ts
 * import { expect, test } from '@jest/globals';
 * import '@sockauth/testing/jest-globals';
 *
 * test('a reader may not write', async () => {
 *   await expect(reader.emitWithAck('chat:send', 'hi')).toBeForbidden();
 * });
 * ```
 */
import { afterEach, expect } from '@jest/globals';
import { closeAll } from './auto-close.js';
import { installMatchers, type SockauthMatchers } from './matchers.js';

installMatchers(expect);
// Sockets and apps the kit opened are closed after each test, also without global hooks (closing twice is a no-op).
afterEach(closeAll);

declare module 'expect' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Matchers<R extends void | Promise<void>, T = unknown> extends SockauthMatchers<R> {}
}
