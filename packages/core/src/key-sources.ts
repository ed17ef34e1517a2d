import { createPublicKey, createSecretKey, KeyObject } from 'node:crypto';
import { createLocalJWKSet, type CryptoKey, type JWTVerifyGetKey } from './jose.js';
import { RemoteKeySet } from './remote-key-set.js';
import type { VerifierOptions } from './verifier-options.js';

const MIN_HMAC_SECRET_BYTES = 32;

/** What jose's `jwtVerify` is given: a key, or a function finding one per token (JWKS). */
export type KeySource = KeyObject | CryptoKey | JWTVerifyGetKey;

/** The one key source of a verifier's options, validated. */
export interface ResolvedKeySource {
  /** Undefined for a custom `verify`. */
  readonly key: KeySource | undefined;
  /** Only for `jwksUri`: the other sources never change. */
  readonly keySet?: RemoteKeySet;
}

/**
 * Resolves exactly one of `secret`, `publicKey`, `jwks`, `jwksUri` or `verify`, each matching the kind of the
 * allow-list (`symmetric`); every mistake is a `TypeError` at configuration time.
 */
export function resolveKeySource(options: VerifierOptions, symmetric: boolean): ResolvedKeySource {
  const given = (['secret', 'publicKey', 'jwks', 'jwksUri', 'verify'] as const).filter(
    (name) => options[name] !== undefined,
  );
  if (given.length !== 1) {
    throw new TypeError(
      'createVerifier: give exactly one of "secret", "publicKey", "jwks", "jwksUri" or "verify"' +
        (given.length > 1 ? ` (got ${given.join(', ')})` : ''),
    );
  }
  const [source] = given;
  if (options.jwksOptions !== undefined && source !== 'jwksUri') {
    throw new TypeError('createVerifier: "jwksOptions" only applies to "jwksUri"');
  }
  if (source === 'verify') {
    if (typeof options.verify !== 'function') throw new TypeError('createVerifier: "verify" must be a function');
    return { key: undefined };
  }
  if (source === 'secret') {
    if (!symmetric) throw new TypeError('createVerifier: "secret" needs HS* algorithms');
    return { key: secretKey(options.secret) };
  }
  if (symmetric) throw new TypeError(`createVerifier: "${source}" needs asymmetric algorithms`);
  if (source === 'publicKey') return { key: publicKey(options.publicKey) };
  if (source === 'jwks') {
    const jwks = options.jwks;
    if (typeof jwks !== 'object' || jwks === null || !Array.isArray(jwks.keys)) {
      throw new TypeError('createVerifier: "jwks" must be a JSON Web Key Set ({ keys: [...] })');
    }
    return { key: createLocalJWKSet(jwks) };
  }
  const keySet = new RemoteKeySet(jwksUrl(options.jwksUri), options.jwksOptions);
  return { key: keySet.getKey, keySet };
}

function secretKey(secret: VerifierOptions['secret']): KeyObject {
  if (secret instanceof KeyObject) {
    if (secret.type !== 'secret') throw new TypeError('createVerifier: "secret" KeyObject must be a secret key');
    return secret;
  }
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (!(bytes instanceof Uint8Array)) throw new TypeError('createVerifier: "secret" must be a string, Uint8Array or KeyObject');
  if (bytes.byteLength < MIN_HMAC_SECRET_BYTES) {
    throw new TypeError(`createVerifier: "secret" must be at least ${MIN_HMAC_SECRET_BYTES} bytes`);
  }
  return createSecretKey(bytes);
}

function publicKey(key: VerifierOptions['publicKey']): KeyObject | CryptoKey {
  if (typeof key === 'string') {
    try {
      return createPublicKey(key);
    } catch {
      throw new TypeError('createVerifier: "publicKey" is not a valid PEM public key or certificate');
    }
  }
  if (key instanceof KeyObject) {
    if (key.type === 'secret') throw new TypeError('createVerifier: "publicKey" must not be a secret key');
    return key.type === 'private' ? createPublicKey(key) : key;
  }
  if (typeof key === 'object' && key !== null && (key as { type?: unknown }).type === 'public') return key as CryptoKey;
  throw new TypeError('createVerifier: "publicKey" must be a PEM string, a KeyObject or a public CryptoKey');
}

function jwksUrl(jwksUri: VerifierOptions['jwksUri']): URL {
  let url: URL;
  try {
    url = new URL(String(jwksUri));
  } catch {
    throw new TypeError('createVerifier: "jwksUri" must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError('createVerifier: "jwksUri" must be an http(s) URL');
  }
  return url;
}
