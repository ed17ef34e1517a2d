import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthContext as CoreAuthContext, JWTPayload } from '@sockauth/core';
import type { Socket } from 'socket.io';
import { serviceOfSocket } from './sockauth.service.js';

/** The context in force for the message's socket, or `undefined` (public namespace, nothing in force). */
export function currentContext(context: ExecutionContext): CoreAuthContext | undefined {
  if (context.getType() !== 'ws') return undefined;
  const socket = context.switchToWs().getClient<Socket>();
  return serviceOfSocket(socket)?.contextOf(socket);
}

/**
 * Injects the `AuthContext` (core's type, re-exported by this package) in force when the message is handled
 * (after any re-auth): subject, permissions, claims, expiry, version, and `user` when one was mapped. `undefined`
 * in a public namespace.
 *
 * @example
 * ```ts
 * import { SockAuthContext, type AuthContext } from '@sockauth/nestjs';
 *
 * @SubscribeMessage('whoami')
 * whoami(@SockAuthContext() ctx: AuthContext) {
 *   return { subject: ctx.subject, permissions: ctx.permissions.toArray(), expiresAt: ctx.expiresAt, version: ctx.version };
 * }
 * ```
 */
export const SockAuthContext = createParamDecorator<undefined, CoreAuthContext | undefined>((_data, context) =>
  currentContext(context),
);

/**
 * @deprecated The decorator's former name, kept so existing `@AuthContext()` handlers compile; use
 * {@link SockAuthContext}. It will be removed in the next major version.
 *
 * @example
 * ```ts
 * whoami(@AuthContext() ctx: AuthContext) {} // before
 * whoami(@SockAuthContext() ctx: AuthContext) {} // now
 * ```
 */
export const AuthContext = SockAuthContext;

/**
 * Core's `AuthContext` type, unchanged (a transparent alias: `@sockauth/core`'s and this one are the same type).
 * It is declared here, next to the deprecated decorator of the same name, because a module cannot export a value
 * and a re-exported type under one name from two declarations.
 */
export type AuthContext<TClaims extends JWTPayload = JWTPayload> = CoreAuthContext<TClaims>;
