/**
 * Keys and token builders for hostile-input tests. Every token is built with jose: `SignJWT`/`CompactSign` for
 * well-formed ones, and, for tokens no well-behaved library would produce (duplicate JSON members, a raw
 * header text), by hand from JSON strings with jose's `base64url.encode`, signed over the exact signing input.
 * Secrets are random per process, so they cannot collide with anything a test legitimately emits.
 */
import { createHmac, createPrivateKey, randomBytes, sign as cryptoSign, type KeyObject } from 'node:crypto';
import {
  CompactSign,
  SignJWT,
  base64url,
  exportJWK,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
} from 'jose';
import type { VerifierOptions } from '@sockauth/core';

export const SEC_ISSUER = 'https://idp.security.test';
export const SEC_AUDIENCE = 'sockauth-security';

/** The order of the P-256 group (for ECDSA signature malleability: s' = n - s). */
export const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

export interface KeyPairMaterial {
  readonly publicKey: CryptoKey;
  readonly privateKey: CryptoKey;
  readonly publicPem: string;
  readonly privatePem: string;
  readonly publicJwk: JWK;
  readonly privateJwk: JWK;
}

export interface SuiteKeys {
  /** The HS256 secret the servers trust. */
  readonly secret: string;
  /** The server's RS256 key pair (public key trusted, kid `rs-1` in {@link SuiteKeys.jwks}). */
  readonly rsa: KeyPairMaterial;
  /** The server's ES256 key pair (kid `ec-1`). */
  readonly ec: KeyPairMaterial;
  /** Keys the attacker owns. */
  readonly attackerRsa: KeyPairMaterial;
  readonly attackerEc: KeyPairMaterial;
  readonly attackerSecret: string;
  /** The trusted JWKS: `rs-1` (RS256) and `ec-1` (ES256). */
  readonly jwks: JSONWebKeySet;
}

async function pair(alg: 'RS256' | 'ES256'): Promise<KeyPairMaterial> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return {
    publicKey,
    privateKey,
    publicPem: await exportSPKI(publicKey),
    privatePem: await exportPKCS8(privateKey),
    publicJwk: await exportJWK(publicKey),
    privateJwk: await exportJWK(privateKey),
  };
}

let keys: Promise<SuiteKeys> | undefined;

/** The keys of this test file (generated once). */
export function suiteKeys(): Promise<SuiteKeys> {
  keys ??= (async () => {
    const [rsa, ec, attackerRsa, attackerEc] = await Promise.all([pair('RS256'), pair('ES256'), pair('RS256'), pair('ES256')]);
    return {
      secret: randomBytes(32).toString('base64url'),
      attackerSecret: randomBytes(32).toString('base64url'),
      rsa,
      ec,
      attackerRsa,
      attackerEc,
      jwks: {
        keys: [
          { ...rsa.publicJwk, kid: 'rs-1', alg: 'RS256', use: 'sig' },
          { ...ec.publicJwk, kid: 'ec-1', alg: 'ES256', use: 'sig' },
        ],
      },
    };
  })();
  return keys;
}

/** Every string that is key material (secrets, PEM bodies, JWK members): none may ever be emitted. */
export function keyMaterial(k: SuiteKeys): string[] {
  const pems = [k.rsa, k.ec, k.attackerRsa, k.attackerEc].flatMap((p) => [p.publicPem, p.privatePem]);
  const pemBodies = pems.map((pem) => pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''));
  const jwkMembers = [k.rsa, k.ec, k.attackerRsa, k.attackerEc].flatMap((p) =>
    (['n', 'd', 'p', 'q', 'dp', 'dq', 'qi', 'x', 'y'] as const).map((m) => p.privateJwk[m]).filter((v): v is string => typeof v === 'string'),
  );
  return [k.secret, k.attackerSecret, ...pems, ...pemBodies, ...jwkMembers];
}

/** HS256 verifier options of the security servers. */
export function hsVerifier(k: SuiteKeys, overrides: Partial<VerifierOptions> = {}): VerifierOptions {
  return { algorithms: ['HS256'], secret: k.secret, issuer: SEC_ISSUER, audience: SEC_AUDIENCE, clockToleranceSec: 5, ...overrides };
}

export function nowSec(): number {
  return Math.floor(Date.now() / 1000);
}

/** The standard claims of a valid token for `sub`, at `now` (seconds). */
export function claimsFor(sub: string, extra: JWTPayload = {}, now = nowSec()): JWTPayload {
  return { sub, iss: SEC_ISSUER, aud: SEC_AUDIENCE, iat: now, exp: now + 300, ...extra };
}

/** Removes the claims whose value is `undefined` (to leave a standard claim out). */
function defined(claims: JWTPayload): JWTPayload {
  return Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined));
}

export interface SignOptions {
  /** Protected header members on top of `{ alg }`. */
  readonly header?: Record<string, unknown>;
  /** HMAC key (default: the trusted secret). */
  readonly secret?: string;
}

/** An HS256 token with `claims` as they are (use {@link claimsFor} for the standard ones). */
export async function signHs(k: SuiteKeys, claims: JWTPayload, options: SignOptions = {}): Promise<string> {
  return new SignJWT(defined(claims))
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...options.header })
    .sign(new TextEncoder().encode(options.secret ?? k.secret));
}

/** A token signed with an asymmetric private key. */
export async function signWith(
  privateKey: CryptoKey,
  alg: 'RS256' | 'ES256',
  claims: JWTPayload,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(defined(claims)).setProtectedHeader({ alg, typ: 'JWT', ...header }).sign(privateKey);
}

/** `base64url(header).base64url(payload)`, from raw JSON text (duplicate members and all). */
export function signingInput(headerJson: string, payloadJson: string): string {
  return `${base64url.encode(headerJson)}.${base64url.encode(payloadJson)}`;
}

/**
 * A compact JWS whose payload is exactly `payloadJson` (duplicate members and all), signed by jose's
 * `CompactSign` over those raw bytes with a normal `{ alg: 'HS256' }` header.
 */
export async function signRawPayloadHs(secret: string, payloadJson: string, header: Record<string, unknown> = {}): Promise<string> {
  return new CompactSign(new TextEncoder().encode(payloadJson))
    .setProtectedHeader({ alg: 'HS256', ...header })
    .sign(new TextEncoder().encode(secret));
}

/**
 * A compact HS256 JWS from raw header and payload JSON texts: for headers no library would serialise (a
 * duplicated `alg`). The HMAC is computed over the exact signing input, as any verifier recomputes it.
 */
export function signRawHs(secret: string, headerJson: string, payloadJson: string): string {
  const input = signingInput(headerJson, payloadJson);
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8')).update(input).digest();
  return `${input}.${base64url.encode(mac)}`;
}

/** A compact ES256 JWS from raw header and payload JSON texts, signed with `privatePem` (IEEE P1363 r||s). */
export function signRawEs256(privatePem: string, headerJson: string, payloadJson: string): string {
  const input = signingInput(headerJson, payloadJson);
  const key: KeyObject = createPrivateKey(privatePem);
  const signature = cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${base64url.encode(signature)}`;
}

/** An unsigned token with `alg` as given (any casing of none) and an empty or given signature segment. */
export function unsigned(alg: unknown, claims: JWTPayload, signature = ''): string {
  return `${signingInput(JSON.stringify({ alg, typ: 'JWT' }), JSON.stringify(claims))}.${signature}`;
}

function toBigInt(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
}

function toBytes(value: bigint, length: number): Uint8Array {
  return Uint8Array.from(Buffer.from(value.toString(16).padStart(length * 2, '0'), 'hex'));
}

/**
 * The same ES256 token with the other valid signature for the same message: (r, n - s). The token's bytes differ,
 * its header, payload and validity do not (ECDSA malleability).
 */
export function highS(token: string): string {
  const [header, payload, signature] = token.split('.');
  const raw = base64url.decode(signature!);
  if (raw.length !== 64) throw new Error('not an ES256 signature');
  const r = raw.slice(0, 32);
  const s = toBigInt(raw.slice(32));
  const flipped = new Uint8Array(64);
  flipped.set(r, 0);
  flipped.set(toBytes(P256_ORDER - s, 32), 32);
  return `${header}.${payload}.${base64url.encode(flipped)}`;
}

/** The CVE-2022-21449 "psychic signature": r = s = 0, or any other fixed (r, s). */
export function withEs256Signature(token: string, r: bigint, s: bigint): string {
  const [header, payload] = token.split('.');
  const signature = new Uint8Array(64);
  signature.set(toBytes(r, 32), 0);
  signature.set(toBytes(s, 32), 32);
  return `${header}.${payload}.${base64url.encode(signature)}`;
}
