import type { AuthErrorCode } from './errors.js';
import { assertKnownKeys, isPlainObject, type KnownKeys } from './option-keys.js';
import type { RevocationKind } from './revocation.js';

/** Where an authentication failure happened. */
export type FailureStage = 'handshake' | 'recovery' | 'event' | 'reauth' | 'join';

/** What was being verified, for {@link SessionHooks.onVerify}. */
export type VerifyStage = 'handshake' | 'recovery' | 'reauth';

/** Why an authenticated connection left the live set, for {@link SessionHooks.onRelease}. */
export type ReleaseReason = 'disconnect' | 'expired' | 'revoked' | 'rate-limited' | 'forbidden' | 'closed';

/** Where a connection is: its id and namespace (a ws adapter's "namespace" is its server's path). */
export interface ConnectionWhere {
  readonly socketId: string;
  readonly namespace: string;
}

/**
 * Who a connection is, from its verified context: what an incident needs to find the user, the session and the
 * token (never a token or any other claim).
 */
export interface ConnectionIdentity {
  readonly subject: string;
  /** The context's `sid`, when it has one. */
  readonly sessionId?: string;
  /** The context's `jti`, when it has one. */
  readonly tokenId?: string;
}

/**
 * {@link SessionHooks.onAuthFailure}: a handshake, recovery, event, re-auth or join was refused. `subject`,
 * `sessionId` and `tokenId` are those of the context in force (events, re-auths, joins), never read from a refused
 * token: a handshake refusal carries none.
 */
export interface AuthFailureInfo extends ConnectionWhere, Partial<ConnectionIdentity> {
  readonly code: AuthErrorCode;
  readonly stage: FailureStage;
  /**
   * The refused event, for stage `event`: client-chosen, so passed through `redactTokenLike` (a token-shaped or
   * over-long name is replaced by its fingerprint).
   */
  readonly event?: string;
  /** The refused room, for stage `join` (client-chosen: passed through `redactTokenLike` too). */
  readonly room?: string;
}

/** {@link SessionHooks.onAuthenticated}: a connection authenticated and is connected: it is now live. */
export interface AuthenticatedInfo extends ConnectionWhere, ConnectionIdentity {
  /** When the context ends (`exp`, ms since the epoch). */
  readonly expiresAt: number;
  /** `handshake`, or `recovery` for a Socket.IO socket restored by connection state recovery. */
  readonly stage: 'handshake' | 'recovery';
}

/** {@link SessionHooks.onRelease}: a live connection is no longer authenticated on this node. */
export interface ReleaseInfo extends ConnectionWhere, ConnectionIdentity {
  readonly reason: ReleaseReason;
}

/** {@link SessionHooks.onVerify}: a token was verified (signature, claims, claim mapping, revocation). */
export interface VerifyInfo {
  readonly stage: VerifyStage;
  readonly durationMs: number;
  readonly outcome: 'accepted' | 'refused';
  /** The refusal code, when refused. */
  readonly code?: AuthErrorCode;
}

/** {@link SessionHooks.onReauth}: a re-auth succeeded. */
export interface ReauthInfo extends ConnectionWhere, ConnectionIdentity {
  /** The new context's version (1 at the handshake, +1 per re-auth). */
  readonly version: number;
  /** When the new context ends (ms since the epoch). */
  readonly expiresAt: number;
}

/** {@link SessionHooks.onRevoke}: a live connection was cut by a revocation. */
export interface RevokeInfo extends ConnectionWhere, ConnectionIdentity {
  readonly kind: RevocationKind;
  /**
   * When the revocation was recorded (ms epoch, the store's record time): `Date.now() - revokedAt` is how long the
   * revocation took to reach this connection (across nodes with a distributed store).
   */
  readonly revokedAt: number;
}

/** {@link SessionHooks.onExpire}: a live connection was cut because its token expired. */
export interface ExpireInfo extends ConnectionWhere, ConnectionIdentity {}

/** {@link SessionHooks.onRoomLeft}: a connection was evicted from a room its current context may not be in. */
export interface RoomLeftInfo extends ConnectionWhere, ConnectionIdentity {
  readonly room: string;
  readonly code: AuthErrorCode;
}

/** What replaced a connection's context, for {@link SessionHooks.onDowngrade}. */
export type DowngradeReason = 'reauth' | 'reevaluate';

/**
 * {@link SessionHooks.onDowngrade}: a live connection's context was replaced by one that lacks a permission the
 * previous one had (an in-band re-auth with a token granting less, or a re-evaluation under a live restriction).
 * The identity is the new context's (after a re-auth, the new token's `jti`).
 */
export interface DowngradeInfo extends ConnectionWhere, ConnectionIdentity {
  readonly reason: DowngradeReason;
  /**
   * The permissions the previous context granted and the new one does not, literally or through a wildcard,
   * sorted (a wildcard lost counts as itself: `chat:*` replaced by `chat:read` loses `chat:*`). Never empty.
   */
  readonly lost: readonly string[];
  /** The new context's version (a re-evaluation keeps the version). */
  readonly version: number;
}

/**
 * {@link SessionHooks.onAnonymous}: a connection the adapter admitted without authentication, on purpose (a
 * Socket.IO namespace in `skipNamespaces`, a Nest `@Public()` gateway's namespace or `ws` path), connected or left.
 */
export interface AnonymousInfo extends ConnectionWhere {
  /** `connected`, then exactly one `disconnected` when it is gone. */
  readonly phase: 'connected' | 'disconnected';
}

/**
 * Observability hooks, the same for every transport adapter. None of them ever receives a token. Exceptions
 * thrown by hooks are swallowed. A hook that is not set costs nothing (verification is only timed when `onVerify`
 * is set).
 *
 * @example
 * ```ts
 * const hooks: SessionHooks = {
 *   onAuthFailure: ({ code, stage }) => failures.inc({ code, stage }),
 *   onRevoke: ({ revokedAt }) => revocationLag.observe(Date.now() - revokedAt),
 * };
 * ```
 */
export interface SessionHooks {
  /** A handshake, recovery, event, re-auth or room join was refused. */
  onAuthFailure?(info: AuthFailureInfo): void;
  /** A connection authenticated and is connected: it is now live. Every live connection later gets one {@link onRelease}. */
  onAuthenticated?(info: AuthenticatedInfo): void;
  /** A live connection (one that got {@link onAuthenticated}) is no longer authenticated on this node. */
  onRelease?(info: ReleaseInfo): void;
  /** A token was verified at a handshake, a recovery or a re-auth; only measured when this hook is set. */
  onVerify?(info: VerifyInfo): void;
  /** A re-auth succeeded. */
  onReauth?(info: ReauthInfo): void;
  /** A live connection was cut by a revocation. */
  onRevoke?(info: RevokeInfo): void;
  /** A live connection was cut because its token expired. */
  onExpire?(info: ExpireInfo): void;
  /** A connection left a room its current context may no longer be in (after a re-auth or a re-evaluation). */
  onRoomLeft?(info: RoomLeftInfo): void;
  /**
   * A live connection's context was replaced by one with fewer permissions (a re-auth or a re-evaluation), whether
   * or not it left a room; called in the tick the new context takes effect, before its room evictions. An equal or
   * wider context calls nothing; nothing is compared when this hook is not set.
   */
  onDowngrade?(info: DowngradeInfo): void;
  /**
   * A connection admitted without authentication (an open namespace or path) connected, or left: it has no
   * context, so no other hook sees it. Adapters only watch such connections when this hook is set.
   */
  onAnonymous?(info: AnonymousInfo): void;
}

/** Every hook of {@link SessionHooks}: the typecheck fails if the two drift apart. */
export const SESSION_HOOK_KEYS = {
  onAuthFailure: true,
  onAuthenticated: true,
  onRelease: true,
  onVerify: true,
  onReauth: true,
  onRevoke: true,
  onExpire: true,
  onRoomLeft: true,
  onDowngrade: true,
  onAnonymous: true,
} as const satisfies KnownKeys<SessionHooks>;

/**
 * Checks the `hooks` option: every hook set must be a function, and an object literal may hold nothing but hooks
 * (a misspelt hook would never run). An instance of a class of hooks may keep other state of its own.
 */
export function validateHooks(hooks: unknown, option = 'sockAuth options.hooks'): SessionHooks {
  if (hooks === undefined) return {};
  if (typeof hooks !== 'object' || hooks === null) throw new TypeError(`sockauth: "hooks" must be an object`);
  if (isPlainObject(hooks)) assertKnownKeys(option, hooks as object, SESSION_HOOK_KEYS, 'hook');
  for (const name of Object.keys(SESSION_HOOK_KEYS)) {
    const hook: unknown = (hooks as Record<string, unknown>)[name];
    if (hook !== undefined && typeof hook !== 'function') throw new TypeError(`sockauth: hook "${name}" must be a function`);
  }
  return hooks as SessionHooks;
}

/** The identity fields of a hook payload, from a context (absent members left out, not set to `undefined`). */
export function identityOf(context: { readonly subject: string; readonly sessionId?: string; readonly tokenId?: string }): ConnectionIdentity {
  return {
    subject: context.subject,
    ...(context.sessionId !== undefined && { sessionId: context.sessionId }),
    ...(context.tokenId !== undefined && { tokenId: context.tokenId }),
  };
}

/** Runs a hook or another user callback: observability and user callbacks must never break authentication. */
export function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // Swallowed on purpose.
  }
}
