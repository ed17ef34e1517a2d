import type { IncomingMessage } from 'node:http';
import type { ReleaseReason } from '@sockauth/core';
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
  /**
   * The upgrade request, while it is being verified (for the refusal logs' URL, redacted by then); dropped once the
   * verification is over, so a live connection does not keep the request (its headers, the token among them) alive.
   */
  #req: IncomingMessage | undefined;
  /** The socket, once the upgrade completed and the connection was admitted. */
  ws: WebSocket | undefined;
  /** Why the session released it, once it did (a connection released before `ws` handed the socket over is refused). */
  released: ReleaseReason | undefined;
  /** A heartbeat ping to it is unanswered (see `Heartbeat`). */
  awaitingPong = false;

  constructor(req: IncomingMessage) {
    this.#serial = nextId = nextId + 1 < SERIAL_LIMIT ? nextId + 1 : 1;
    this.#req = req;
    const url = typeof req.url === 'string' ? req.url : '/';
    const end = url.search(/[?#]/);
    this.path = end === -1 ? url : url.slice(0, end);
  }

  /** A safe identifier for hooks and logs (never a token): unique among this process's last 2^30 connections. Built when asked. */
  get id(): string {
    return `ws-${this.#serial.toString(36)}`;
  }

  /** The upgrade request's URL (redacted), while the upgrade is being verified; `undefined` afterwards. */
  get url(): string | undefined {
    return this.#req?.url;
  }

  /** The verification is over: let the request go. */
  forgetRequest(): void {
    this.#req = undefined;
  }
}
