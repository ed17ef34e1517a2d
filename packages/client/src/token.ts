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
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return {};
  let claims: unknown;
  try {
    claims = JSON.parse(decodeBase64Url(parts[1]));
  } catch {
    return {};
  }
  if (typeof claims !== 'object' || claims === null) return {};
  const { exp, iat } = claims as { exp?: unknown; iat?: unknown };
  return {
    ...(isSeconds(exp) && { expiresAt: exp * 1000 }),
    ...(isSeconds(iat) && { issuedAtSec: iat }),
  };
}

function isSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

function decodeBase64Url(text: string): string {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new TextDecoder().decode(bytes);
}
