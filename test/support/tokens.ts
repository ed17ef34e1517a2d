import { randomUUID } from 'node:crypto';
import { SignJWT, generateKeyPair, type CryptoKey, type JWTPayload } from 'jose';
import type { VerifierOptions } from '@sockauth/core';

/** The HMAC secret every HS256 test server trusts (≥ 32 bytes, as the verifier requires). */
export const SECRET = 'sockauth-integration-tests-hs256-secret-0123456789';
export const ISSUER = 'https://issuer.sockauth.test';
export const AUDIENCE = 'sockauth-integration';

const hsKey = new TextEncoder().encode(SECRET);

/** Now, in whole seconds (the unit of `exp`, `iat`, `nbf`). */
export function nowSec(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * An `exp` at least `minMs` from now. `exp` is in whole seconds, so the real remaining time is between `minMs`
 * and `minMs + 1000`: tests that wait for expiry stay short without racing the second boundary.
 */
export function expAtLeast(minMs: number): number {
  return Math.ceil((Date.now() + minMs) / 1000);
}

export interface MintOptions {
  /** Lifetime in seconds from now (default 60). Ignored when `exp` is given. */
  readonly ttlSec?: number;
  /** Absolute `exp` in seconds. */
  readonly exp?: number;
  /** Absolute `iat` in seconds (default now); `false` leaves it out. */
  readonly iat?: number | false;
  /** Absolute `nbf` in seconds. */
  readonly nbf?: number;
  /** `iss` (default {@link ISSUER}); `false` leaves it out. */
  readonly issuer?: string | false;
  /** `aud` (default {@link AUDIENCE}); `false` leaves it out. */
  readonly audience?: string | false;
  /** HMAC key (default {@link SECRET}), to mint tokens with a wrong signature. */
  readonly secret?: string;
  /** Adds a random `jti` when true. */
  readonly jti?: boolean;
}

function build(claims: JWTPayload, options: MintOptions): SignJWT {
  const jwt = new SignJWT({ ...(options.jti && { jti: randomUUID() }), ...claims });
  if (options.iat !== false) jwt.setIssuedAt(options.iat ?? nowSec());
  jwt.setExpirationTime(options.exp ?? nowSec() + (options.ttlSec ?? 60));
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
  if (options.issuer !== false) jwt.setIssuer(options.issuer ?? ISSUER);
  if (options.audience !== false) jwt.setAudience(options.audience ?? AUDIENCE);
  return jwt;
}

/**
 * Mints an HS256 token.
 *
 * @example
 * ```ts
 * await mint({ sub: 'alice', scope: 'chat:read' }, { ttlSec: 5 });
 * ```
 */
export function mint(claims: JWTPayload, options: MintOptions = {}): Promise<string> {
  const key = options.secret === undefined ? hsKey : new TextEncoder().encode(options.secret);
  return build(claims, options).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(key);
}

let es256: Promise<{ publicKey: CryptoKey; privateKey: CryptoKey }> | undefined;

/** One ES256 key pair per test file. */
export function es256Keys(): Promise<{ publicKey: CryptoKey; privateKey: CryptoKey }> {
  es256 ??= generateKeyPair('ES256');
  return es256;
}

/** Mints an ES256 token with {@link es256Keys}. */
export async function mintES256(claims: JWTPayload, options: MintOptions = {}): Promise<string> {
  const { privateKey } = await es256Keys();
  return build(claims, options).setProtectedHeader({ alg: 'ES256', typ: 'JWT' }).sign(privateKey);
}

/** An unsigned (`alg: none`) token: must always be refused. */
export function unsignedToken(claims: JWTPayload): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ iss: ISSUER, aud: AUDIENCE, exp: nowSec() + 60, ...claims })}.`;
}

/**
 * The verifier options of the HS256 test servers. Clock tolerance is 0 so expiry happens exactly at `exp`.
 */
export function hs256Verifier(overrides: Partial<VerifierOptions> = {}): VerifierOptions {
  return { algorithms: ['HS256'], secret: SECRET, issuer: ISSUER, audience: AUDIENCE, clockToleranceSec: 0, ...overrides };
}
