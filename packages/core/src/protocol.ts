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

/** The `err.data` of a refused handshake (`connect_error`). */
export interface ConnectErrorData {
  readonly code: AuthErrorPayload['code'];
  readonly action: AuthErrorPayload['action'];
}
