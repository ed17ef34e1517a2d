import { AuthMissingError, compileRequirement, deniedAck, type AuthError, type AuthSessions, type CompiledRequirement, type PermissionRequirement } from '@sockauth/core';
import type { Socket } from 'socket.io';
import { eventArgs } from './event-args.js';
import { ackPacket } from './protocol.js';

/** Marks functions produced by {@link guardHandler}. */
const GUARD = Symbol('sockauth.guard');
type Guarded = ((...args: unknown[]) => void) & { [GUARD]: CompiledRequirement };

/**
 * Wraps a Socket.IO event handler so it runs only when the socket's current context satisfies `requirement` and
 * the live `authorize` hook agrees (the session decides); otherwise the event's ack receives the refusal.
 */
export function guardHandler<A extends unknown[]>(
  sessions: AuthSessions<Socket, unknown[]>,
  requirement: PermissionRequirement,
  handler: (this: Socket, ...args: A) => unknown,
): (this: Socket, ...args: A) => void {
  if (typeof handler !== 'function') throw new TypeError('sockauth: guard(requirement, handler) needs a function');
  const compiled = compileRequirement(requirement, `guard(requirement) of ${handler.name || 'an anonymous handler'}`);
  const action = `guard:${handler.name || 'anonymous'}`;
  const guarded = function (this: Socket, ...args: A): void {
    const packet = args as unknown[];
    const socket = this;
    if (!sessions.has(socket)) return ackPacket(packet, deniedAck(new AuthMissingError()));
    sessions.checkGuarded(socket, compiled, action, eventArgs(packet)).then(
      () => handler.apply(socket, args),
      (error: AuthError) => ackPacket(packet, deniedAck(error)),
    );
  } as Guarded;
  guarded[GUARD] = compiled;
  return guarded as (this: Socket, ...args: A) => void;
}

/** True when every listener of `event` on `socket` is a guard (guards do their own permission checks). */
export function guardedOnly(socket: Socket, event: string): boolean {
  const listeners = socket.listeners(event);
  return listeners.length > 0 && listeners.every((listener) => GUARD in listener);
}
