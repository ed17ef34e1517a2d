import { Reflector } from '@nestjs/core';
import { compileRequirement } from '@sockauth/core';
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
  return checkedDecorator('RequirePermissions', permissions, RequirePermissionsMetadata(permissions));
}

/**
 * The decorator for `permissions`, or, when they are malformed (none, an empty or non-string one, a duplicate), a
 * decorator that throws a `TypeError` naming the class or handler it is applied to: when the class is defined,
 * long before a message could be let through with "no permission needed".
 */
export function checkedDecorator(
  decorator: string,
  permissions: readonly unknown[],
  valid: ClassDecorator & MethodDecorator,
): ClassDecorator & MethodDecorator {
  const problem = decoratorProblem(decorator, permissions);
  if (problem === undefined) return valid;
  return ((target: object, key?: string | symbol) => {
    const owner = typeof target === 'function' ? target.name : target.constructor.name;
    const where = key === undefined ? owner : `${owner}.${String(key)}`;
    throw new TypeError(`${problem} (on ${where || 'an anonymous class'})`);
  }) as ClassDecorator & MethodDecorator;
}

function decoratorProblem(decorator: string, permissions: readonly unknown[]): string | undefined {
  if (permissions.length === 0) {
    return `sockauth: @${decorator}() needs at least one permission (no decorator means "authenticated only")`;
  }
  try {
    compileRequirement(permissions as string[], `@${decorator}()`);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
