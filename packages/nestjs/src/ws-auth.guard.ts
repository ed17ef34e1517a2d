import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthForbiddenError, authorizeAction, mapVerificationError, satisfies, type AuthContext } from '@sockauth/core';
import type { Socket } from 'socket.io';
import { missingContextError } from './decorator-enforcement.js';
import { handlerRequirement, type HandlerRequirement } from './handler-requirement.js';
import { messageArgs } from './message-args.js';
import { internalsOf, reportFailure, serviceOfSocket } from './sockauth.service.js';

/**
 * Optional: {@link SockAuthModule} enforces the permission decorators by itself, before Nest sees the message.
 * Apply this guard (per handler, per gateway or as `APP_GUARD`) when you want those checks to run inside Nest's
 * guard pipeline instead, e.g. so denials reach your own exception filters (`gatewayExceptionFilter: false`). Each
 * handler is decided by exactly one of the two: the module leaves the handlers this guard runs for to it (so a
 * refusal is reported once, and the `authorize` hook runs once per handler). It costs Nest's guard pipeline per
 * message (see the events benchmark).
 *
 * It authorizes each gateway message against the socket's context in force *when the message is handled* (it
 * follows re-auths, and refuses after expiry): `@RequirePermissions()` (all of) and `@RequireAnyPermission()`
 * (any of), handler-level overriding gateway-level, then the live `authorize(ctx, pattern, args)` hook of the
 * options (`args`: the message's arguments without the ack, as everywhere; the body is `args[0]`). `@Public()` handlers pass. Denials throw sockauth errors (`AUTH_FORBIDDEN`, or `AUTH_EXPIRED` /
 * `AUTH_MISSING` when no context is in force), never Nest's generic `WsException`; the module's
 * {@link WsAuthExceptionFilter} turns them into the message's ack and the socket stays connected: the same ack
 * as the module's own enforcement.
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
  readonly #cache = new WeakMap<Function, WeakMap<Function, HandlerRequirement>>();

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
      return authorizeAction(current, requirement, pattern, messageArgs(ws.getData()), authorize).then(() => {
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
  #compiled(handler: Function, gateway: Function): HandlerRequirement {
    let byGateway = this.#cache.get(handler);
    const cached = byGateway?.get(gateway);
    if (cached !== undefined) return cached;
    const compiled = handlerRequirement(this.#reflector, handler, gateway);
    if (byGateway === undefined) this.#cache.set(handler, (byGateway = new WeakMap()));
    byGateway.set(gateway, compiled);
    return compiled;
  }
}

/** The context in force for `socket` now, or the error explaining why there is none. */
export function contextNow(socket: Socket): AuthContext {
  const service = serviceOfSocket(socket);
  const current = service?.contextOf(socket);
  if (current !== undefined) return current;
  throw missingContextError(socket);
}
