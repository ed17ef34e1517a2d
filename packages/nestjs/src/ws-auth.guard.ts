import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  AuthForbiddenError,
  AuthUnavailableError,
  authorizeAction,
  isAuthError,
  satisfies,
  type AuthContext,
  type AuthError,
  type CompiledRequirement,
} from '@sockauth/core';
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
 * Extension points (protected, for a subclass; the module recognises subclasses as this guard):
 * {@link WsAuthGuard.getRequirement} (what a handler needs), {@link WsAuthGuard.authorize} (whether the context in
 * force may run it) and {@link WsAuthGuard.onDenied} (what happens besides the refusal). A subclass can narrow or
 * widen the decision; it cannot turn a refusal into success from `onDenied`, and an error other than a sockauth
 * error thrown by its `authorize` refuses the message as `AUTH_UNAVAILABLE` (as the `authorize` hook's do).
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
 *
 * @example A subclass: tenant-bound rooms and an audit line per refusal.
 * ```ts
 * @Injectable()
 * export class TenantGuard extends WsAuthGuard {
 *   protected override authorize(context: ExecutionContext, auth: AuthContext, requirement: CompiledRequirement) {
 *     const body = context.switchToWs().getData<{ room?: string }>();
 *     if (body?.room !== undefined && !body.room.startsWith(`${auth.claims['tenant']}:`)) return false;
 *     return super.authorize(context, auth, requirement);
 *   }
 *   protected override onDenied(context: ExecutionContext, error: AuthError) {
 *     audit.warn({ event: context.switchToWs().getPattern(), code: error.code });
 *   }
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
    const requirement = this.getRequirement(context);
    if (requirement === 'public') return true;

    const ws = context.switchToWs();
    const socket = ws.getClient<Socket>();
    const pattern = patternOf(context);
    const deny = (error: unknown): never => {
      const authError = isAuthError(error)
        ? error
        : new AuthUnavailableError('authorization policy failed', { cause: { name: 'AuthorizeHookError' } });
      const service = serviceOfSocket(socket);
      if (service !== undefined) reportFailure(service, authError, socket, pattern);
      try {
        this.onDenied(context, authError);
      } catch {
        // onDenied observes a refusal; whatever it does, the refusal below stands.
      }
      throw authError;
    };
    try {
      const verdict = this.authorize(context, contextNow(socket), requirement);
      // Without a live hook the decision is synchronous: no promise per message.
      if (typeof verdict === 'boolean') {
        if (!verdict) throw forbidden(pattern); // denied once, by the catch below
        return true;
      }
      return verdict.then((allowed) => {
        if (allowed !== true) return deny(forbidden(pattern));
        contextNow(socket); // the deadline may have passed, or a revocation landed, while the decision ran
        return true;
      }, deny);
    } catch (error) {
      return deny(error);
    }
  }

  /**
   * What the message's handler needs: `'public'` (nothing, not even a context) or a compiled requirement, by
   * default from `@Public()`, `@RequirePermissions()` and `@RequireAnyPermission()` (handler over gateway), read
   * once per handler. Override to derive requirements another way; build them with core's `compileRequirement`.
   *
   * @example
   * ```ts
   * protected override getRequirement(context: ExecutionContext) {
   *   const pattern = String(context.switchToWs().getPattern());
   *   return pattern.startsWith('admin:') ? compileRequirement('chat:admin') : super.getRequirement(context);
   * }
   * ```
   */
  protected getRequirement(context: ExecutionContext): 'public' | CompiledRequirement {
    return this.#compiled(context.getHandler(), context.getClass());
  }

  /**
   * Whether `auth`, the socket's context in force now, may run the message: by default `requirement`, then the
   * module's live `authorize(ctx, pattern, args)` hook when one is configured. `false` refuses with
   * `AUTH_FORBIDDEN`; a thrown sockauth error refuses with its code. Return a boolean when you can decide
   * synchronously (no promise per message); after an asynchronous decision the context is checked again.
   *
   * @example
   * ```ts
   * protected override authorize(context: ExecutionContext, auth: AuthContext, requirement: CompiledRequirement) {
   *   return auth.claims['suspended'] !== true && super.authorize(context, auth, requirement);
   * }
   * ```
   */
  protected authorize(
    context: ExecutionContext,
    auth: AuthContext,
    requirement: CompiledRequirement,
  ): boolean | Promise<boolean> {
    const socket = context.switchToWs().getClient<Socket>();
    const service = serviceOfSocket(socket);
    const hook = service === undefined ? undefined : internalsOf(service).options.authorize;
    if (hook === undefined) return satisfies(auth, requirement);
    const args = messageArgs(context.switchToWs().getData());
    return authorizeAction(auth, requirement, patternOf(context), args, hook).then(() => true);
  }

  /**
   * Called once per refusal, after it was reported to the `onAuthFailure` hook and before the error is thrown
   * (and acked by {@link WsAuthExceptionFilter}): for logging or metrics of your own. The refusal stands whatever
   * it does; what it throws is ignored. Default: nothing.
   *
   * @example
   * ```ts
   * protected override onDenied(context: ExecutionContext, error: AuthError) {
   *   this.logger.warn(`${String(context.switchToWs().getPattern())} refused: ${error.code}`);
   * }
   * ```
   */
  protected onDenied(_context: ExecutionContext, _error: AuthError): void {}

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

function patternOf(context: ExecutionContext): string {
  return String(context.switchToWs().getPattern() ?? context.getHandler().name);
}

function forbidden(pattern: string): AuthForbiddenError {
  return new AuthForbiddenError(`"${pattern}" is not allowed`);
}

/** The context in force for `socket` now, or the error explaining why there is none. */
export function contextNow(socket: Socket): AuthContext {
  const service = serviceOfSocket(socket);
  const current = service?.contextOf(socket);
  if (current !== undefined) return current;
  throw missingContextError(socket);
}
