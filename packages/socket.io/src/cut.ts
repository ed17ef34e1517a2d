import type { Socket } from 'socket.io';

/**
 * Engine.IO 6 and ws 8 internals used to write a cut's two packets in one system call. Every member is checked
 * before use; where one is missing or differs, the cut takes Socket.IO's ordinary path.
 */
interface EngineConnection {
  readonly transport?: {
    readonly name?: unknown;
    writable?: unknown;
    readonly perMessageDeflate?: unknown;
    /** The ws WebSocket, whose `_socket` is the TCP socket. */
    readonly socket?: { readonly _socket?: { cork?: unknown; uncork?: unknown } };
  };
  readonly writeBuffer?: unknown;
  flush?: unknown;
}

/**
 * Tells the client why and disconnects it: `event` with `payload`, then Socket.IO's disconnect packet (the client
 * sees reason `io server disconnect`). Both packets leave in one write when the connection is a plain WebSocket:
 * Engine.IO otherwise writes the second one only once the first write's callback ran, which doubles the cost of
 * every cut (a system call, a write request and their callbacks) and, in an expiry storm, leaves thousands of
 * disconnect packets queued until the storm is over.
 */
export function cutSocket(socket: Socket, event: string, payload: unknown): void {
  const conn = socket.conn as unknown as EngineConnection;
  const transport = conn.transport;
  const tcp = transport?.socket?._socket;
  const batched =
    transport?.name === 'websocket' &&
    transport.writable === true &&
    // Compressed frames are written asynchronously anyway.
    !transport.perMessageDeflate &&
    Array.isArray(conn.writeBuffer) &&
    conn.writeBuffer.length === 0 &&
    typeof conn.flush === 'function' &&
    typeof tcp?.cork === 'function' &&
    typeof tcp.uncork === 'function';
  if (!batched) {
    socket.emit(event, payload);
    socket.disconnect();
    return;
  }
  // Engine.IO queues packets while its transport is not writable: queue both, then flush them together into a
  // corked TCP socket, so ws's two frames go out in one writev.
  transport.writable = false;
  try {
    socket.emit(event, payload);
    socket.disconnect();
  } finally {
    transport.writable = true;
  }
  (tcp.cork as () => void).call(tcp);
  try {
    (conn.flush as () => void).call(conn);
  } finally {
    (tcp.uncork as () => void).call(tcp);
  }
}
