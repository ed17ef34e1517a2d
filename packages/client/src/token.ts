import { decodeJwt } from '@sockauth/core/jose';

/** What a token says about its own lifetime, read WITHOUT verification: for scheduling only, never for trust. */
export interface TokenTimes {
  /** `exp` in ms since the epoch (the issuer's clock, which is what the server reports as `expiresAt`). */
  readonly expiresAt?: number;
  /** `iat` in seconds. */
  readonly issuedAtSec?: number;
}

/** Tokens larger than this are not decoded (the server refuses them anyway). */
const MAX_DECODED_LENGTH = 16 * 1024;

/** Reads `exp` and `iat` from a JWT's payload. Any other string (an opaque token) gives `{}`. */
export function readTokenTimes(token: string): TokenTimes {
  if (token.length > MAX_DECODED_LENGTH) return {};
  let claims: { exp?: unknown; iat?: unknown };
  try {
    // jose's unverified decode: three parts, a base64url JSON object, else it throws.
    claims = decodeJwt(token);
  } catch {
    return {};
  }
  const { exp, iat } = claims;
  return {
    ...(isSeconds(exp) && { expiresAt: exp * 1000 }),
    ...(isSeconds(iat) && { issuedAtSec: iat }),
  };
}

function isSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}
