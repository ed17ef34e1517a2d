import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/** Serials wrap below 2^30, so they stay small integers (a larger one would be a heap number per connection). */
const SERIAL_LIMIT = 2 ** 30;
let nextId = 0;

/**
 * One upgrade, from its verification to its close: the session's handle. It exists before the `WebSocket` does
 * (the token is verified during the upgrade, before the 101 response), so the session indexes it, and the socket
 * is attached once `ws` created it.
 */
export class WsConnection {
  /** The number behind {@link id} (a small integer: no string kept per connection). */
  readonly #serial: number;
  /** The request path, without the query: the "namespace" of hooks and logs. */
  readonly path: string;
  /** The socket, once the upgrade completed and the connection was admitted. */
  ws: WebSocket | undefined;
  /**
   * The upgrade request while the upgrade is being verified (for the refusal logs' URL, redacted by then), then its
   * TCP socket: one field for both, so a live connection keeps no request, and no map entry or field for one.
   */
  #held: IncomingMessage | Socket;
  /** The socket's byte count (30 low bits) when the heartbeat last pinged it; -1 before the first ping. */
  bytesAtPing = -1;

  constructor(req: IncomingMessage) {
    this.#serial = nextId = nextId + 1 < SERIAL_LIMIT ? nextId + 1 : 1;
    this.#held = req;
    this.path = pathOf(typeof req.url === 'string' ? req.url : '/');
  }

  /** The TCP socket under {@link ws} (the heartbeat reads how many bytes arrived on it). */
  get socket(): Pick<Socket, 'bytesRead'> {
    const held = this.#held;
    return isRequest(held) ? held.socket : held;
  }

  /** A safe identifier for hooks and logs (never a token), built when asked: unique among the last 2^30 connections. */
  get id(): string {
    return `ws-${this.#serial.toString(36)}`;
  }

  /** The upgrade request's URL (redacted), while the upgrade is being verified; `undefined` afterwards. */
  get url(): string | undefined {
    const held = this.#held;
    return isRequest(held) ? held.url : undefined;
  }

  /** The verification is over: let the request go (its TCP socket is kept). Idempotent. */
  forgetRequest(): void {
    const held = this.#held;
    if (isRequest(held)) this.#held = held.socket;
  }
}

/** Whether `held` is still the request (a TCP socket has no `headers`). */
function isRequest(held: IncomingMessage | Socket): held is IncomingMessage {
  return (held as Partial<IncomingMessage>).headers !== undefined;
}

/**
 * The path of `url` (without its query), as a string of its own: V8 makes a longer slice a view of the whole string,
 * which would keep the request's URL, a query token with it, alive as long as the connection.
 */
function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end).split('').join('');
}
