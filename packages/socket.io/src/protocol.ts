import type { AuthError, AuthErrorPayload } from '@sockauth/core';

/** Client → server: re-authenticate in band with `{ token }`, with an ack. */
export const REFRESH_EVENT = 'auth:refresh';
/** Server → client: `{ expiresAt, inMs }` shortly before the token expires. */
export const EXPIRING_EVENT = 'auth:expiring';
/** Server → client: `{ code, action, message }` right before the server disconnects the socket. */
export const ERROR_EVENT = 'auth:error';

/** Payload of `auth:expiring`. `graceEndsAt` is present when the deadline passed and a grace period runs. */
export interface ExpiringPayload {
  /** When the token expires (ms since the epoch, server clock). */
  readonly expiresAt: number;
  /** Milliseconds until then, as measured by the server (robust to client clock skew). */
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

/** Builds the `next(err)` error of a refused handshake: `err.message` is the safe message, `err.data` the code. */
export function toConnectError(error: AuthError): Error & { data: ConnectErrorData } {
  const err = new Error(error.message) as Error & { data: ConnectErrorData };
  err.data = { code: error.code, action: error.action };
  return err;
}

/** Calls the ack of a packet, if it has one, with `payload`. Never throws. */
export function ackPacket(packet: readonly unknown[], payload: unknown): void {
  const ack = packet[packet.length - 1];
  if (typeof ack === 'function') {
    try {
      ack(payload);
    } catch {
      // An ack on a closed socket is a no-op in Socket.IO; anything else must not break the middleware chain.
    }
  }
}
