import { Reflector } from '@nestjs/core';
import { PUBLIC_KEY } from './sockauth.constants.js';

/**
 * The metadata behind {@link Public}, for guards of your own.
 *
 * @example
 * ```ts
 * const isPublic = reflector.getAllAndOverride(PublicMetadata, [ctx.getHandler(), ctx.getClass()]) === true;
 * ```
 */
export const PublicMetadata = Reflector.createDecorator<boolean>({
  key: PUBLIC_KEY,
  transform: (value) => value !== false,
});

/**
 * Opts out of authentication.
 *
 * - On a handler: its messages pass without any permission check or `authorize` hook (the socket still had to
 *   authenticate to connect, unless its namespace is public).
 * - On a gateway class: every handler is public **and the gateway's namespace (Socket.IO) or path server (`ws`,
 *   where a protected gateway may not share it) skips handshake authentication**: its sockets connect without a
 *   token and have no context. Decided per concrete namespace
 *   name: a name a protected gateway's namespace also matches stays authenticated, whatever the provider order.
 *   Provable overlaps with a protected gateway (same name, a name the other's pattern matches, the same pattern)
 *   are refused at start-up with a `TypeError`.
 *
 * A handler-level `@RequirePermissions()`/`@RequireAnyPermission()` still applies inside a public gateway (and,
 * with no context there, refuses with `AUTH_MISSING`).
 *
 * @example
 * ```ts
 * @Public()
 * @WebSocketGateway({ namespace: '/status' })
 * export class StatusGateway {
 *   @SubscribeMessage('ping') ping() { return 'pong'; }
 * }
 * ```
 */
export function Public(): ClassDecorator & MethodDecorator {
  return PublicMetadata(true);
}
