import type { AuthAction, AuthError, AuthErrorCode } from './errors.js';
import type { RevocationKind } from './revocation.js';
import type { FailureStage, VerifyStage } from './session-hooks.js';

/**
 * A pino-compatible logger: four methods called as `(obj, msg)`. A pino logger (or a child of one) fits as is;
 * so does `console`.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * sockAuth(io, { verifier, logger: pino({ name: 'sockauth' }) }); // any adapter's `logger` option
 * ```
 */
export interface AuthLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** The level of one log line. */
export type LogLevel = keyof AuthLogger;

/**
 * Every object sockauth hands to the logger has this shape, built field by field from values sockauth itself
 * produced or validated. Nothing is ever copied from the handshake, a header, a cookie, a payload or the claims,
 * so a token cannot reach the logger, however it was sent.
 */
export interface AuthLogRecord {
  /** What happened. */
  readonly sockauth:
    | 'refused'
    | 'authenticated'
    | 'reauthenticated'
    | 'revoked'
    | 'expired'
    | 'rate-limited'
    | 'retention-too-short'
    | 'internals-unsupported'
    | 'room-left'
    | 'reevaluated'
    /** An application handler a transport runs for a message (ws's `on(type, handler)`) threw: not acked. */
    | 'handler-error';
  readonly socketId: string;
  readonly namespace: string;
  /** Where a refusal happened. */
  readonly stage?: FailureStage | VerifyStage;
  readonly code?: AuthErrorCode;
  readonly action?: AuthAction;
  /** The subject of the context in force (never taken from an unverified token). */
  readonly subject?: string;
  /** The refused event's name (at most 100 characters). */
  readonly event?: string;
  /** The handshake URL with every token-carrying query parameter redacted (`redactUrl`). */
  readonly url?: string;
  /** The sanitised cause of a refusal: the failing check's class name, library code and claim name. */
  readonly cause?: { readonly name: string; readonly code?: string; readonly claim?: string };
  /** For `revoked`: what the revocation applied to. */
  readonly revocation?: RevocationKind;
  /** For `reauthenticated`: the new context version. */
  readonly version?: number;
  /** For `retention-too-short`: the revocation store's retention (seconds). */
  readonly retentionSec?: number;
  /** For `internals-unsupported`: the private Socket.IO member that was not the expected one (`Socket#fns`). */
  readonly member?: string;
  /** For `room-left`: the room the connection was evicted from. */
  readonly room?: string;
}

/** Checks the `logger` option at start-up. */
export function validateLogger(logger: unknown): AuthLogger | undefined {
  if (logger === undefined) return undefined;
  const methods: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  if (typeof logger !== 'object' || logger === null || methods.some((m) => typeof (logger as Record<string, unknown>)[m] !== 'function')) {
    throw new TypeError('sockauth: "logger" must have debug, info, warn and error methods (pino-compatible)');
  }
  return logger as AuthLogger;
}

/** Short, printable, bounded: for names that come from the library or the application, never from a token. */
function bounded(text: string, max = 100): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The sanitised cause of an error, copied field by field (an AuthError's cause is already sanitised). */
export function causeOf(error: AuthError): AuthLogRecord['cause'] | undefined {
  const cause = error.cause;
  if (cause === undefined) return undefined;
  return {
    name: bounded(String(cause.name), 64),
    ...(typeof cause.code === 'string' && { code: bounded(cause.code, 64) }),
    ...(typeof cause.claim === 'string' && { claim: bounded(cause.claim, 64) }),
  };
}

/** True for the refusals of a rate limit (re-auths per minute, events per second). */
export function isRateLimited(error: AuthError): boolean {
  return error.code === 'AUTH_UNAVAILABLE' && error.cause?.name === 'RateLimited';
}

/**
 * How loud a refusal is. Infrastructure failures (`AUTH_UNAVAILABLE`: keys or store unreachable) are errors
 * wherever they happen. Refused events are debug: they come in volume, one per packet, and a client can send
 * as many as it likes (the disconnect that ends a flood past the rate limit is one warning). At the handshake
 * and re-auth, refusals that point at an attack or a broken client (bad signature, revoked, identity switch,
 * replay, rate limit) are warnings, and the ordinary life of sessions (no token, expired, not yet valid) is info.
 */
export function failureLevel(error: AuthError, stage: FailureStage): LogLevel {
  if (error.code === 'AUTH_UNAVAILABLE' && !isRateLimited(error)) return 'error';
  if (stage === 'event') return 'debug';
  switch (error.code) {
    case 'AUTH_UNAVAILABLE':
      return 'warn';
    case 'AUTH_INVALID':
    case 'AUTH_REVOKED':
    case 'AUTH_IDENTITY_MISMATCH':
    case 'AUTH_STALE':
      return 'warn';
    default:
      return 'info';
  }
}
