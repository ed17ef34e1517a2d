import type { ConformanceConnection, ConformanceRequest, ConnectionEnd } from './driver.js';

/** The part of a client socket a driver's connection wraps (a socket.io-client socket, the kit's `WsClientSocket`). */
interface ClientSocketLike {
  readonly connected: boolean;
  on(event: string, listener: (...args: any[]) => void): unknown;
  close(): unknown;
}

/** How the wire sends a request and tells how the connection ended. */
interface Wire {
  readonly handshakeAnswer: string;
  request(request: ConformanceRequest, timeoutMs: number): Promise<unknown>;
  /** Settles once the connection ended; `closedByUs()` says whether the suite closed it. */
  ended(closedByUs: () => boolean): Promise<ConnectionEnd>;
}

/** A {@link ConformanceConnection} over `socket`: what every wire shares (state, listeners, closing by the suite). */
export function driverConnection(socket: ClientSocketLike, wire: Wire): ConformanceConnection {
  let closedByUs = false;
  const ended = wire.ended(() => closedByUs);
  return {
    get connected() {
      return socket.connected;
    },
    handshakeAnswer: wire.handshakeAnswer,
    request: (request, timeoutMs = 5_000) => wire.request(request, timeoutMs),
    on(event, listener) {
      socket.on(event, listener);
    },
    ended,
    close() {
      closedByUs = true;
      socket.close();
    },
  };
}
