import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JSONWebKeySet } from 'jose';

/** The HS256 secret of every benchmark server (benchmarks only: never a real secret). */
export const BENCH_SECRET = 'sockauth-benchmark-hs256-secret-0123456789abcdef';
export const BENCH_ISSUER = 'sockauth-bench';
export const BENCH_AUDIENCE = 'sockauth-bench';

const hsKey = new TextEncoder().encode(BENCH_SECRET);

/**
 * `count` distinct HS256 tokens (subjects `${prefix}0`…, distinct `jti`), valid for `ttlSec`, with extra `claims`
 * (the same for every token, or per token `i` when a function).
 */
export async function hs256Tokens(
  count: number,
  ttlSec = 3600,
  claims: Record<string, unknown> | ((i: number) => Record<string, unknown>) = {},
  prefix = 'user-',
): Promise<string[]> {
  const now = Math.floor(Date.now() / 1000);
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      new SignJWT({ scope: 'chat:read chat:write', ...(typeof claims === 'function' ? claims(i) : claims) })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(`${prefix}${i}`)
        .setJti(randomUUID())
        .setIssuer(BENCH_ISSUER)
        .setAudience(BENCH_AUDIENCE)
        .setIssuedAt(now)
        .setExpirationTime(now + ttlSec)
        .sign(hsKey),
    ),
  );
}

/** An ES256 key pair with its public JWKS, and `count` distinct tokens signed with it. */
export async function es256Tokens(count: number, ttlSec = 3600): Promise<{ jwks: JSONWebKeySet; tokens: string[] }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = randomUUID();
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] };
  const now = Math.floor(Date.now() / 1000);
  const tokens = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      new SignJWT({ scope: 'chat:read chat:write' })
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
        .setSubject(`user-${i}`)
        .setJti(randomUUID())
        .setIssuer(BENCH_ISSUER)
        .setAudience(BENCH_AUDIENCE)
        .setIssuedAt(now)
        .setExpirationTime(now + ttlSec)
        .sign(privateKey as CryptoKey),
    ),
  );
  return { jwks, tokens };
}
