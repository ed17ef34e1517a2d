import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  AuthExpiredError,
  AuthForbiddenError,
  AuthMissingError,
  authorizeAction,
  compileRequirement,
  mapVerificationError,
  satisfies,
  type AuthContext,
  type AuthError,
  type CompiledRequirement,
} from '@sockauth/core';
import type { Socket } from 'socket.io';
import { PublicMetadata } from './public.decorator.js';
import { RequireAnyPermissionMetadata } from './require-any-permission.decorator.js';
import { RequirePermissionsMetadata } from './require-permissions.decorator.js';
import { internalsOf, reportFailure, serviceOfSocket } from './sockauth.service.js';

/**
 * Authorizes each gateway message against the socket's context in force *when the message is handled* (it
 * follows re-auths, and refuses after expiry): `@RequirePermissions()` (all of) and `@RequireAnyPermission()`
 * (any of), handler-level overriding gateway-level, then the live `authorize(ctx, pattern, data)` hook of the
 * options. `@Public()` handlers pass. Denials throw sockauth errors (`AUTH_FORBIDDEN`, or `AUTH_EXPIRED` /
 * `AUTH_MISSING` when no context is in force), never Nest's generic `WsException`; the module's
 * {@link WsAuthExceptionFilter} turns them into the message's ack and the socket stays connected.
 *
 * Non-WebSocket contexts pass through untouched, so it can be a global `APP_GUARD` next to HTTP controllers.
 *
 * @example
 * ```ts
 * @UseGuards(WsAuthGuard)
 * @RequirePermissions('chat:read')
 * @WebSocketGateway()
 * export class ChatGateway {
 *   @RequirePermissions('chat:write') // overrides the gateway's requirement for this handler
 *   @SubscribeMessage('chat:send')
 *   send(@MessageBody() body: { text: string }) { return { ok: true }; }
 * }
 * ```
 */
@Injectable()
export class WsAuthGuard implements CanActivate {
  readonly #reflector: Reflector;
  /** Compiled requirements by handler, then gateway class (a handler may be inherited by several gateways). */
  readonly #cache = new WeakMap<Function, WeakMap<Function, 'public' | CompiledRequirement>>();

  constructor(@Inject(Reflector) reflector: Reflector) {
    this.#reflector = reflector;
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'ws') return true;
    const handler = context.getHandler();
    const gateway = context.getClass();
    const requirement = this.#compiled(handler, gateway);
    if (requirement === 'public') return true;

    const ws = context.switchToWs();
    const socket = ws.getClient<Socket>();
    const pattern = String(ws.getPattern() ?? handler.name);
    const service = serviceOfSocket(socket);
    const fail = (error: unknown): never => {
      const authError = mapVerificationError(error);
      if (service !== undefined) reportFailure(service, authError, socket, pattern);
      throw authError;
    };
    const authorize = service === undefined ? undefined : internalsOf(service).options.authorize;
    try {
      const current = contextNow(socket);
      // Without a live hook the decision is synchronous: no promise per message.
      if (authorize === undefined) {
        if (!satisfies(current, requirement)) throw new AuthForbiddenError(`"${pattern}" is not allowed`);
        return true;
      }
      return authorizeAction(current, requirement, pattern, ws.getData(), authorize).then(() => {
        contextNow(socket); // the deadline may have passed, or a revocation landed, while the hook ran
        return true;
      }, fail);
    } catch (error) {
      return fail(error);
    }
  }

  /**
   * The compiled requirement of a handler, read from metadata once: decorators are static, so per message this is
   * one WeakMap lookup instead of several Reflector reads and a compilation.
   */
  #compiled(handler: Function, gateway: Function): 'public' | CompiledRequirement {
    let byGateway = this.#cache.get(handler);
    const cached = byGateway?.get(gateway);
    if (cached !== undefined) return cached;
    const requirement = this.#requirement(handler, gateway);
    const compiled = requirement === 'public' ? requirement : compileRequirement(requirement);
    if (byGateway === undefined) this.#cache.set(handler, (byGateway = new WeakMap()));
    byGateway.set(gateway, compiled);
    return compiled;
  }

  /** Handler-level metadata overrides gateway-level metadata, decorator by decorator. */
  #requirement(handler: Function, gateway: Function): 'public' | { allOf: readonly string[]; anyOf: readonly string[] } {
    const targets = [handler, gateway];
    if (this.#reflector.get(PublicMetadata, handler) === true) return 'public';
    const ownRequirement =
      this.#reflector.get(RequirePermissionsMetadata, handler) !== undefined ||
      this.#reflector.get(RequireAnyPermissionMetadata, handler) !== undefined;
    // A requirement on the handler itself beats @Public() on its gateway.
    if (!ownRequirement && this.#reflector.get(PublicMetadata, gateway) === true) return 'public';
    return {
      allOf: this.#reflector.getAllAndOverride(RequirePermissionsMetadata, targets) ?? [],
      anyOf: this.#reflector.getAllAndOverride(RequireAnyPermissionMetadata, targets) ?? [],
    };
  }
}

/** The context in force for `socket` now, or the error explaining why there is none. */
export function contextNow(socket: Socket): AuthContext {
  const service = serviceOfSocket(socket);
  const current = service?.contextOf(socket);
  if (current !== undefined) return current;
  throw missingContextError(socket);
}

function missingContextError(socket: Socket): AuthError {
  // SockAuth keeps `socket.data.auth` until it releases the socket: a context that is still there but no longer
  // in force has passed its deadline (revocations release at once).
  const data = socket?.data as { auth?: unknown } | undefined;
  return data?.auth !== undefined ? new AuthExpiredError() : new AuthMissingError();
}
