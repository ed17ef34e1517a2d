import type { AuthError, ConnectErrorData } from '@sockauth/core';

// The protocol itself (event names, payloads) lives in core, shared with @sockauth/client.
export { ERROR_EVENT, EXPIRING_EVENT, REFRESH_EVENT } from '@sockauth/core';
export type { ConnectErrorData, DeniedAck, ExpiringPayload, RefreshAck } from '@sockauth/core';

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
