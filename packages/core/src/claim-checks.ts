import { errors as joseErrors, type JWTPayload, type JWTVerifyOptions } from './jose.js';
import { AuthExpiredError, AuthInvalidError } from './errors.js';
import { tokenHasDuplicateMembers } from './duplicate-members.js';
import type { ResolvedVerifierOptions, VerifierOptions } from './verifier-options.js';

/**
 * The claim checks jose's `jwtVerify` makes for a verifier: `iss`, `aud`, `typ`, `maxTokenAge` (which needs `iat`),
 * the required claims and the clock tolerance. The verifier adds its own afterwards ({@link checkClaims}).
 */
export function joseClaimOptions(options: VerifierOptions, resolved: ResolvedVerifierOptions): JWTVerifyOptions {
  const { algorithms, clockToleranceSec, requiredClaims, maxTokenAgeSec } = resolved;
  return {
    algorithms: [...algorithms],
    clockTolerance: clockToleranceSec,
    requiredClaims: [...requiredClaims, ...(maxTokenAgeSec !== undefined ? ['iat'] : [])],
    // Copied: a caller mutating its array afterwards must not change what cached verifications were checked against.
    ...(options.issuer !== undefined && { issuer: copyIfArray(options.issuer) }),
    ...(options.audience !== undefined && { audience: copyIfArray(options.audience) }),
    ...(options.typ !== undefined && { typ: options.typ }),
    ...(maxTokenAgeSec !== undefined && { maxTokenAge: maxTokenAgeSec }),
  };
}

function copyIfArray(value: string | readonly string[]): string | string[] {
  return typeof value === 'string' ? value : [...value];
}

/** Claims holding NumericDate values (seconds since the epoch). */
const NUMERIC_DATE_CLAIMS = ['exp', 'nbf', 'iat'] as const;
/** The largest time a JavaScript `Date` can hold, in seconds (±8.64e15 ms). */
const MAX_NUMERIC_DATE_SEC = 8.64e12;

/**
 * The checks made after any signature check, jose's or a custom verifier's: a JSON object, the required claims
 * present, `exp` a number, every time claim a real date, and not expired at `nowMs`.
 */
export function checkClaims(
  payload: unknown,
  requiredClaims: readonly string[],
  nowMs: number,
  toleranceSec: number,
): JWTPayload & { exp: number } {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new AuthInvalidError('claims must be a JSON object');
  }
  const claims = payload as JWTPayload;
  for (const claim of requiredClaims) {
    if (!Object.prototype.hasOwnProperty.call(claims, claim)) {
      throw new AuthInvalidError(`"${claim}" claim is required`, { cause: { name: 'ClaimMissing', claim } });
    }
  }
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) {
    throw new AuthInvalidError('"exp" claim must be a number', { cause: { name: 'ClaimType', claim: 'exp' } });
  }
  // JSON turns 1e400 into Infinity, which jose accepts as a number: a time that is not a real date (or lies
  // beyond what a Date can hold) would disable the check it belongs to, or break date arithmetic downstream.
  for (const claim of NUMERIC_DATE_CLAIMS) {
    const value = claims[claim];
    if (value !== undefined && (typeof value !== 'number' || !(Math.abs(value) <= MAX_NUMERIC_DATE_SEC))) {
      throw new AuthInvalidError(`"${claim}" claim is not a valid time`, { cause: { name: 'ClaimType', claim } });
    }
  }
  // Re-checked even after jose: a custom verifier may ignore expiry, and the connection logic relies on it.
  if (claims.exp * 1000 + toleranceSec * 1000 <= nowMs) throw new AuthExpiredError();
  return claims as JWTPayload & { exp: number };
}

/** Refuses tokens whose header or payload repeats a member name (see duplicate-members.ts). */
export function assertUniqueMembers(token: string): void {
  if (tokenHasDuplicateMembers(token)) {
    throw new AuthInvalidError('duplicate member names in the token', { cause: { name: 'DuplicateMembers' } });
  }
}

/**
 * Re-applies, for a cached result, every check of `jwtVerify` that depends on the current time, exactly as jose
 * does (`validateClaimsSet`): `nbf` (with tolerance), `exp` (with tolerance), and with `maxTokenAge` the age of
 * `iat` both ways, in that order, throwing jose's own errors so they map to the same {@link AuthError}s. The
 * other checks (signature, alg, iss, aud, typ, required claims, duplicate members) depend only on the token's
 * bytes and the verifier's fixed configuration, so they cannot change between two presentations.
 * @internal
 */
export function recheckTimeClaims(
  payload: JWTPayload,
  nowMs: number,
  toleranceSec: number,
  maxTokenAgeSec: number | undefined,
): void {
  // jose's `epoch(currentDate)`: whole seconds, rounded down.
  const now = Math.floor(nowMs / 1000);
  const { nbf, exp, iat } = payload;
  if (nbf !== undefined && nbf > now + toleranceSec) {
    throw new joseErrors.JWTClaimValidationFailed('"nbf" claim timestamp check failed', payload, 'nbf', 'check_failed');
  }
  if (exp !== undefined && exp <= now - toleranceSec) {
    throw new joseErrors.JWTExpired('"exp" claim timestamp check failed', payload, 'exp', 'check_failed');
  }
  if (maxTokenAgeSec !== undefined) {
    const age = now - iat!;
    if (age - toleranceSec > maxTokenAgeSec) {
      throw new joseErrors.JWTExpired('"iat" claim timestamp check failed (too far in the past)', payload, 'iat', 'check_failed');
    }
    if (age < -toleranceSec) {
      throw new joseErrors.JWTClaimValidationFailed(
        '"iat" claim timestamp check failed (it should be in the past)', payload, 'iat', 'check_failed',
      );
    }
  }
}

/**
 * When a verified payload stops being valid, in ms: at `exp` + tolerance, and with `maxTokenAgeSec` after the last
 * whole second jose still accepts (it compares whole seconds: `now - iat - tolerance > maxTokenAge` fails).
 */
export function validUntil(
  payload: JWTPayload & { exp: number },
  toleranceSec: number,
  maxTokenAgeSec: number | undefined,
): number {
  const expires = payload.exp + toleranceSec;
  const tooOld = maxTokenAgeSec === undefined ? Infinity : Math.floor(payload.iat! + maxTokenAgeSec + toleranceSec) + 1;
  return Math.min(expires, tooOld) * 1000;
}
