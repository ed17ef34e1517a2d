import { Reflector } from '@nestjs/core';
import { REQUIRE_PERMISSIONS_KEY } from './sockauth.constants.js';

/**
 * The metadata behind {@link RequirePermissions}, for guards of your own.
 *
 * @example
 * ```ts
 * const required = reflector.getAllAndOverride(RequirePermissionsMetadata, [ctx.getHandler(), ctx.getClass()]);
 * ```
 */
export const RequirePermissionsMetadata = Reflector.createDecorator<readonly string[]>({
  key: REQUIRE_PERMISSIONS_KEY,
  transform: (permissions) => Object.freeze([...(permissions ?? [])]),
});

/**
 * The handler (or every handler of the gateway) needs all of these permissions, checked against the context in
 * force when the message is handled. Enforced by {@link SockAuthModule} itself (no guard needed), or by
 * {@link WsAuthGuard} for the handlers it runs for. A handler-level decorator overrides the gateway-level one;
 * `@RequireAnyPermission()` is checked in addition. A message that is refused gets the ack
 * `{ error: { code: 'AUTH_FORBIDDEN', action: 'none', message } }`, the handler does not run and the socket
 * stays connected.
 *
 * @example
 * ```ts
 * @WebSocketGateway()
 * export class ChatGateway {
 *   @RequirePermissions('chat:write')
 *   @SubscribeMessage('chat:send')
 *   send(@MessageBody() body: { text: string }) { ... }
 * }
 * ```
 */
export function RequirePermissions(...permissions: string[]): ClassDecorator & MethodDecorator {
  assertPermissions('RequirePermissions', permissions);
  return RequirePermissionsMetadata(permissions);
}

/** Decorator arguments are checked when the class is defined, not when the first message arrives. */
export function assertPermissions(decorator: string, permissions: readonly unknown[]): void {
  if (permissions.length === 0) throw new TypeError(`@${decorator}() needs at least one permission`);
  for (const permission of permissions) {
    if (typeof permission !== 'string' || permission.length === 0) {
      throw new TypeError(`@${decorator}(): permissions must be non-empty strings`);
    }
  }
}
