import { KeyObject } from 'node:crypto';
import { jwtVerify, type JWTHeaderParameters, type JWTPayload } from './jose.js';
import { AuthInvalidError, AuthMissingError } from './errors.js';
import { assertUniqueMembers, checkClaims, joseClaimOptions, recheckTimeClaims, validUntil } from './claim-checks.js';
import { importOncePerAlgorithm } from './crypto-key-cache.js';
import { resolveKeySource } from './key-sources.js';
import { SharedClaimValues } from './shared-claim-values.js';
import { mapVerificationError } from './verification-errors.js';
import { VerifiedTokenCache, deepFreeze, resolveCacheOptions, tokenDigest } from './verified-token-cache.js';
import { assertCustomVerifyOptions, resolveVerifierOptions, type Algorithm, type VerifierOptions } from './verifier-options.js';

/** A verified token. */
export interface VerifiedToken {
  /** The verified claims; `exp` is always a number. */
  readonly payload: JWTPayload & { exp: number };
  /** The protected header (empty for custom verifiers that do not expose it). */
  readonly header: Partial<JWTHeaderParameters>;
}

/** Verifies tokens. Create one per configuration with {@link createVerifier}; it is safe to share. */
export interface Verifier {
  /**
   * Verifies `token`; rejects with an {@link AuthError} (never anything else). With the verified-token cache on
   * (the default, see {@link VerifierOptions.cache}) the result is deeply frozen, and a token presented again may get
   * the very same object.
   */
  verify(token: unknown): Promise<VerifiedToken>;
  /** The accepted algorithms. */
  readonly algorithms: readonly Algorithm[];
  /** The clock skew allowance in seconds, shared with expiry scheduling. */
  readonly clockToleranceSec: number;
  /**
   * The `maxTokenAgeSec` it enforces, if any: the longest a token is accepted after its `iat`, which a revocation
   * store's retention must cover.
   */
  readonly maxTokenAgeSec?: number;
  /** The clock used for decisions, in milliseconds since the epoch. */
  readonly now: () => number;
}

function checkTokenShape(token: unknown, maxTokenBytes: number): string {
  if (token === undefined || token === null || token === '') throw new AuthMissingError();
  if (typeof token !== 'string') throw new AuthInvalidError('token must be a string');
  // Checked on the string length first (cheap and an upper bound of nothing: UTF-16 units <= bytes), then bytes.
  if (token.length > maxTokenBytes || Buffer.byteLength(token, 'utf8') > maxTokenBytes) {
    throw new AuthInvalidError(`token larger than ${maxTokenBytes} bytes`);
  }
  return token;
}

/**
 * Creates a {@link Verifier}. All configuration mistakes throw a `TypeError` here, never at verify time.
 *
 * @example
 * ```ts
 * const verifier = createVerifier({
 *   algorithms: ['HS256'],
 *   secret: process.env.JWT_SECRET!,
 *   issuer: 'https://auth.example.com',
 *   audience: 'chat',
 * });
 * const { payload } = await verifier.verify(token);
 * ```
 *
 * @example
 * ```ts
 * const verifier = createVerifier({ algorithms: ['ES256'], jwksUri: 'https://auth.example.com/.well-known/jwks.json' });
 * ```
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const resolved = resolveVerifierOptions(options);
  const { algorithms, clockToleranceSec, maxTokenBytes, maxTokenAgeSec, requiredClaims, now } = resolved;
  const { key: source, keySet } = resolveKeySource(options, resolved.symmetric);
  const key = source instanceof KeyObject ? importOncePerAlgorithm(source, algorithms) : source;
  const custom = options.verify;
  if (custom !== undefined) assertCustomVerifyOptions(options);
  const cacheOptions = custom === undefined ? resolveCacheOptions(options.cache) : undefined;
  const cache = cacheOptions === undefined ? undefined : new VerifiedTokenCache<VerifiedToken>(cacheOptions);
  /** The key set version the cache's entries were verified with (remote JWKS only). */
  let cachedKeySetVersion = keySet?.version ?? 0;
  const joseOptions = joseClaimOptions(options, resolved);
  /** Repeated claim values and headers, one instance each for every connection (jose's payloads only: fresh objects). */
  const shared = new SharedClaimValues();

  /**
   * A result verified before, if it may be served now: the key set it was verified with is still trusted, and every
   * time-dependent check passes again (those that fail throw, exactly as a full verification would).
   */
  function cached(digest: string, nowMs: number): VerifiedToken | undefined {
    if (keySet !== undefined) {
      if (keySet.version !== cachedKeySetVersion) {
        cache!.clear();
        cachedKeySetVersion = keySet.version;
      }
      // A stale key set is refetched by a full verification first (and the cache dropped if the keys changed).
      if (!keySet.fresh) return undefined;
    }
    const hit = cache!.get(digest, nowMs);
    if (hit === undefined) return undefined;
    recheckTimeClaims(hit.payload, nowMs, clockToleranceSec, maxTokenAgeSec);
    checkClaims(hit.payload, requiredClaims, nowMs, clockToleranceSec);
    return hit;
  }

  async function verify(input: unknown): Promise<VerifiedToken> {
    const token = checkTokenShape(input, maxTokenBytes);
    try {
      if (custom !== undefined) {
        const payload = await custom(token);
        assertUniqueMembers(token);
        return { payload: checkClaims(payload, requiredClaims, now(), clockToleranceSec), header: {} };
      }
      let digest: string | undefined;
      let keySetVersion = 0;
      if (cache !== undefined) {
        digest = tokenDigest(token);
        const hit = cached(digest, now());
        if (hit !== undefined) return hit;
        keySetVersion = keySet?.version ?? 0;
      }
      // jose reads Date itself unless given a clock: only an injected `now` costs a Date per call.
      const verifyOptions = options.now === undefined ? joseOptions : { ...joseOptions, currentDate: new Date(now()) };
      const result =
        typeof key === 'function' ? await jwtVerify(token, key, verifyOptions) : await jwtVerify(token, key!, verifyOptions);
      // After the signature check: only the issuer's own bytes are scanned, so this adds no work for forgeries.
      assertUniqueMembers(token);
      const nowMs = now();
      const verified = {
        payload: checkClaims(result.payload, requiredClaims, nowMs, clockToleranceSec),
        header: digest === undefined ? result.protectedHeader : shared.sharedHeader(result.protectedHeader),
      };
      shared.shareValues(verified.payload);
      if (digest === undefined) return verified;
      // Frozen before anyone else can hold it: from here on, every presentation of this token gets this object.
      deepFreeze(verified);
      // A key set that changed while this token was checked may no longer hold its key: not remembered then.
      if ((keySet?.version ?? 0) === keySetVersion) {
        cache!.set(digest, verified, nowMs, validUntil(verified.payload, clockToleranceSec, maxTokenAgeSec));
      }
      return verified;
    } catch (error) {
      throw mapVerificationError(error);
    }
  }

  // The brand says what payloads are: fresh objects (jose's, the cache off), deeply frozen objects that may be shared
  // (jose's, through the cache), or whatever a custom `verify` returned.
  const brand: VerifierBrand = custom !== undefined ? 'custom' : cache === undefined ? 'jose' : 'jose-frozen';
  return Object.freeze({
    verify,
    algorithms,
    clockToleranceSec,
    ...(maxTokenAgeSec !== undefined && { maxTokenAgeSec }),
    now,
    [VERIFIER_BRAND]: brand,
  });
}

type VerifierBrand = 'jose' | 'jose-frozen' | 'custom';

/** Marks verifiers built by {@link createVerifier}, in any copy of this module. */
const VERIFIER_BRAND = Symbol.for('@sockauth/core.Verifier');

/**
 * True for a verifier built by {@link createVerifier} (as opposed to the options to build one, which may also
 * have `verify` and `algorithms`).
 *
 * @example
 * ```ts
 * const verifier = isVerifier(options.verifier) ? options.verifier : createVerifier(options.verifier);
 * ```
 */
export function isVerifier(value: unknown): value is Verifier {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[VERIFIER_BRAND] !== undefined;
}

/**
 * True when a payload from `verifier` may be kept by a connection without a copy and frozen in place: either a
 * fresh object per call that nobody else holds (jose's, the cache off), or an object the verifier deeply froze
 * before anyone could hold it (jose's, through the verified-token cache; freezing it again changes nothing, and
 * sharing it is safe because nobody can change it). A custom `verify` may return an object its caller keeps and
 * mutates (e.g. keyed in a WeakMap): never.
 * @internal
 */
export function verifierPayloadsAreFresh(verifier: Verifier): boolean {
  const brand = (verifier as unknown as Record<symbol, unknown>)[VERIFIER_BRAND];
  return brand === 'jose' || brand === 'jose-frozen';
}
