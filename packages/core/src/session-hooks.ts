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

/** {@link SessionHooks.onAuthFailure}: a handshake, recovery, event, re-auth or join was refused. */
export interface AuthFailureInfo extends ConnectionWhere {
  readonly code: AuthErrorCode;
  readonly stage: FailureStage;
  /** The refused event, for stage `event` (at most 100 characters). */
  readonly event?: string;
}

/** {@link SessionHooks.onAuthenticated}: a connection authenticated and is connected: it is now live. */
export interface AuthenticatedInfo extends ConnectionWhere {
  readonly subject: string;
  /** `handshake`, or `recovery` for a Socket.IO socket restored by connection state recovery. */
  readonly stage: 'handshake' | 'recovery';
}

/** {@link SessionHooks.onRelease}: a live connection is no longer authenticated on this node. */
export interface ReleaseInfo extends ConnectionWhere {
  readonly subject: string;
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
export interface ReauthInfo {
  readonly socketId: string;
  readonly subject: string;
  readonly version: number;
}

/** {@link SessionHooks.onRevoke}: a live connection was cut by a revocation. */
export interface RevokeInfo {
  readonly socketId: string;
  readonly subject: string;
  readonly kind: RevocationKind;
  /**
   * When the revocation was recorded (ms epoch, the store's record time): `Date.now() - revokedAt` is how long the
   * revocation took to reach this connection (across nodes with a distributed store).
   */
  readonly revokedAt: number;
}

/** {@link SessionHooks.onExpire}: a live connection was cut because its token expired. */
export interface ExpireInfo {
  readonly socketId: string;
  readonly subject: string;
}

/** {@link SessionHooks.onRoomLeft}: a connection was evicted from a room its current context may not be in. */
export interface RoomLeftInfo extends ConnectionWhere {
  readonly subject: string;
  readonly room: string;
  readonly code: AuthErrorCode;
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

/** Runs a hook or another user callback: observability and user callbacks must never break authentication. */
export function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // Swallowed on purpose.
  }
}
