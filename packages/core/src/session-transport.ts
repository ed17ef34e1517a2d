import type { AuthContext } from './auth-context.js';
import type { AuthError } from './errors.js';
import type { AuthorizeArgs } from './permissions.js';
import type { ConnectionWhere, ReleaseReason } from './session-hooks.js';

/**
 * What a transport adapter tells {@link AuthSessions} about its wire, and nothing more: how to describe a
 * connection, push an event, answer a message, cut a connection, and (with room policies) how rooms are joined and
 * left. Everything that is decided (who may do what, when a connection expires, whether a re-auth is accepted)
 * is decided by the session, the same for every transport.
 *
 * `H` is the transport's connection handle (a Socket.IO `Socket`, a `ws` `WebSocket`), `M` one inbound message
 * (a Socket.IO packet array, a ws envelope). Every method must be synchronous and must not throw (the session
 * guards its calls anyway).
 *
 * @example
 * ```ts
 * const transport: SessionTransport<WebSocket, Envelope> = {
 *   describe: (ws) => ({ socketId: idOf(ws), namespace: '/ws' }),
 *   isOpen: (ws) => ws.readyState === WebSocket.OPEN,
 *   send: (ws, type, data) => ws.send(JSON.stringify({ type, data })),
 *   cut: (ws, error) => ws.close(4000, JSON.stringify({ code: error.code, action: error.action })),
 *   reply: (ws, message, data) => message.id !== undefined && ws.send(JSON.stringify({ type: 'ack', id: message.id, data })),
 *   args: (message) => [message.data],
 * };
 * ```
 */
export interface SessionTransport<H extends object, M> {
  /** Safe identifiers for hooks and logs: never a token. */
  describe(handle: H): ConnectionWhere;
  /** The handshake URL, for refusal logs (the session redacts every non-protocol query parameter). */
  handshakeUrl?(handle: H): string | undefined;
  /** Query parameters of the transport's own protocol whose values may be logged (Socket.IO's `EIO`, `transport`). */
  readonly loggedQueryParams?: ReadonlySet<string>;
  /** Whether the client can still be told something. */
  isOpen(handle: H): boolean;
  /** A server push (`auth:expiring`, `auth:room-left`). */
  send(handle: H, event: string, payload: unknown): void;
  /**
   * The same push to many connections at once (a whole tenant's `auth:room-left` for one room), when the transport
   * can encode it once (Socket.IO: one broadcast to the connections' own-id rooms). Only open connections are
   * passed. Without it, {@link send} is called for each.
   */
  sendMany?(handles: readonly H[], event: string, payload: unknown): void;
  /** Tells the client why (`auth:error` with `error.toJSON()`) and closes the connection. Called only when open. */
  cut(handle: H, error: AuthError): void;
  /** Answers `message`'s ack with `payload`, if the message asked for one. */
  reply(handle: H, message: M, payload: unknown): void;
  /** `message`'s arguments without its ack: what the `authorize` hook and the event gate see. */
  args(message: M): AuthorizeArgs;
  /** True when every handler of `event` checks its own requirement (Socket.IO's `guard`): the event map is skipped. */
  checksItself?(handle: H, event: string): boolean;
  /** The rooms the connection is in (room policies only), without any room the transport puts it in by itself. */
  rooms?(handle: H): Iterable<string>;
  /** Puts the connection in `room` (after the room policy allowed it). */
  join?(handle: H, room: string): void;
  /** Takes the connection out of `room`: once it returns, nothing sent to the room reaches it. */
  leave?(handle: H, room: string): void;
  /**
   * A verified connection was wired into the session (before {@link onContext}): `first` is false when it had been
   * authenticated before (e.g. a middleware installed twice), so per-connection listeners are installed once.
   */
  wire?(handle: H, first: boolean): void;
  /** The context in force changed (authenticated, re-authenticated, re-evaluated). */
  onContext?(handle: H, context: AuthContext): void;
  /**
   * The connection left the session (closed, cut, or released by `close()`): `context` is the last one in force
   * (undefined if it was never authenticated), `reason` why.
   */
  onRelease?(handle: H, context: AuthContext | undefined, reason: ReleaseReason): void;
}
