import type { AuthorizeArgs } from '@sockauth/core';

/**
 * What the `authorize` hook receives for an event ({@link AuthorizeArgs}): the event's arguments without
 * Socket.IO's acknowledgement callback (the last argument, when it is a function), in a new frozen array. Every
 * adapter builds the hook's argument with this one function, so a policy sees the same list everywhere.
 *
 * @example
 * ```ts
 * socket.use(([event, ...args], next) => {
 *   console.log(event, eventArgs(args)); // emit('join', { room: 'a' }, ack) → join [{ room: 'a' }]
 *   next();
 * });
 * ```
 */
export function eventArgs(args: readonly unknown[]): AuthorizeArgs {
  const end = typeof args[args.length - 1] === 'function' ? args.length - 1 : args.length;
  return Object.freeze(args.slice(0, end));
}
