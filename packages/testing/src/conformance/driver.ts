import type { AuthErrorPayload } from '@sockauth/core/errors';
import type { AuthClientBase, AuthClientBaseOptions } from '@sockauth/client';

/** One message a flow sends: an event name and its payload (sent with an ack callback). */
export interface ConformanceRequest {
  readonly event: string;
  readonly payload?: unknown;
}

/** How a connection ended, as the client saw it. */
export interface ConnectionEnd {
  /**
   * Why the server ended it, as the wire says it: Socket.IO, the `auth:error` sent before the disconnect; a plain
   * WebSocket, the close reason `{ code, action }` of a close code in 4000–4999 (what a browser can read).
   */
  readonly error: AuthErrorPayload | undefined;
  /** The transport's reason (Socket.IO: `io server disconnect`, `transport close`, …; WebSocket: `close 4200`). */
  readonly reason: string;
  /** Local time the end was seen, ms since the epoch. */
  readonly at: number;
  /** True when the server ended it (not the suite closing it). */
  readonly byServer: boolean;
}

/** A live connection to the server under test, opened by a {@link ConformanceDriver}. */
export interface ConformanceConnection {
  /** Whether the connection is still up. */
  readonly connected: boolean;
  /**
   * What the server answered the handshake with, as text, where the server chooses it: the selected subprotocol on
   * a plain WebSocket, the `CONNECT` packet's data on Socket.IO. The token must never be in it.
   */
  readonly handshakeAnswer: string;
  /**
   * Sends `request` and resolves with the server's ack. Rejects (a plain `Error`) when no ack comes within
   * `timeoutMs` or the connection ends first: the flows treat that as "not handled".
   */
  request(request: ConformanceRequest, timeoutMs?: number): Promise<unknown>;
  /** Listens to a server push (`auth:expiring`, `auth:room-left`, an app event…). */
  on(event: string, listener: (payload: unknown) => void): void;
  /** Settles once the connection ended, whoever ended it. */
  readonly ended: Promise<ConnectionEnd>;
  /** Closes the connection from the client side. Idempotent. */
  close(): void;
}

/** What happened to a message sent before the handshake was answered. */
export interface EarlyMessageOutcome {
  /** The server's answer to the handshake: accepted, refused (with its code), or none before the connection ended. */
  readonly handshake: { readonly accepted: true } | { readonly accepted: false; readonly code: string | undefined };
  /** Acks the server sent for the early message: any ack at all means it was handled. */
  readonly acks: readonly unknown[];
}

/**
 * The wire under the conformance suite: how to open a connection with a token, send a message before the handshake
 * completes, and build a `@sockauth/client` for the same server. {@link socketIoDriver} is the Socket.IO one,
 * {@link webSocketDriver} the plain-WebSocket one (DEMO-CONTRACT.md, "Plain WebSocket").
 *
 * @example
 * ```ts
 * const suite = conformanceFlows({ ...options, driver: socketIoDriver({ path: '/realtime' }) });
 * ```
 */
export interface ConformanceDriver {
  /** Shown in the suite's title, e.g. `socket.io`. */
  readonly name: string;
  /**
   * Connects with `token`. Resolves once the server accepted the handshake; rejects with the server's refusal as
   * an `AuthError` (its `code`), or a plain `Error` when there was no answer within `timeoutMs`.
   */
  connect(url: string, token: string | undefined, options: { readonly timeoutMs: number }): Promise<ConformanceConnection>;
  /**
   * Sends the handshake with `token` and `request` right behind it (before the server answered the handshake), and,
   * on a second connection, `request` the moment the handshake is accepted (before the server could finish a check
   * it runs after accepting); reports, after each handshake answer and `quietMs` more, every ack of `request`.
   */
  sendBeforeHandshake(
    url: string,
    token: string | undefined,
    request: ConformanceRequest,
    options: { readonly timeoutMs: number; readonly quietMs: number },
  ): Promise<EarlyMessageOutcome>;
  /** A `@sockauth/client` for `url` on this wire (not connected until the flow calls `connect()`). */
  createClient(url: string, options: ConformanceClientOptions): AuthClientBase;
}

/** The `@sockauth/client` options a flow sets (those both flavours share); the driver adds the wire's own. */
export type ConformanceClientOptions = AuthClientBaseOptions;
