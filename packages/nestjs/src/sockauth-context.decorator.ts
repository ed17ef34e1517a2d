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
 * Injects the `AuthContext` in force when the message is handled (after any re-auth): subject, permissions,
 * claims, expiry, version, and `user` when one was mapped. `undefined` in a public namespace.
 *
 * @example
 * ```ts
 * @SubscribeMessage('whoami')
 * whoami(@AuthContext() ctx: AuthContext) {
 *   return { subject: ctx.subject, permissions: ctx.permissions.toArray(), expiresAt: ctx.expiresAt, version: ctx.version };
 * }
 * ```
 */
export const AuthContext = createParamDecorator<undefined, CoreAuthContext | undefined>((_data, context) =>
  currentContext(context),
);

/**
 * The context type, under the decorator's name, so `@AuthContext() ctx: AuthContext` needs one import;
 * `AuthContext<AppClaims>` types its claims (a declaration: validate them in `mapClaims`).
 */
export type AuthContext<TClaims extends JWTPayload = JWTPayload> = CoreAuthContext<TClaims>;
