import type { AuthorizeArgs } from '@sockauth/core';

/**
 * One-argument messages whose argument is an array, as sockauth saw them arrive. Nest hands a handler (and
 * `WsAuthGuard`) the message's single argument as is, but several arguments as one array: from the data alone,
 * `emit('e', [1, 2])` and `emit('e', 1, 2)` look the same. The array a client sent as the single argument is the
 * very object Nest passes on, so remembering it here (weakly) tells the two apart.
 */
const singleArrayArguments = new WeakSet<object>();

/**
 * Remembers, for {@link messageArgs}, the argument of a message sent with one array argument. `args` are the
 * message's arguments without the ack, as sockauth's per-packet check sees them, before Nest does.
 */
export function rememberMessageArgs(args: readonly unknown[]): void {
  if (args.length === 1 && Array.isArray(args[0])) singleArrayArguments.add(args[0]);
}

/**
 * The event's arguments without the ack ({@link AuthorizeArgs}, what the `authorize` hook receives everywhere),
 * rebuilt from the message data Nest's `IoAdapter` gives a handler: nothing for no argument, the argument itself
 * for one, the array of them for several.
 */
export function messageArgs(data: unknown): AuthorizeArgs {
  if (data === undefined) return Object.freeze([]);
  if (Array.isArray(data) && !singleArrayArguments.has(data)) return Object.freeze([...data]);
  return Object.freeze([data]);
}
