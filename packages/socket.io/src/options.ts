import type {
  AuthContext,
  AuthErrorCode,
  AuthorizeHook,
  ClaimsMapper,
  RevocationKind,
  RevocationStore,
  Verifier,
  VerifierOptions,
} from '@sockauth/core';
import type { Socket } from 'socket.io';
import type { EventPermissions, UnlistedEventPolicy } from './event-policy.js';
import type { CookieTokenOptions, TokenExtractor, TokenSource } from './token-extraction.js';

/** Where an authentication failure happened. */
export type FailureStage = 'handshake' | 'recovery' | 'event' | 'reauth';

/** Observability hooks. None of them ever receives a token. Exceptions thrown by hooks are swallowed. */
export interface SockAuthHooks {
  /** A handshake, recovery, event or re-auth was refused. */
  onAuthFailure?(info: {
    readonly code: AuthErrorCode;
    readonly stage: FailureStage;
    readonly socketId: string;
    readonly namespace: string;
    /** The refused event, for stage `event`. */
    readonly event?: string;
  }): void;
  /** A socket authenticated (handshake or recovery). */
  onAuthenticated?(info: { readonly socketId: string; readonly namespace: string; readonly subject: string }): void;
  /** A re-auth succeeded. */
  onReauth?(info: { readonly socketId: string; readonly subject: string; readonly version: number }): void;
  /** A live socket was cut by a revocation. */
  onRevoke?(info: {
    readonly socketId: string;
    readonly subject: string;
    readonly kind: RevocationKind;
  }): void;
  /** A live socket was cut because its token expired. */
  onExpire?(info: { readonly socketId: string; readonly subject: string }): void;
}

/** Options of {@link createSockAuth}. */
export interface SockAuthOptions {
  /**
   * How tokens are verified: a verifier from `createVerifier`, or the options to build one
   * (`{ algorithms: ['HS256'], secret, issuer, audience }`).
   */
  readonly verifier: Verifier | VerifierOptions;
  /** How claims become an identity (default: `sub`, `scope`/`scp`/`permissions`, `sid`, `jti`). */
  readonly mapClaims?: ClaimsMapper;
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
  /** Live policy, called after the static permission check of every event (and guard). */
  readonly authorize?: AuthorizeHook;
  /** Revocation store (default: a new in-memory store). */
  readonly revocationStore?: RevocationStore;
  /** Emit `auth:expiring` this many seconds before `exp` (default 30). */
  readonly warnBeforeSec?: number;
  /** After the deadline, accept only `auth:refresh` for this many seconds instead of disconnecting (default 0). */
  readonly graceSec?: number;
  /** Re-auth attempts allowed per socket per minute (default 10). */
  readonly maxReauthsPerMinute?: number;
  /**
   * Namespaces left unauthenticated when attached to a server (explicit opt-out; default none).
   * Names (`'/public'`) or patterns.
   */
  readonly skipNamespaces?: readonly (string | RegExp)[];
  /** Called after a successful re-auth, e.g. to leave rooms the new permissions no longer allow. */
  readonly onContextChange?: (
    socket: Socket,
    change: { readonly previous: AuthContext; readonly current: AuthContext },
  ) => void | Promise<void>;
  /** Observability hooks. */
  readonly hooks?: SockAuthHooks;
}

/** `socket.data` of an authenticated socket. */
export interface SockAuthSocketData {
  /** The context in force; removed on disconnect, expiry and revocation. */
  auth?: AuthContext;
}
