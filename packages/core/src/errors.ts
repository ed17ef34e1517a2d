/**
 * The one error taxonomy of sockauth. Every package maps failures to exactly one of these codes at its edge;
 * no adapter invents its own. This file has no imports so it can be bundled for browsers
 * (`@sockauth/core/errors`).
 */

/** Every error code sockauth can produce. `switch (err.code)` narrows on it. */
export type AuthErrorCode =
  | 'AUTH_MISSING'
  | 'AUTH_INVALID'
  | 'AUTH_EXPIRED'
  | 'AUTH_NOT_YET_VALID'
  | 'AUTH_REVOKED'
  | 'AUTH_IDENTITY_MISMATCH'
  | 'AUTH_STALE'
  | 'AUTH_FORBIDDEN'
  | 'AUTH_UNAVAILABLE';

/**
 * What a client should do about an error:
 * `login` (send the user to log in again), `refresh` (get a fresh token), `retry` (back off and try again),
 * `none` (the identity is fine and no token changes the answer: only this action was refused). On an event the
 * connection stays; at the handshake (or as the reason of a cut) the refused action is the connection itself, a
 * policy refusal (suspended tenant, banned user, too many sockets): do not reconnect automatically, the app must act.
 */
export type AuthAction = 'login' | 'refresh' | 'retry' | 'none';

/** The serialisable shape of an error, as sent on the wire (`err.data`, acks, `auth:error`). */
export interface AuthErrorPayload {
  readonly code: AuthErrorCode;
  readonly action: AuthAction;
  readonly message: string;
}

/** The client action for each code. */
export const AUTH_ACTIONS: Readonly<Record<AuthErrorCode, AuthAction>> = Object.freeze({
  AUTH_MISSING: 'login',
  AUTH_INVALID: 'login',
  AUTH_EXPIRED: 'refresh',
  AUTH_NOT_YET_VALID: 'retry',
  AUTH_REVOKED: 'login',
  AUTH_IDENTITY_MISMATCH: 'login',
  AUTH_STALE: 'refresh',
  AUTH_FORBIDDEN: 'none',
  AUTH_UNAVAILABLE: 'retry',
});

/** All codes, in taxonomy order. */
export const AUTH_ERROR_CODES: readonly AuthErrorCode[] = Object.freeze(Object.keys(AUTH_ACTIONS) as AuthErrorCode[]);

const DEFAULT_MESSAGES: Readonly<Record<AuthErrorCode, string>> = {
  AUTH_MISSING: 'no credentials presented',
  AUTH_INVALID: 'invalid token',
  AUTH_EXPIRED: 'token expired',
  AUTH_NOT_YET_VALID: 'token not yet valid',
  AUTH_REVOKED: 'token revoked',
  AUTH_IDENTITY_MISMATCH: 're-authentication with a different identity',
  AUTH_STALE: 'token older than the one in force',
  AUTH_FORBIDDEN: 'forbidden',
  AUTH_UNAVAILABLE: 'authentication temporarily unavailable',
};

/**
 * A brand shared by every copy of this module, so `isAuthError` works even when a CJS and an ESM copy of
 * `@sockauth/core` are loaded side by side (the dual-package hazard), where `instanceof` would not.
 */
const BRAND = Symbol.for('@sockauth/core.AuthError');

/** A safe summary of an underlying failure. We never keep the original error, which may carry claims. */
export interface AuthErrorCause {
  /** Name of the underlying error class, e.g. `JWTClaimValidationFailed`. */
  readonly name: string;
  /** Library error code when it had one, e.g. `ERR_JWT_EXPIRED`. */
  readonly code?: string;
  /** The claim that failed, for claim validation errors. */
  readonly claim?: string;
}

/** Options accepted by every {@link AuthError} constructor. */
export interface AuthErrorOptions {
  /** A sanitised description of what caused the error. */
  readonly cause?: AuthErrorCause;
}

/**
 * Base class of every sockauth error. `code` and `action` are stable; `message` is safe to show and log and
 * never contains a token or key material.
 *
 * @example
 * ```ts
 * try { await verifier.verify(token); } catch (err) {
 *   if (isAuthError(err)) switch (err.code) { case 'AUTH_EXPIRED': return refresh(); }
 * }
 * ```
 */
export abstract class AuthError extends Error {
  /** The code of this error class. */
  static readonly code: AuthErrorCode;
  /** The stable, machine-readable code. */
  abstract readonly code: AuthErrorCode;
  /** A sanitised cause, when there was one. Non-enumerable so serialisers skip it. */
  declare readonly cause?: AuthErrorCause;
  declare readonly [BRAND]: true;

  constructor(message?: string, options?: AuthErrorOptions) {
    super(message);
    Object.defineProperty(this, BRAND, { value: true });
    Object.defineProperty(this, 'name', { value: new.target.name, enumerable: false, configurable: true });
    if (options?.cause) {
      Object.defineProperty(this, 'cause', { value: Object.freeze({ ...options.cause }), enumerable: false });
    }
  }

  /** What the client should do: derived from `code`, never set separately. */
  get action(): AuthAction {
    return AUTH_ACTIONS[this.code];
  }

  /** The wire shape `{ code, action, message }`. */
  toJSON(): AuthErrorPayload {
    return { code: this.code, action: this.action, message: this.message };
  }
}

function defineError<C extends AuthErrorCode>(code: C) {
  return class extends AuthError {
    static override readonly code: C = code;
    readonly code: C = code;
    constructor(message: string = DEFAULT_MESSAGES[code], options?: AuthErrorOptions) {
      super(message, options);
    }
  };
}

/** No credentials were presented. Action `login`. */
export class AuthMissingError extends defineError('AUTH_MISSING') {}
/** Malformed token, bad signature, wrong algorithm/issuer/audience/type, or too large. Action `login`. */
export class AuthInvalidError extends defineError('AUTH_INVALID') {}
/** The token expired, at the handshake or on an open connection. Action `refresh`. */
export class AuthExpiredError extends defineError('AUTH_EXPIRED') {}
/** `nbf` lies in the future beyond the allowed clock skew. Action `retry`. */
export class AuthNotYetValidError extends defineError('AUTH_NOT_YET_VALID') {}
/** The token, its session or its subject was revoked. Action `login`. */
export class AuthRevokedError extends defineError('AUTH_REVOKED') {}
/** A re-auth presented another subject or session. Action `login`. */
export class AuthIdentityMismatchError extends defineError('AUTH_IDENTITY_MISMATCH') {}
/** A re-auth presented a token older than the one in force. Action `refresh`. */
export class AuthStaleError extends defineError('AUTH_STALE') {}
/**
 * Authenticated, but not allowed this action; on an event the connection stays. Thrown from `mapClaims` it refuses
 * the connection itself by policy: clients do not reconnect automatically. Action `none`.
 */
export class AuthForbiddenError extends defineError('AUTH_FORBIDDEN') {}
/** Keys or the revocation store were unreachable; nothing was decided. Action `retry`. */
export class AuthUnavailableError extends defineError('AUTH_UNAVAILABLE') {}

const CLASSES: Readonly<Record<AuthErrorCode, new (message?: string, options?: AuthErrorOptions) => AuthError>> = {
  AUTH_MISSING: AuthMissingError,
  AUTH_INVALID: AuthInvalidError,
  AUTH_EXPIRED: AuthExpiredError,
  AUTH_NOT_YET_VALID: AuthNotYetValidError,
  AUTH_REVOKED: AuthRevokedError,
  AUTH_IDENTITY_MISMATCH: AuthIdentityMismatchError,
  AUTH_STALE: AuthStaleError,
  AUTH_FORBIDDEN: AuthForbiddenError,
  AUTH_UNAVAILABLE: AuthUnavailableError,
};

/** True for any sockauth error, from any copy of this module. */
export function isAuthError(value: unknown): value is AuthError {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
}

/** True when `value` is a known error code. */
export function isAuthErrorCode(value: unknown): value is AuthErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(AUTH_ACTIONS, value);
}

/**
 * Builds the error class for `code`.
 *
 * @example
 * ```ts
 * throw createAuthError('AUTH_FORBIDDEN', 'chat:admin required');
 * ```
 */
export function createAuthError(code: AuthErrorCode, message?: string, options?: AuthErrorOptions): AuthError {
  return new CLASSES[code](message, options);
}

/**
 * Rebuilds an {@link AuthError} from its wire payload (e.g. a `connect_error`'s `err.data`), or returns
 * `undefined` when the payload is not one of ours.
 */
export function authErrorFromPayload(payload: unknown): AuthError | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const { code, message } = payload as { code?: unknown; message?: unknown };
  if (!isAuthErrorCode(code)) return undefined;
  return createAuthError(code, typeof message === 'string' ? message : undefined);
}
