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
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeAll } from './auto-close.js';
import type { ConformanceOptions } from './conformance/options.js';
import { defineConformanceSuite, type ConformanceSuite } from './conformance/suite.js';
import { installMatchers, type SockauthMatchers } from './matchers.js';

installMatchers(expect);
// Sockets and apps the kit opened are closed after each test, also without global hooks (closing twice is a no-op).
afterEach(closeAll);

/**
 * Generates the sockauth lifecycle conformance tests for your server with Vitest's own `describe`/`it`: one test per
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

declare module 'vitest' {
  // Asynchronous matchers only: none of them can be an asymmetric matcher (`expect.toBeForbidden()`).
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
  interface Assertion<T = any> extends SockauthMatchers<void> {}
}
