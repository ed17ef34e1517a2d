import type { AuthContext } from './auth-context.js';
import type { AuthLogger } from './auth-logger.js';
import { CONNECTION_AUTH_OPTION_KEYS, type ConnectionAuthOptions } from './connection-auth.js';
import type { AuthError } from './errors.js';
import type { EventPermissions, UnlistedEventPolicy } from './event-policy.js';
import type { EventRateLimitOptions } from './event-rate-limit.js';
import type { KnownKeys } from './option-keys.js';
import type { AuthorizeArgs, AuthorizeHook } from './permissions.js';
import type { RoomPolicies, UnlistedRoomPolicy } from './room-policy.js';
import type { SessionHooks } from './session-hooks.js';
import type { JWTPayload } from 'jose';

/**
 * What an {@link EventGate} decides: `undefined` lets the event through; an `AuthError` refuses it (acked
 * `{ error: { code, action, message } }` and reported like sockauth's own refusals); a promise of either decides
 * later. Anything else, a rejected promise or a gate that throws, refuses the event (fail closed:
 * `AUTH_UNAVAILABLE` unless an `AuthError` was thrown).
 */
export type EventGateVerdict = AuthError | undefined | PromiseLike<AuthError | undefined>;

/**
 * A further check of every event that passed sockauth's own checks, with the context in force. It only decides
 * (see {@link EventGateVerdict}): acking and reporting a refusal are sockauth's. For framework integrations:
 * `@sockauth/nestjs` enforces its permission decorators with it. `H` is the transport's connection (a Socket.IO
 * `Socket`, a `ws` `WebSocket`); `args` are the event's arguments without the ack.
 *
 * @example
 * ```ts
 * const eventGate: EventGate = (socket, event, args, context) =>
 *   event.startsWith('admin:') && !context.permissions.has('chat:admin') ? new AuthForbiddenError() : undefined;
 * ```
 */
export type EventGate<H = unknown, TClaims extends JWTPayload = JWTPayload> = (
  handle: H,
  event: string,
  args: AuthorizeArgs,
  context: AuthContext<TClaims>,
) => EventGateVerdict;

/** Called after a successful re-auth (after its ack), with the context before and after. */
export type OnContextChange<H = unknown, TClaims extends JWTPayload = JWTPayload> = (
  handle: H,
  change: { readonly previous: AuthContext<TClaims>; readonly current: AuthContext<TClaims> },
) => void | Promise<void>;

/**
 * What every transport adapter's options share: how tokens are verified and mapped, the connection lifecycle
 * (expiry, grace, re-auth limits, revocation), what each event and room needs, and observability. Adapters add
 * their transport's own (token sources, namespaces or paths).
 *
 * @example
 * ```ts
 * const shared: SessionOptions = {
 *   verifier,
 *   events: { 'chat:send': 'chat:write' },
 *   rooms: { '*': 'chat:read', 'staff-*': ['chat:read', 'chat:admin'] },
 * };
 * ```
 */
export interface SessionOptions<H = unknown, TClaims extends JWTPayload = JWTPayload> extends ConnectionAuthOptions<TClaims> {
  /** Permissions per event (exact names or `prefix*` patterns). */
  readonly events?: EventPermissions;
  /** Events no map entry covers: refused (`'deny'`, default) or allowed to any authenticated connection. */
  readonly unlistedEvents?: UnlistedEventPolicy;
  /**
   * Live policy `(context, action, args)`, called after the static permission check of every event (and guard,
   * room join and room re-check), with the context in force. Events of one connection are decided in arrival order.
   */
  readonly authorize?: AuthorizeHook<AuthContext<TClaims>>;
  /** Decides every event that passed the checks above. See {@link EventGate}. */
  readonly eventGate?: EventGate<H, TClaims>;
  /** Per-connection event rate limit (default `false`: off). */
  readonly eventRateLimit?: EventRateLimitOptions | false;
  /**
   * Which rooms a context may be in ({@link RoomPolicies}). When set, joins go through the policy and every change
   * of a connection's context re-checks its rooms (`auth:room-left` for each one left). Default: no room policy.
   */
  readonly rooms?: RoomPolicies;
  /** Rooms no rule of {@link rooms} covers: refused (`'deny'`, default) or admitted for any authenticated context. */
  readonly unlistedRooms?: UnlistedRoomPolicy;
  /** Called after a successful re-auth, e.g. to rejoin rooms the new context allows (sockauth never rejoins). */
  readonly onContextChange?: OnContextChange<H, TClaims>;
  /** Observability hooks. */
  readonly hooks?: SessionHooks;
  /** A pino-compatible logger (`console` works too). It only ever receives records built from safe fields. */
  readonly logger?: AuthLogger;
}

/** Every option of {@link SessionOptions}: the typecheck fails if the two drift apart. */
export const SESSION_OPTION_KEYS = {
  ...CONNECTION_AUTH_OPTION_KEYS,
  events: true,
  unlistedEvents: true,
  authorize: true,
  eventGate: true,
  eventRateLimit: true,
  rooms: true,
  unlistedRooms: true,
  onContextChange: true,
  hooks: true,
  logger: true,
} as const satisfies KnownKeys<SessionOptions>;
