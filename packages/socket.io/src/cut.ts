import type { Socket } from 'socket.io';

/**
 * Tells the client why and disconnects it: `event` with `payload`, then Socket.IO's disconnect packet (the client
 * sees reason `io server disconnect`), in that order whatever the transport.
 *
 * Socket.IO's ordinary path: Engine.IO writes the disconnect packet once the first write's callback ran. Both used to
 * leave in one corked write, behind Engine.IO's and ws's backs (`transport.writable`, ws's `_socket`); the expiry
 * storm did not show that gain beyond noise (bench/README.md, "Private internals"), so the cut no longer touches them.
 */
export function cutSocket(socket: Socket, event: string, payload: unknown): void {
  socket.emit(event, payload);
  socket.disconnect();
}
