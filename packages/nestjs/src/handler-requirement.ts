import type { Reflector } from '@nestjs/core';
import { compileRequirement, type CompiledRequirement } from '@sockauth/core';
import { messageHandlers, type GatewayInfo } from './gateway.explorer.js';
import { PublicMetadata } from './public.decorator.js';
import { RequireAnyPermissionMetadata } from './require-any-permission.decorator.js';
import { RequirePermissionsMetadata } from './require-permissions.decorator.js';

/** What a gateway handler needs: nothing at all (`'public'`), or a compiled requirement (possibly empty). */
export type HandlerRequirement = 'public' | CompiledRequirement;

/**
 * The requirement of `handler` as a message handler of `gateway` (the provider class, which may inherit the
 * handler and class-level decorators from a base class), from its decorators. Handler-level metadata overrides
 * gateway-level metadata, decorator by decorator; `@Public()` on the handler wins, and `@Public()` on the gateway
 * applies unless the handler has a requirement of its own. {@link WsAuthGuard} and the module's decorator
 * enforcement both decide with this one function, so they cannot disagree.
 */
export function handlerRequirement(reflector: Reflector, handler: Function, gateway: Function): HandlerRequirement {
  if (reflector.get(PublicMetadata, handler) === true) return 'public';
  const ownRequirement =
    reflector.get(RequirePermissionsMetadata, handler) !== undefined ||
    reflector.get(RequireAnyPermissionMetadata, handler) !== undefined;
  // A requirement on the handler itself beats @Public() on its gateway.
  if (!ownRequirement && reflector.get(PublicMetadata, gateway) === true) return 'public';
  const targets = [handler, gateway];
  const all = reflector.getAllAndOverride(RequirePermissionsMetadata, targets);
  const any = reflector.getAllAndOverride(RequireAnyPermissionMetadata, targets);
  // No decorator: authenticated only. Decorator metadata that lists nothing (e.g. `RequirePermissionsMetadata([])`)
  // is a malformed rule, refused by compileRequirement like any other, never "no permission needed".
  if (all === undefined && any === undefined) return AUTHENTICATED;
  return compileRequirement(
    { ...(all !== undefined && { allOf: all }), ...(any !== undefined && { anyOf: any }) },
    `the permission decorators of ${gateway.name || 'anonymous gateway'}.${handler.name || 'anonymous handler'}`,
  );
}

const AUTHENTICATED = compileRequirement(null);

/**
 * Compiles the requirement of every message handler of `gateways` once, at start-up, so that a malformed decorator
 * fails the application's start with a `TypeError` naming the handler, not its first message.
 */
export function assertHandlerRequirements(reflector: Reflector, gateways: readonly GatewayInfo[]): void {
  for (const gateway of gateways) {
    for (const { handler } of messageHandlers(gateway.metatype)) handlerRequirement(reflector, handler, gateway.metatype);
  }
}
