/**
 * The integration suites' tokens, all minted by the testing kit's issuer (`@sockauth/testing`): this file only
 * holds the suites' defaults (a fixed secret the servers under test are configured with, their `iss`/`aud`, a
 * 60 s lifetime, whole-second `iat`) and their option names.
 */
import { randomUUID } from 'node:crypto';
import { UnsecuredJWT, importJWK, type CryptoKey, type JWTPayload } from 'jose';
import type { VerifierOptions } from '@sockauth/core';
import { createTestIssuer, type MintClaims, type TestIssuer } from '@sockauth/testing';

/** The HMAC secret every HS256 test server trusts (≥ 32 bytes, as the verifier requires). */
export const SECRET = 'sockauth-integration-tests-hs256-secret-0123456789';
export const ISSUER = 'https://issuer.sockauth.test';
export const AUDIENCE = 'sockauth-integration';

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

/** One kit issuer per secret (HS256) and one ES256 issuer per test file. */
const hsIssuers = new Map<string, Promise<TestIssuer>>();
let es256: Promise<TestIssuer> | undefined;

function hsIssuer(secret: string): Promise<TestIssuer> {
  let issuer = hsIssuers.get(secret);
  if (issuer === undefined) hsIssuers.set(secret, (issuer = createTestIssuer({ secret, issuer: ISSUER, audience: AUDIENCE })));
  return issuer;
}

/** The suites' defaults as claims for the kit's `mint` (a claim set to `undefined` is left out of the token). */
function claimsOf(claims: JWTPayload, options: MintOptions): MintClaims {
  return {
    ...(options.jti && { jti: randomUUID() }),
    ...claims,
    iat: options.iat === false ? undefined : (options.iat ?? nowSec()),
    exp: options.exp ?? nowSec() + (options.ttlSec ?? 60),
    ...(options.nbf !== undefined && { nbf: options.nbf }),
    iss: options.issuer === false ? undefined : (options.issuer ?? ISSUER),
    aud: options.audience === false ? undefined : (options.audience ?? AUDIENCE),
  };
}

/**
 * Mints an HS256 token.
 *
 * @example
 * ```ts
 * await mint({ sub: 'alice', scope: 'chat:read' }, { ttlSec: 5 });
 * ```
 */
export async function mint(claims: JWTPayload, options: MintOptions = {}): Promise<string> {
  return (await hsIssuer(options.secret ?? SECRET)).mint(claimsOf(claims, options));
}

function es256Issuer(): Promise<TestIssuer> {
  es256 ??= createTestIssuer({ alg: 'ES256', issuer: ISSUER, audience: AUDIENCE });
  return es256;
}

/** The public key of the ES256 issuer {@link mintES256} signs with (one per test file). */
export async function es256Keys(): Promise<{ publicKey: CryptoKey }> {
  const [jwk] = (await es256Issuer()).jwks().keys;
  return { publicKey: (await importJWK(jwk!, 'ES256')) as CryptoKey };
}

/** Mints an ES256 token that {@link es256Keys} verifies. */
export async function mintES256(claims: JWTPayload, options: MintOptions = {}): Promise<string> {
  return (await es256Issuer()).mint(claimsOf(claims, options));
}

/** An unsigned (`alg: none`) token: must always be refused. */
export function unsignedToken(claims: JWTPayload): string {
  return new UnsecuredJWT({ iss: ISSUER, aud: AUDIENCE, exp: nowSec() + 60, ...claims }).encode();
}

/**
 * The verifier options of the HS256 test servers. Clock tolerance is 0 so expiry happens exactly at `exp`.
 */
export function hs256Verifier(overrides: Partial<VerifierOptions> = {}): VerifierOptions {
  return { algorithms: ['HS256'], secret: SECRET, issuer: ISSUER, audience: AUDIENCE, clockToleranceSec: 0, ...overrides };
}
