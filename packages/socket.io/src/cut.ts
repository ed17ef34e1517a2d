import type { Socket } from 'socket.io';
import { corkedWrite } from './socket-io-internals.js';

/**
 * Tells the client why and disconnects it: `event` with `payload`, then Socket.IO's disconnect packet (the client
 * sees reason `io server disconnect`). Both packets leave in one write when the connection is a plain WebSocket:
 * Engine.IO otherwise writes the second one only once the first write's callback ran, which doubles the cost of
 * every cut (a system call, a write request and their callbacks) and, in an expiry storm, leaves thousands of
 * disconnect packets queued until the storm is over.
 *
 * `onUnsupported` is called when the connection is a plain WebSocket whose Engine.IO or ws internals are not the
 * expected ones: the cut then takes Socket.IO's ordinary path (the same packets, in more writes), which is safe, and
 * the caller says so once.
 */
export function cutSocket(socket: Socket, event: string, payload: unknown, onUnsupported: (socket: Socket) => void): void {
  const outcome = corkedWrite(socket, () => {
    socket.emit(event, payload);
    socket.disconnect();
  });
  if (outcome === 'unsupported') onUnsupported(socket);
}
