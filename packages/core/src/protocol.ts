/**
 * The wire protocol between sockauth servers and clients, in one place: the event names and payload shapes of
 * in-band re-auth, expiry warnings, cuts and refusals. Browser-safe (no Node imports), so the server adapters and
 * `@sockauth/client` share it (`@sockauth/core/protocol`) instead of each spelling it out.
 */
import type { AuthErrorPayload } from './errors.js';

/** Client → server: re-authenticate in band with `{ token }`, with an ack ({@link RefreshAck}). */
export const REFRESH_EVENT = 'auth:refresh';
/** Server → client: {@link ExpiringPayload} shortly before the token expires. */
export const EXPIRING_EVENT = 'auth:expiring';
/** Server → client: `{ code, action, message }` right before the server disconnects the socket. */
export const ERROR_EVENT = 'auth:error';
/**
 * Server → client: {@link RoomLeftPayload}, once for each room the server made the socket leave because its
 * current context may no longer be in it (after a re-auth or a live re-evaluation). The socket stays connected.
 *
 * @example
 * ```ts
 * socket.on(ROOM_LEFT_EVENT, ({ room, code }: RoomLeftPayload) => ui.markLeft(room, code));
 * ```
 */
export const ROOM_LEFT_EVENT = 'auth:room-left';

/** Payload of `auth:expiring`. `graceEndsAt` is present when the deadline passed and a grace period runs. */
export interface ExpiringPayload {
  /** When the token expires (ms since the epoch, server clock). */
  readonly expiresAt: number;
  /** Milliseconds until then, as measured by the server when it sent the event (robust to client clock skew). */
  readonly inMs: number;
  /** End of the grace period (ms since the epoch), when one is running. */
  readonly graceEndsAt?: number;
}

/** Ack of `auth:refresh`. */
export type RefreshAck =
  | { readonly ok: true; readonly expiresAt: number; readonly version: number }
  | { readonly ok: false; readonly error: AuthErrorPayload };

/** Ack sent for an event that was refused. */
export interface DeniedAck {
  readonly error: AuthErrorPayload;
}

/**
 * The ack of a refused event, built in this one place for every adapter (the event check, framework guards and
 * exception filters): `{ error: { code, action, message } }`.
 *
 * @example
 * ```ts
 * ack(deniedAck(new AuthForbiddenError()));
 * ```
 */
export function deniedAck(error: { toJSON(): AuthErrorPayload }): DeniedAck {
  return { error: error.toJSON() };
}

/**
 * Payload of `auth:room-left`: the room left and why. `code` is usually `AUTH_FORBIDDEN` (action `none`: the
 * identity is fine, this room is not for it any more); `AUTH_UNAVAILABLE` (`retry`) when the live policy could not
 * decide, so the server left the room rather than keep a socket in it undecided.
 */
export interface RoomLeftPayload {
  readonly room: string;
  readonly code: AuthErrorPayload['code'];
  readonly action: AuthErrorPayload['action'];
}

/**
 * Builds the payload of `auth:room-left` from the room and the error that made the socket leave it (no message:
 * the client needs the code and action only).
 *
 * @example
 * ```ts
 * for (const { room, error } of await policy.reevaluate(ctx, rooms)) {
 *   socket.leave(room);
 *   socket.emit(ROOM_LEFT_EVENT, roomLeftPayload(room, error));
 * }
 * ```
 */
export function roomLeftPayload(
  room: string,
  error: Pick<AuthErrorPayload, 'code' | 'action'>,
): RoomLeftPayload {
  return { room, code: error.code, action: error.action };
}

/** The `err.data` of a refused handshake (`connect_error`). */
export interface ConnectErrorData {
  readonly code: AuthErrorPayload['code'];
  readonly action: AuthErrorPayload['action'];
}

// Plain WebSockets: the close codes, the message envelope, the subprotocols and the probe (public modules as a
// whole), browser-safe like the rest of this module.
export * from './ws-close-codes.js';
export * from './ws-envelope.js';
export * from './ws-subprotocol.js';
