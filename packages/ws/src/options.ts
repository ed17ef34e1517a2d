import type { IncomingMessage } from 'node:http';
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  SESSION_OPTION_KEYS,
  type AuthContext,
  type CookieTokenOptions,
  type EnvelopeId,
  type JWTPayload,
  type KnownKeys,
  type QueryTokenOption,
  type RevocationStore,
  type SessionOptions,
  type Verifier,
  type VerifierOptions,
} from '@sockauth/core';
import type { WebSocket } from 'ws';
import { resolveHeartbeat, type WsHeartbeatOptions } from './heartbeat.js';
import type { WsProtocolSelector } from './subprotocol.js';
import type { WsTokenSource } from './upgrade-token.js';

/**
 * Options of {@link createWsAuth}: core's session options (`verifier`, `mapClaims`, `events`, `unlistedEvents`,
 * `authorize`, `eventGate`, `eventRateLimit`, `rooms`, `unlistedRooms`, `revocationStore`, `warnBeforeSec`,
 * `graceSec`, `maxReauthsPerMinute`, `issuerClockSkewSec`, `onContextChange`, `hooks`, `logger`; the same rules as
 * on Socket.IO) and the WebSocket-specific ones below. `TClaims` is inferred from your `mapClaims`.
 *
 * @example
 * ```ts
 * const options: WsAuthOptions = {
 *   verifier: { algorithms: ['HS256'], secret: process.env.JWT_SECRET!, issuer: 'my-idp', audience: 'chat' },
 *   events: { whoami: null, 'chat:send': 'chat:write' },
 *   allowQueryToken: false,
 * };
 * ```
 */
export interface WsAuthOptions<TClaims extends JWTPayload = JWTPayload>
  extends Omit<SessionOptions<WebSocket, TClaims>, 'verifier' | 'revocationStore'> {
  /**
   * How tokens are verified: a verifier from `createVerifier`, or the options to build one
   * (`{ algorithms: ['HS256'], secret, issuer, audience }`).
   */
  readonly verifier: Verifier | VerifierOptions;
  /** Revocation store (default: a new in-memory store; `@sockauth/redis` for several nodes). */
  readonly revocationStore?: RevocationStore;
  /**
   * Upgrade token sources, in order (default `['header', 'subprotocol']`, plus `'cookie'` / `'query'` when
   * configured). Every enabled source is read: two different tokens refuse the upgrade with `AUTH_INVALID`.
   */
  readonly tokenSources?: readonly WsTokenSource[];
  /** Accept the token from a cookie, only from allowed origins (browsers send cookies cross-site). */
  readonly cookie?: CookieTokenOptions;
  /**
   * Accept the token from the query string (`?token=`, or `{ param }`). Off by default: URLs end up in proxy and
   * server logs. When on, the token is still redacted from `req.url` and from everything sockauth logs.
   */
  readonly allowQueryToken?: QueryTokenOption;
  /** Largest frame accepted, in bytes (default 64 KiB): a larger one closes the connection with 1009. */
  readonly maxPayload?: number;
  /**
   * Your subprotocol selection, if your server speaks others (see {@link WsProtocolSelector}). Default: select
   * `sockauth` when offered.
   */
  readonly handleProtocols?: WsProtocolSelector;
  /**
   * `true` (default): sockauth reads every frame as a `{ type, id?, data }` message, checks it and dispatches it to
   * your {@link WsAuth.on} handlers. `false`: your own protocol; read the frames yourself and ask
   * {@link WsAuth.check} before handling each one (sockauth still verifies the upgrade, pushes, cuts and rooms).
   */
  readonly envelope?: boolean;
  /**
   * Pings every authenticated connection each `intervalMs` (default 30 s) and terminates one on which nothing has
   * arrived since the previous ping (no pong, nor any other frame), so a half-open connection (a client gone without
   * a close) releases its session and rooms within two intervals. On by default; `false` turns it off (e.g. when a
   * proxy or your own code already pings). Browsers and `ws` clients answer pings by themselves.
   */
  readonly heartbeat?: WsHeartbeatOptions | boolean;
}

/**
 * Every option of {@link WsAuthOptions}, each mapped to `true`: what `createWsAuth` accepts (any other key is a
 * `TypeError` naming the nearest of these).
 *
 * @example
 * ```ts
 * const MY_OPTION_KEYS = { ...WS_AUTH_OPTION_KEYS, myOption: true } as const satisfies KnownKeys<MyOptions>;
 * ```
 */
export const WS_AUTH_OPTION_KEYS = Object.freeze({
  ...SESSION_OPTION_KEYS,
  tokenSources: true,
  cookie: true,
  allowQueryToken: true,
  maxPayload: true,
  handleProtocols: true,
  envelope: true,
  heartbeat: true,
} as const satisfies KnownKeys<WsAuthOptions>);

/** What a message handler receives besides the message's `data`. */
export interface WsMessageInfo<TClaims extends JWTPayload = JWTPayload> {
  /** The connection. */
  readonly ws: WebSocket;
  /** The context in force when the message was let through. */
  readonly context: AuthContext<TClaims>;
  /** The message's type. */
  readonly type: string;
  /** The message's id, when it asked for an ack. */
  readonly id: EnvelopeId | undefined;
}

/**
 * A message handler: what it returns (or the promise's value) is the ack of a message with an `id`. A thrown (or
 * rejected) `AuthError` is acked `{ error: { code, action, message } }`, as sockauth's own refusals are; any other
 * error is logged and not acked (the client's ack times out), so internals never reach the client.
 *
 * @example
 * ```ts
 * const whoami: WsMessageHandler = (_data, { context }) => ({ subject: context.subject });
 * ```
 */
export type WsMessageHandler<TData = unknown, TClaims extends JWTPayload = JWTPayload> = (
  data: TData,
  info: WsMessageInfo<TClaims>,
) => unknown;

/**
 * Runs for each authenticated connection, once it is live (never for a refused upgrade).
 *
 * @example
 * ```ts
 * wsAuth.onConnection((ws, context) => ws.send(JSON.stringify({ type: 'hello', data: context.subject })));
 * ```
 */
export type WsConnectionHandler<TClaims extends JWTPayload = JWTPayload> = (
  ws: WebSocket,
  context: AuthContext<TClaims>,
  req: IncomingMessage,
) => void;

/**
 * The answer of {@link WsAuth.check}: handle the message with `context`, or do not and send `reply` in your
 * protocol (a denied ack `{ error }`, or the ack of an `auth:refresh` sockauth handled itself).
 */
export type WsCheckResult<TClaims extends JWTPayload = JWTPayload> =
  | { readonly ok: true; readonly context: AuthContext<TClaims> }
  | { readonly ok: false; readonly reply: unknown };

/**
 * What to spread into `new WebSocketServer({ ... })`: token verification during the upgrade, the subprotocol
 * selection, the frame size limit.
 */
export interface WsServerOptions {
  readonly verifyClient: (info: { req: IncomingMessage }, done: (verified: boolean) => void) => void;
  readonly handleProtocols: (offered: Set<string>, req: IncomingMessage) => string | false;
  readonly maxPayload: number;
}

/** Validates the WebSocket-specific options (a `TypeError` naming the option on a mistake). */
export function resolveWsOptions(options: WsAuthOptions): { maxPayload: number; envelope: boolean; heartbeatMs: number | undefined } {
  const maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD_BYTES;
  if (!Number.isSafeInteger(maxPayload) || maxPayload < 1) {
    throw new TypeError('sockauth: createWsAuth options.maxPayload must be a positive integer (bytes)');
  }
  if (options.handleProtocols !== undefined && typeof options.handleProtocols !== 'function') {
    throw new TypeError('sockauth: createWsAuth options.handleProtocols must be a function');
  }
  const envelope = options.envelope ?? true;
  if (typeof envelope !== 'boolean') throw new TypeError('sockauth: createWsAuth options.envelope must be a boolean');
  return { maxPayload, envelope, heartbeatMs: resolveHeartbeat(options.heartbeat) };
}
