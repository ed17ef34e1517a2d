import { createParamDecorator } from '@nestjs/common';
import { currentContext } from './sockauth-context.decorator.js';

/** The default user when no `mapClaims` (or passport `validate()`) produced one. */
export interface AuthUser {
  readonly subject: string;
  readonly permissions: string[];
}

/**
 * Injects the user of the message's socket: `ctx.user` (e.g. what your passport strategy's `validate()`
 * returned, or what your `mapClaims` put in `user`), else `{ subject, permissions }`. With a property name,
 * only that property. `undefined` when no context is in force (public namespace).
 *
 * @example
 * ```ts
 * @SubscribeMessage('chat:send')
 * send(@AuthUser() user: { id: string; name: string }, @MessageBody() body: { text: string }) { ... }
 *
 * @SubscribeMessage('hello')
 * hello(@AuthUser('subject') subject: string) { return `hello ${subject}`; }
 * ```
 */
export const AuthUser = createParamDecorator<string | undefined, unknown>((property, context) => {
  const current = currentContext(context);
  if (current === undefined) return undefined;
  const user = current.user ?? { subject: current.subject, permissions: current.permissions.toArray() };
  if (property === undefined) return user;
  return typeof user === 'object' && user !== null ? (user as Record<string, unknown>)[property] : undefined;
});
