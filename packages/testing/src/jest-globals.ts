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
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { closeAll } from './auto-close.js';
import type { ConformanceOptions } from './conformance/options.js';
import { defineConformanceSuite, type ConformanceSuite } from './conformance/suite.js';
import { installMatchers, type SockauthMatchers } from './matchers.js';

installMatchers(expect);
// Sockets and apps the kit opened are closed after each test, also without global hooks (closing twice is a no-op).
afterEach(closeAll);

/**
 * Generates the sockauth lifecycle conformance tests for your server with jest's own `describe`/`it`: one test per
 * flow (expiry, logout, role loss, refresh outage, clock skew, idempotent re-send, pre-handshake events, revoked
 * reconnect, tokens in logs), each failing with a `ConformanceFailure` that says what to change.
 *
 * @example
 * ```ts
 * describeConformance({
 *   start: async ({ issuer }) => startMyServer({ secret: issuer!.secret }), // resolves { url, stop, logs? }
 *   permissions: ['chat:read', 'chat:write'],
 *   privileged: { permission: 'chat:write', request: (id, room) => ({ event: 'chat:send', payload: { room, text: 'hi', id } }) },
 *   harmless: { event: 'whoami' },
 *   observe: { subscribe: (room) => ({ event: 'chat:join', payload: { room } }), event: 'chat:message', keyOf: (m) => (m as { id: string }).id },
 *   rooms: { permission: 'chat:read' },
 *   revoke: ({ sessionId }) => myAdmin.revokeSession(sessionId),
 *   restrict: { skip: 'no live restriction yet' },
 *   timings: { warnBeforeSec: 2 },
 * });
 * ```
 */
export function describeConformance(options: ConformanceOptions): ConformanceSuite {
  return defineConformanceSuite({ describe, it, beforeAll, afterAll }, options);
}

declare module 'expect' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Matchers<R extends void | Promise<void>, T = unknown> extends SockauthMatchers<R> {}
}
