import type {
  AuthContext,
  AuthLogger,
  KnownKeys,
  AuthorizeArgs,
  AuthorizeHook,
  ClaimsMapper,
  EventGate as CoreEventGate,
  EventPermissions,
  EventRateLimitOptions,
  RevocationStore,
  RoomPolicies,
  SessionHooks,
  JWTPayload,
  UnlistedEventPolicy,
  UnlistedRoomPolicy,
  Verifier,
  VerifierOptions,
} from '@sockauth/core';
import type { Socket } from 'socket.io';
import type { NamespaceRule } from './namespace-rules.js';
import type { CookieTokenOptions, TokenExtractor, TokenSource } from './token-extraction.js';

/**
 * Observability hooks: core's {@link SessionHooks}, the same for every adapter. None of them ever receives a
 * token.
 */
export type SockAuthHooks = SessionHooks;

/**
 * A further check of every event that passed sockauth's own checks: core's {@link CoreEventGate} with the
 * Socket.IO socket as the connection. `args` are the event's arguments without the ack.
 *
 * @example
 * ```ts
 * const eventGate: EventGate = (socket, event, args, context) =>
 *   event.startsWith('admin:') && !context.permissions.has('chat:admin') ? new AuthForbiddenError() : undefined;
 * ```
 */
export type EventGate<TClaims extends JWTPayload = JWTPayload> = CoreEventGate<Socket, TClaims>;

/**
 * Options of {@link createSockAuth}. `TClaims` types the claims your hooks see (`mapClaims`, `authorize`,
 * `eventGate`, `onContextChange`, and `contextOf`/`socket.data.auth`); it is inferred from the parameter of your
 * `mapClaims`. It is a declaration, not a check: validate what your policy relies on in `mapClaims` (throw an
 * `AuthInvalidError` to refuse the token).
 *
 * @example
 * ```ts
 * interface AppClaims extends JWTPayload { readonly tenant: string }
 * const auth = sockAuth(io, {
 *   verifier,
 *   mapClaims: (claims: AppClaims) => {
 *     if (typeof claims.tenant !== 'string') throw new AuthInvalidError('no tenant');
 *     return defaultMapClaims(claims);
 *   },
 *   authorize: (context) => tenants.isActive(context.claims.tenant), // context: AuthContext<AppClaims>
 * });
 * auth.contextOf(socket)?.claims.tenant; // string
 * ```
 */
export interface SockAuthOptions<TClaims extends JWTPayload = JWTPayload> {
  /**
   * How tokens are verified: a verifier from `createVerifier`, or the options to build one
   * (`{ algorithms: ['HS256'], secret, issuer, audience }`).
   */
  readonly verifier: Verifier | VerifierOptions;
  /**
   * How claims become an identity (default: `sub`, `scope`/`scp`/`permissions`, `sid`, `jti`). Throw
   * `AuthForbiddenError` to refuse a valid identity by policy (a suspended tenant, a banned user): the handshake is
   * refused with `AUTH_FORBIDDEN` / action `none` and `@sockauth/client` stops without retrying. Any other error
   * refuses with `AUTH_INVALID`; an `AuthUnavailableError` (your user store is down) asks the client to retry.
   *
   * @example
   * ```ts
   * mapClaims: (claims) => {
   *   if (suspendedTenants.has(claims.tenant)) throw new AuthForbiddenError('tenant suspended');
   *   return defaultMapClaims(claims);
   * }
   * ```
   */
  readonly mapClaims?: ClaimsMapper<TClaims>;
  /**
   * Handshake token sources, in order (default `['auth', 'header']`, plus `'cookie'`/`'query'` when configured).
   * A function is a custom {@link TokenExtractor}.
   */
  readonly tokenSources?: readonly TokenSource[];
  /** Accept the token from a cookie, only from allowed origins. */
  readonly cookie?: CookieTokenOptions;
  /**
   * Accept the token from the query string (`?token=`). Off by default: URLs end up in proxy and server logs.
   * When on, the token is still redacted from everything sockauth emits and from `handshake.url`/`query`.
   */
  readonly allowQueryToken?: boolean | { readonly param: string };
  /** Permissions per event. */
  readonly events?: EventPermissions;
  /** Events no map entry or guard covers: refused (`'deny'`, default) or allowed to any authenticated socket. */
  readonly unlistedEvents?: UnlistedEventPolicy;
  /**
   * Live policy `(context, event, args)`, called after the static permission check of every event (and guard),
   * with the context in force and the event's arguments without the ack ({@link AuthorizeArgs}: `emit('join',
   * { room }, ack)` → `[{ room }]`), the same shape as on NestJS. Events of one socket are decided in arrival order.
   */
  readonly authorize?: AuthorizeHook<AuthContext<TClaims>>;
  /**
   * Decides every event that passed the checks above (context in force, `events` / `unlistedEvents`,
   * `authorize`), with that context, before it is let through; its refusals are acked and reported like sockauth's
   * own. See {@link EventGate}.
   */
  readonly eventGate?: EventGate<TClaims>;
  /** Revocation store (default: a new in-memory store). */
  readonly revocationStore?: RevocationStore;
  /** Emit `auth:expiring` this many seconds before `exp` (default 30). */
  readonly warnBeforeSec?: number;
  /** After the deadline, accept only `auth:refresh` for this many seconds instead of disconnecting (default 0). */
  readonly graceSec?: number;
  /** Re-auth attempts allowed per socket per minute (default 10). */
  readonly maxReauthsPerMinute?: number;
  /**
   * How far ahead of this server's clock the token issuer's clock may run, in seconds (default: the verifier's
   * `clockToleranceSec`). `revoke({ subject })` covers every token whose `iat` is up to this much after the
   * revocation. Set `0` when your identity provider shares this server's clock and stamps `iat` with millisecond
   * precision, so a user can log in again right after a revocation.
   *
   * @example
   * ```ts
   * createSockAuth({ verifier, issuerClockSkewSec: 0 }); // tokens minted in-process with iat = Date.now() / 1000
   * ```
   */
  readonly issuerClockSkewSec?: number;
  /**
   * Namespaces left unauthenticated when attached to a server (explicit opt-out; default none): names
   * (`'/public'`), patterns or predicates ({@link NamespaceRule}), decided per concrete namespace name (each
   * dynamic child of a regex namespace on its own name).
   */
  readonly skipNamespaces?: readonly NamespaceRule[];
  /**
   * Sockets one Engine.IO connection may have authenticated (or being verified) at once, across all namespaces
   * (default 32). socket.io-client opens one socket per namespace on a connection, so this only stops a client
   * that sends CONNECT packets in a loop. Handshakes over the bound are refused before any verification with
   * `AUTH_UNAVAILABLE` (action `retry`); a slot frees as soon as a socket disconnects or is refused.
   *
   * @example
   * ```ts
   * sockAuth(io, { verifier, maxSocketsPerConnection: 8 });
   * ```
   */
  readonly maxSocketsPerConnection?: number;
  /**
   * Which rooms a context may be in ({@link RoomPolicies}: pattern → requirement). When set, join through
   * `auth.join(socket, room)`; after every change of a socket's context (re-auth, `reevaluate`) the rooms it may no
   * longer be in are left and the client gets `auth:room-left { room, code, action }`. Default: no room policy
   * (`auth.join` refuses every room).
   *
   * @example
   * ```ts
   * sockAuth(io, { verifier, rooms: { '*': 'chat:read', 'staff-*': ['chat:read', 'chat:admin'], 'user:{sub}': null } });
   * ```
   */
  readonly rooms?: RoomPolicies;
  /** Rooms no rule of {@link rooms} covers: refused (`'deny'`, default) or admitted for any authenticated socket. */
  readonly unlistedRooms?: UnlistedRoomPolicy;
  /** Called after a successful re-auth (after its ack), e.g. to rejoin rooms the new context allows again. */
  readonly onContextChange?: (
    socket: Socket,
    change: { readonly previous: AuthContext<TClaims>; readonly current: AuthContext<TClaims> },
  ) => void | Promise<void>;
  /** Observability hooks. */
  readonly hooks?: SockAuthHooks;
  /**
   * A pino-compatible logger (`{ debug, info, warn, error }`, each called as `(obj, msg)`; `console` works too)
   * for refusals, re-auths, revocations, expiries and rate limiting. It only ever receives objects sockauth builds
   * from safe fields (code, stage, socket id, namespace, subject, event name, the handshake URL with token
   * parameters redacted): never a token, a header, a cookie or a claim. Default: no logging.
   */
  readonly logger?: AuthLogger;
  /**
   * Per-socket event rate limit (default `false`: off). Events over the limit are refused before any permission
   * check or handler with `AUTH_UNAVAILABLE` (action `retry`); a socket that keeps flooding is disconnected with
   * `auth:error` `AUTH_UNAVAILABLE`. Every event counts, `auth:refresh` included. See {@link EventRateLimitOptions}.
   *
   * @example
   * ```ts
   * sockAuth(io, { verifier, eventRateLimit: { perSecond: 20, burst: 40 } });
   * ```
   */
  readonly eventRateLimit?: EventRateLimitOptions | false;
}

/**
 * Every option of {@link SockAuthOptions}, each mapped to `true`: what `createSockAuth` accepts (any other key is a
 * `TypeError` naming the nearest of these). For integrations that take the same options plus their own.
 *
 * @example
 * ```ts
 * const { eventGate: _, ...shared } = SOCK_AUTH_OPTION_KEYS;
 * const MY_OPTION_KEYS = { ...shared, myOption: true } as const satisfies KnownKeys<MyOptions>;
 * ```
 */
export const SOCK_AUTH_OPTION_KEYS = Object.freeze({
  verifier: true,
  mapClaims: true,
  tokenSources: true,
  cookie: true,
  allowQueryToken: true,
  events: true,
  unlistedEvents: true,
  authorize: true,
  eventGate: true,
  revocationStore: true,
  warnBeforeSec: true,
  graceSec: true,
  maxReauthsPerMinute: true,
  skipNamespaces: true,
  onContextChange: true,
  hooks: true,
  logger: true,
  eventRateLimit: true,
  maxSocketsPerConnection: true,
  issuerClockSkewSec: true,
  rooms: true,
  unlistedRooms: true,
} as const satisfies KnownKeys<SockAuthOptions>);

/**
 * `socket.data` of an authenticated socket: the fourth type parameter of Socket.IO's `Server`, so handlers read
 * `socket.data.auth` typed. Extend it with your own fields.
 *
 * @example
 * ```ts
 * interface SocketData extends SockAuthSocketData<AppClaims> { joinedAt: number }
 * const io = new Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>(httpServer);
 * const auth = sockAuth(io, { verifier, mapClaims: (claims: AppClaims) => defaultMapClaims(claims) });
 * io.on('connection', (socket) => socket.data.auth?.claims.tenant); // string | undefined
 * ```
 */
export interface SockAuthSocketData<TClaims extends JWTPayload = JWTPayload> {
  /**
   * The context in force; removed on disconnect, expiry and revocation. A snapshot for convenience: prefer
   * `auth.contextOf(socket)`, which also answers `undefined` the moment a token expires or is revoked.
   */
  auth?: AuthContext<TClaims>;
}
