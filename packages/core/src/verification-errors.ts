import { errors as joseErrors } from './jose.js';
import {
  AuthError,
  AuthExpiredError,
  AuthInvalidError,
  AuthNotYetValidError,
  AuthUnavailableError,
  isAuthError,
} from './errors.js';
import { causeOf } from './error-cause.js';

const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * Maps any verification failure to exactly one {@link AuthError}. The messages are ours, never the library's,
 * so they cannot echo token content.
 *
 * @example
 * ```ts
 * try {
 *   await jwtService.verifyAsync(token);
 * } catch (error) {
 *   throw mapVerificationError(error); // TokenExpiredError → AUTH_EXPIRED, anything unknown → AUTH_INVALID
 * }
 * ```
 */
export function mapVerificationError(error: unknown): AuthError {
  if (isAuthError(error)) return error;
  const cause = causeOf(error);
  if (error instanceof joseErrors.JWTExpired) return new AuthExpiredError(undefined, { cause });
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf' && error.reason === 'check_failed') return new AuthNotYetValidError(undefined, { cause });
    return new AuthInvalidError(`"${error.claim}" claim invalid`, { cause });
  }
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) {
    return new AuthUnavailableError('signing keys unavailable', { cause });
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return new AuthInvalidError('algorithm not allowed', { cause });
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return new AuthInvalidError('signature invalid', { cause });
  if (error instanceof joseErrors.JWKSNoMatchingKey) return new AuthInvalidError('no key matches the token', { cause });
  if (error instanceof joseErrors.JOSEError) return new AuthInvalidError('invalid token', { cause });
  // Errors of other verifiers (jsonwebtoken, used by @nestjs/jwt), recognised by name.
  switch (cause.name) {
    case 'TokenExpiredError':
      return new AuthExpiredError(undefined, { cause });
    case 'NotBeforeError':
      return new AuthNotYetValidError(undefined, { cause });
    case 'JsonWebTokenError':
      return new AuthInvalidError('invalid token', { cause });
  }
  if (cause.code !== undefined && NETWORK_ERROR_CODES.has(cause.code)) {
    return new AuthUnavailableError(undefined, { cause });
  }
  return new AuthInvalidError('invalid token', { cause });
}
