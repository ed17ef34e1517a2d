import { Reflector } from '@nestjs/core';
import { checkedDecorator } from './require-permissions.decorator.js';
import { REQUIRE_ANY_PERMISSION_KEY } from './sockauth.constants.js';

/**
 * The metadata behind {@link RequireAnyPermission}, for guards of your own.
 *
 * @example
 * ```ts
 * const anyOf = reflector.getAllAndOverride(RequireAnyPermissionMetadata, [ctx.getHandler(), ctx.getClass()]);
 * ```
 */
export const RequireAnyPermissionMetadata = Reflector.createDecorator<readonly string[]>({
  key: REQUIRE_ANY_PERMISSION_KEY,
  transform: (permissions) => Object.freeze([...(permissions ?? [])]),
});

/**
 * The handler (or every handler of the gateway) needs at least one of these permissions. A handler-level
 * decorator overrides the gateway-level one; `@RequirePermissions()` is checked in addition.
 *
 * @example
 * ```ts
 * @RequireAnyPermission('chat:admin', 'chat:moderator')
 * @SubscribeMessage('room:kick')
 * kick(@MessageBody() body: { user: string }) { ... }
 * ```
 */
export function RequireAnyPermission(...permissions: string[]): ClassDecorator & MethodDecorator {
  return checkedDecorator('RequireAnyPermission', permissions, RequireAnyPermissionMetadata(permissions));
}
