/**
 * What a conformance flow found wrong, one code per flaw (stable: assert on it, not on the message):
 * - `NOT_CUT_AT_EXPIRY`: a socket stayed connected after its token's `exp` (plus the clock tolerance).
 * - `CUT_WITHOUT_REASON`: the server disconnected without the `auth:error` that tells the client why (or another code);
 *   on a plain WebSocket, without the close code in 4000–4999 and its `{ code, action }` reason.
 * - `HANDLED_AFTER_EXPIRY`: an event sent after `exp` was handled.
 * - `TAB_NOT_CUT`: after a logout (revocation), a connection of the same session stayed up.
 * - `PERMISSION_KEPT`: an event was still handled after the user lost the permission it needs.
 * - `ROOM_NOT_LEFT`: a socket that lost a room's permission was not told `auth:room-left`.
 * - `ROOM_STILL_DELIVERED`: a socket that lost a room's permission still received what was sent to the room.
 * - `REFRESH_LOOP`: the client called the refresh endpoint without bound.
 * - `APP_NOT_TOLD`: the client never reached a state that tells the app it gave up.
 * - `PREMATURE_EXPIRY`: a socket was cut for expiry before `exp` (the idle socket, or a client with a skewed clock).
 * - `REFRESH_TOO_LATE`: a client with a skewed clock did not re-authenticate before `exp`.
 * - `DUPLICATE_SIDE_EFFECT`: a re-sent event (same idempotency key) took effect twice.
 * - `HANDLED_BEFORE_HANDSHAKE`: an event sent before the handshake was answered was handled.
 * - `REVOKED_SESSION_RECONNECTED`: a revoked session connected again (or was refused with another code).
 * - `TOKEN_IN_LOGS`: a token (or its signature) appeared in the server's logs.
 * - `TOKEN_ECHOED`: the server's answer to the handshake held the token (a WebSocket subprotocol selected as offered).
 * - `NO_LOG_CAPTURE`: the server handle has no `logs()`, and the flow was not skipped explicitly.
 * - `PRECONDITION`: the server refused what the configuration says a full user may do: fix the configuration.
 */
export type ConformanceFailureCode =
  | 'NOT_CUT_AT_EXPIRY'
  | 'CUT_WITHOUT_REASON'
  | 'HANDLED_AFTER_EXPIRY'
  | 'TAB_NOT_CUT'
  | 'PERMISSION_KEPT'
  | 'ROOM_NOT_LEFT'
  | 'ROOM_STILL_DELIVERED'
  | 'REFRESH_LOOP'
  | 'APP_NOT_TOLD'
  | 'PREMATURE_EXPIRY'
  | 'REFRESH_TOO_LATE'
  | 'DUPLICATE_SIDE_EFFECT'
  | 'HANDLED_BEFORE_HANDSHAKE'
  | 'REVOKED_SESSION_RECONNECTED'
  | 'TOKEN_IN_LOGS'
  | 'TOKEN_ECHOED'
  | 'NO_LOG_CAPTURE'
  | 'PRECONDITION';

/**
 * The error a conformance flow fails with: `code` names the flaw, the message says what went wrong and what to
 * change (`… Fix: …`).
 *
 * @example
 * ```ts
 * try {
 *   await flow.run();
 * } catch (error) {
 *   if (error instanceof ConformanceFailure && error.code === 'NOT_CUT_AT_EXPIRY') reportExpiryBug(error.message);
 * }
 * ```
 */
export class ConformanceFailure extends Error {
  override readonly name = 'ConformanceFailure';

  constructor(
    /** The flaw. */
    readonly code: ConformanceFailureCode,
    /** What went wrong, as seen over the wire. */
    what: string,
    /** What to change in the server (or the configuration). */
    fix: string,
  ) {
    super(`[${code}] ${what}. Fix: ${fix}`);
  }
}
