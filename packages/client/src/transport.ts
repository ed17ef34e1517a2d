import type { AuthError } from '@sockauth/core/errors';

/**
 * What a transport tells the lifecycle. Payloads of the sockauth events (`auth:expiring`, `auth:error`) come as
 * received: the lifecycle parses them, so every transport treats a malformed one the same way.
 */
export interface TransportHandlers {
  /**
   * A handshake is starting and needs the token: the lifecycle calls `send` with it (`undefined`: none), or never
   * when the handshake was abandoned meanwhile.
   */
  handshake(send: (token: string | undefined) => void): void;
  /** The server accepted the handshake. `id` is the connection's id, if the transport has one. */
  connected(id: string | undefined): void;
  /** The handshake failed: refused by the server with `error`, or (`undefined`) not answered with a sockauth code. */
  refused(error: AuthError | undefined): void;
  /** `auth:error`: the server says why it is about to disconnect us. */
  cut(payload: unknown): void;
  /**
   * The connection ended. `deliberate`: the app or the server closed it on purpose, so the transport itself would
   * not reconnect (without an auth reason, neither does the client).
   */
  disconnected(reason: string, deliberate: boolean): void;
  /** `auth:expiring`. */
  expiring(payload: unknown): void;
  /** `auth:room-left`: the server took the connection out of a room its current context may no longer be in. */
  roomLeft(payload: unknown): void;
}

/**
 * The seam between the transport-agnostic lifecycle (taxonomy, refresh window, backoff, states) and one wire: a
 * Socket.IO socket (`SocketIoTransport`) or a plain WebSocket (`WebSocketTransport`). A transport never reconnects by itself and never decides
 * anything: it reports, and does what it is told.
 */
export interface ClientTransport {
  /** Whether a connection is up (handshake accepted, not yet closed). */
  readonly connected: boolean;
  /** Starts `handlers` receiving this transport's events. Called once. */
  attach(handlers: TransportHandlers): void;
  /** Stops delivering events to the handlers (the client is closed). */
  detach(): void;
  /** Starts a handshake (a no-op while connected). */
  connect(): void;
  /** Closes the connection, or abandons the handshake under way. */
  disconnect(): void;
  /**
   * Sends `event` with `args` and resolves with the ack, or rejects with an `EmitError` (`timeout`, or
   * `disconnected` when the connection dropped first) after `timeoutMs`. While not connected, the transport may
   * buffer the event until the next connection.
   */
  request(event: string, args: readonly unknown[], timeoutMs: number): Promise<unknown>;
}
