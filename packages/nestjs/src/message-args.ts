import type { AuthorizeArgs } from '@sockauth/core';

/**
 * One-argument messages whose argument is an array, as sockauth saw them arrive. Nest hands a handler (and
 * `WsAuthGuard`) the message's single argument as is, but several arguments as one array: from the data alone,
 * `emit('e', [1, 2])` and `emit('e', 1, 2)` look the same. The array a client sent as the single argument is the
 * very object Nest passes on, so remembering it here (weakly) tells the two apart.
 */
const singleArrayArguments = new WeakSet<object>();

/**
 * Remembers, for {@link messageArgs}, the argument of a message sent with one array argument. `packet` is the
 * Socket.IO packet `[event, ...args, ack?]` as sockauth's per-packet check sees it, before Nest does.
 */
export function rememberMessageArgs(packet: readonly unknown[]): void {
  const single = packet.length === 2 || (packet.length === 3 && typeof packet[2] === 'function');
  if (single && Array.isArray(packet[1])) singleArrayArguments.add(packet[1]);
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
