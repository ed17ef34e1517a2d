import { createPublicKey, createSecretKey, KeyObject } from 'node:crypto';
import {
  createLocalJWKSet,
  errors as joseErrors,
  importSPKI,
  jwtVerify,
  type CryptoKey,
  type JSONWebKeySet,
  type JWTHeaderParameters,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from './jose.js';
import {
  AuthError,
  AuthExpiredError,
  AuthInvalidError,
  AuthMissingError,
  AuthNotYetValidError,
  AuthUnavailableError,
  isAuthError,
} from './errors.js';
import { tokenHasDuplicateMembers } from './duplicate-members.js';
import { causeOf } from './error-cause.js';
import { assertKnownKeys, assertPlainObject, type KnownKeys } from './option-keys.js';
import { RemoteKeySet, type RemoteJwksOptions } from './remote-key-set.js';
import { validateNumber } from './validate-number.js';
import {
  VerifiedTokenCache,
  deepFreeze,
  recheckTimeClaims,
  resolveCacheOptions,
  tokenDigest,
  type VerifiedTokenCacheOptions,
} from './verified-token-cache.js';

/** JWS algorithms sockauth accepts in an allow-list. `none` is never one of them. */
export type SymmetricAlgorithm = 'HS256' | 'HS384' | 'HS512';
export type AsymmetricAlgorithm =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'
  | 'Ed25519';
export type Algorithm = SymmetricAlgorithm | AsymmetricAlgorithm;

const SYMMETRIC: ReadonlySet<string> = new Set<SymmetricAlgorithm>(['HS256', 'HS384', 'HS512']);
const ASYMMETRIC: ReadonlySet<string> = new Set<AsymmetricAlgorithm>([
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
]);

export type { RemoteJwksOptions };

/** The result of a custom `verify` function: the verified claims. */
export type CustomVerifyFunction = (token: string) => Promise<JWTPayload> | JWTPayload;

/** Options for {@link createVerifier}. Exactly one key source must be given. */
export interface VerifierOptions {
  /**
   * The accepted algorithms. Required, non-empty, and either all HMAC (`HS*`) or all asymmetric: one verifier
   * never accepts both, which closes the HS/RS key-confusion class of attacks.
   */
  readonly algorithms: readonly Algorithm[];
  /** HMAC secret (for `HS*`). At least 32 bytes. */
  readonly secret?: string | Uint8Array | KeyObject;
  /** A public key: PEM (SPKI or certificate), a `KeyObject` or a `CryptoKey` (for asymmetric algorithms). */
  readonly publicKey?: string | KeyObject | CryptoKey;
  /** A local JSON Web Key Set (for asymmetric algorithms). */
  readonly jwks?: JSONWebKeySet;
  /**
   * A remote JWKS URL. The key set is cached, refetched when older than `jwksOptions.cacheMaxAgeMs` or when a token
   * names a key it lacks, never more often than once per `jwksOptions.cooldownMs` (with a backoff after failures).
   * A token whose key is missing while no refetch is allowed gets `AUTH_UNAVAILABLE` (`retry`): a key rotation
   * never sends users to log in again.
   */
  readonly jwksUri?: string | URL;
  /** Tuning for {@link VerifierOptions.jwksUri}. */
  readonly jwksOptions?: RemoteJwksOptions;
  /**
   * A custom verification function (e.g. `(t) => jwtService.verifyAsync(t)` from `@nestjs/jwt`). It owns the
   * signature check; sockauth still enforces the size limit before it and `exp`/required claims after it.
   * `algorithms` still documents what it accepts and is still validated. `issuer`, `audience`, `typ` and
   * `maxTokenAgeSec` cannot be combined with it (a `TypeError`): configure them in the custom verifier.
   */
  readonly verify?: CustomVerifyFunction;
  /** Expected `iss` (one or several). Recommended. */
  readonly issuer?: string | readonly string[];
  /** Expected `aud` (one or several). Recommended. */
  readonly audience?: string | readonly string[];
  /** Expected `typ` header, e.g. `at+jwt`. */
  readonly typ?: string;
  /** Claims that must be present. Default `['sub', 'exp']`; `exp` is always required. */
  readonly requiredClaims?: readonly string[];
  /** Allowed clock skew in seconds for `exp`/`nbf`/`iat` (default 5, max 300). */
  readonly clockToleranceSec?: number;
  /** Refuse tokens whose `iat` is older than this many seconds (requires `iat`). */
  readonly maxTokenAgeSec?: number;
  /** Tokens larger than this many bytes are refused before any parsing (default 8192). */
  readonly maxTokenBytes?: number;
  /** Clock in milliseconds since the epoch; tests may inject one (default `Date.now`). */
  readonly now?: () => number;
  /**
   * Reuse of successful verifications when the same token is presented again (reconnect storms), or `false` to
   * verify every presentation in full. On by default: up to `maxEntries` (10 000) tokens, each for at most
   * `maxAgeSec` (300) and never past its `exp` + tolerance. Only tokens that passed every check are remembered, by
   * their SHA-256 digest (never the token itself); a reuse skips only the signature check: `exp`, `nbf` and
   * `maxTokenAgeSec` are checked again against {@link VerifierOptions.now}, and revocation is checked by the
   * connection logic on every handshake, as always.
   *
   * Results of a caching verifier are deeply frozen and shared between the callers that present one token. Each
   * verifier has its own cache. With `jwksUri`, a cached result is used only while the key set is fresh
   * (`jwksOptions.cacheMaxAgeMs`), and the cache is emptied when a refetch brings different keys, so a key removed
   * from the JWKS stops being honoured exactly when it would without the cache. With `secret`, `publicKey` and
   * `jwks` the keys never change for a verifier's lifetime; rotate by creating a new verifier. Not available with a
   * custom `verify` (it may check more than jose does): `cache` must then be left out or `false`.
   *
   * @example
   * ```ts
   * createVerifier({ algorithms: ['HS256'], secret, cache: { maxEntries: 50_000, maxAgeSec: 60 } });
   * createVerifier({ algorithms: ['HS256'], secret, cache: false }); // verify every presentation in full
   * ```
   */
  readonly cache?: VerifiedTokenCacheOptions | false;
}

/** Every option of {@link VerifierOptions}: the typecheck fails if the two drift apart. */
const VERIFIER_OPTION_KEYS = {
  algorithms: true,
  secret: true,
  publicKey: true,
  jwks: true,
  jwksUri: true,
  jwksOptions: true,
  verify: true,
  issuer: true,
  audience: true,
  typ: true,
  requiredClaims: true,
  clockToleranceSec: true,
  maxTokenAgeSec: true,
  maxTokenBytes: true,
  now: true,
  cache: true,
} as const satisfies KnownKeys<VerifierOptions>;

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

export const DEFAULT_CLOCK_TOLERANCE_SEC = 5;
export const MAX_CLOCK_TOLERANCE_SEC = 300;
export const DEFAULT_MAX_TOKEN_BYTES = 8192;
const MIN_HMAC_SECRET_BYTES = 32;

function validateAlgorithms(algorithms: unknown): readonly Algorithm[] {
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw new TypeError('createVerifier: "algorithms" is required and must be a non-empty array');
  }
  for (const alg of algorithms) {
    if (typeof alg !== 'string' || (!SYMMETRIC.has(alg) && !ASYMMETRIC.has(alg))) {
      throw new TypeError(`createVerifier: unsupported algorithm ${JSON.stringify(alg)}`);
    }
  }
  const symmetric = algorithms.filter((alg) => SYMMETRIC.has(alg)).length;
  if (symmetric !== 0 && symmetric !== algorithms.length) {
    throw new TypeError('createVerifier: HS* and asymmetric algorithms can never be accepted by one verifier');
  }
  return Object.freeze([...new Set(algorithms as Algorithm[])]);
}

type KeySource = KeyObject | CryptoKey | JWTVerifyGetKey;

interface ResolvedKeySource {
  /** Undefined for a custom `verify`. */
  readonly key: KeySource | undefined;
  /** Only for `jwksUri`: the other sources never change. */
  readonly keySet?: RemoteKeySet;
}

function resolveKeySource(options: VerifierOptions, symmetric: boolean): ResolvedKeySource {
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
    const secret = options.secret;
    if (secret instanceof KeyObject) {
      if (secret.type !== 'secret') throw new TypeError('createVerifier: "secret" KeyObject must be a secret key');
      return { key: secret };
    }
    const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
    if (!(bytes instanceof Uint8Array)) throw new TypeError('createVerifier: "secret" must be a string, Uint8Array or KeyObject');
    if (bytes.byteLength < MIN_HMAC_SECRET_BYTES) {
      throw new TypeError(`createVerifier: "secret" must be at least ${MIN_HMAC_SECRET_BYTES} bytes`);
    }
    return { key: createSecretKey(bytes) };
  }
  if (symmetric) throw new TypeError(`createVerifier: "${source}" needs asymmetric algorithms`);
  if (source === 'publicKey') {
    const key = options.publicKey;
    if (typeof key === 'string') {
      try {
        return { key: createPublicKey(key) };
      } catch {
        throw new TypeError('createVerifier: "publicKey" is not a valid PEM public key or certificate');
      }
    }
    if (key instanceof KeyObject) {
      if (key.type === 'secret') throw new TypeError('createVerifier: "publicKey" must not be a secret key');
      return { key: key.type === 'private' ? createPublicKey(key) : key };
    }
    if (typeof key === 'object' && key !== null && (key as { type?: unknown }).type === 'public') return { key: key as CryptoKey };
    throw new TypeError('createVerifier: "publicKey" must be a PEM string, a KeyObject or a public CryptoKey');
  }
  if (source === 'jwks') {
    const jwks = options.jwks;
    if (typeof jwks !== 'object' || jwks === null || !Array.isArray(jwks.keys)) {
      throw new TypeError('createVerifier: "jwks" must be a JSON Web Key Set ({ keys: [...] })');
    }
    return { key: createLocalJWKSet(jwks) };
  }
  let url: URL;
  try {
    url = new URL(String(options.jwksUri));
  } catch {
    throw new TypeError('createVerifier: "jwksUri" must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError('createVerifier: "jwksUri" must be an http(s) URL');
  }
  const keySet = new RemoteKeySet(url, options.jwksOptions);
  return { key: keySet.getKey, keySet };
}

/**
 * jose verifies fastest with a `CryptoKey`; given a `KeyObject` (or raw bytes) it derives one on every call, which
 * halved the verify rate in bench/ (15.6k/s against 33.4k/s for HS256). So each allowed algorithm's `CryptoKey`
 * is imported once, on first use, and reused. Algorithms outside the allow-list get the `KeyObject` (jose refuses
 * them first anyway), so the cache never grows past the allow-list.
 */
function importOncePerAlgorithm(keyObject: KeyObject, algorithms: readonly Algorithm[]): JWTVerifyGetKey {
  const importing = new Map<string, Promise<CryptoKey | KeyObject>>();
  const ready = new Map<string, CryptoKey | KeyObject>();
  return (header) => {
    const alg = header.alg;
    const key = ready.get(alg!);
    if (key !== undefined) return key;
    if (typeof alg !== 'string' || !(algorithms as readonly string[]).includes(alg)) return keyObject;
    let pending = importing.get(alg);
    if (pending === undefined) {
      // A key that does not fit the algorithm stays a KeyObject: jose then refuses the token with its own error.
      pending = importForAlgorithm(keyObject, alg)
        .catch(() => keyObject)
        .then((imported) => {
          ready.set(alg, imported);
          return imported;
        });
      importing.set(alg, pending);
    }
    return pending;
  };
}

async function importForAlgorithm(keyObject: KeyObject, alg: string): Promise<CryptoKey> {
  if (keyObject.type === 'secret') {
    return globalThis.crypto.subtle.importKey('raw', keyObject.export(), { name: 'HMAC', hash: `SHA-${alg.slice(2)}` }, false, [
      'verify',
    ]);
  }
  return importSPKI(keyObject.export({ type: 'spki', format: 'pem' }) as string, alg);
}

const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * Maps any verification failure to exactly one {@link AuthError}. The messages are ours, never the library's,
 * so they cannot echo token content.
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

/** Claims holding NumericDate values (seconds since the epoch). */
const NUMERIC_DATE_CLAIMS = ['exp', 'nbf', 'iat'] as const;
/** The largest time a JavaScript `Date` can hold, in seconds (±8.64e15 ms). */
const MAX_NUMERIC_DATE_SEC = 8.64e12;

function checkTokenShape(token: unknown, maxTokenBytes: number): string {
  if (token === undefined || token === null || token === '') throw new AuthMissingError();
  if (typeof token !== 'string') throw new AuthInvalidError('token must be a string');
  // Checked on the string length first (cheap and an upper bound of nothing: UTF-16 units <= bytes), then bytes.
  if (token.length > maxTokenBytes || Buffer.byteLength(token, 'utf8') > maxTokenBytes) {
    throw new AuthInvalidError(`token larger than ${maxTokenBytes} bytes`);
  }
  return token;
}

function checkClaims(
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
function assertUniqueMembers(token: string): void {
  if (tokenHasDuplicateMembers(token)) {
    throw new AuthInvalidError('duplicate member names in the token', { cause: { name: 'DuplicateMembers' } });
  }
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
  if (typeof options !== 'object' || options === null) throw new TypeError('createVerifier: options are required');
  // A misspelt `issuer` or `audience` would otherwise verify tokens of any issuer or audience.
  assertKnownKeys('createVerifier options', options, VERIFIER_OPTION_KEYS);
  const algorithms = validateAlgorithms(options.algorithms);
  const symmetric = SYMMETRIC.has(algorithms[0]!);
  const clockToleranceSec = validateNumber(
    options.clockToleranceSec, 'clockToleranceSec', DEFAULT_CLOCK_TOLERANCE_SEC, 0, MAX_CLOCK_TOLERANCE_SEC,
  );
  const maxTokenBytes = validateNumber(options.maxTokenBytes, 'maxTokenBytes', DEFAULT_MAX_TOKEN_BYTES, 64, 1 << 20);
  const maxTokenAgeSec =
    options.maxTokenAgeSec === undefined
      ? undefined
      : validateNumber(options.maxTokenAgeSec, 'maxTokenAgeSec', 0, 1, Number.MAX_SAFE_INTEGER);
  const requiredClaims = Object.freeze([...new Set([...(options.requiredClaims ?? ['sub']), 'exp'])]);
  if (!requiredClaims.every((c) => typeof c === 'string' && c.length > 0)) {
    throw new TypeError('createVerifier: "requiredClaims" must be claim names');
  }
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new TypeError('createVerifier: "now" must be a function');
  const { key: source, keySet } = resolveKeySource(options, symmetric);
  const key = source instanceof KeyObject ? importOncePerAlgorithm(source, algorithms) : source;
  const custom = options.verify;
  if (custom !== undefined) {
    // These are only enforced by jose's jwtVerify, which a custom verifier bypasses: refuse rather than ignore them.
    const ignored = (['issuer', 'audience', 'typ', 'maxTokenAgeSec'] as const).filter((name) => options[name] !== undefined);
    if (ignored.length > 0) {
      throw new TypeError(`createVerifier: ${ignored.join(', ')} cannot be enforced with "verify"; configure them in that verifier`);
    }
    // What a custom verifier checks (and whether its answer may be reused) is unknown: never cache its results.
    if (options.cache !== undefined && options.cache !== false) {
      throw new TypeError('createVerifier: "cache" cannot be used with "verify"; leave it out or set it to false');
    }
  }
  const cacheOptions = custom === undefined ? resolveCacheOptions(options.cache) : undefined;
  const cache = cacheOptions === undefined ? undefined : new VerifiedTokenCache<VerifiedToken>(cacheOptions);
  /** The key set version the cache's entries were verified with (remote JWKS only). */
  let cachedKeySetVersion = keySet?.version ?? 0;

  const joseOptions = {
    algorithms: [...algorithms],
    clockTolerance: clockToleranceSec,
    requiredClaims: [...requiredClaims, ...(maxTokenAgeSec !== undefined ? ['iat'] : [])],
    // Copied: a caller mutating its array afterwards must not change what cached verifications were checked against.
    ...(options.issuer !== undefined && { issuer: copyIfArray(options.issuer) }),
    ...(options.audience !== undefined && { audience: copyIfArray(options.audience) }),
    ...(options.typ !== undefined && { typ: options.typ }),
    ...(maxTokenAgeSec !== undefined && { maxTokenAge: maxTokenAgeSec }),
  } satisfies JWTVerifyOptions;

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

  /**
   * When a verified payload stops being valid, in ms: at `exp` + tolerance, and with `maxTokenAgeSec` after the last
   * whole second jose still accepts (it compares whole seconds: `now - iat - tolerance > maxTokenAge` fails).
   */
  function validUntil(payload: JWTPayload & { exp: number }): number {
    const expires = payload.exp + clockToleranceSec;
    const tooOld = maxTokenAgeSec === undefined ? Infinity : Math.floor(payload.iat! + maxTokenAgeSec + clockToleranceSec) + 1;
    return Math.min(expires, tooOld) * 1000;
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
        header: result.protectedHeader,
      };
      if (digest === undefined) return verified;
      // Frozen before anyone else can hold it: from here on, every presentation of this token gets this object.
      deepFreeze(verified);
      // A key set that changed while this token was checked may no longer hold its key: not remembered then.
      if ((keySet?.version ?? 0) === keySetVersion) cache!.set(digest, verified, nowMs, validUntil(verified.payload));
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

function copyIfArray(value: string | readonly string[]): string | string[] {
  return typeof value === 'string' ? value : [...value];
}

type VerifierBrand = 'jose' | 'jose-frozen' | 'custom';

/** Marks verifiers built by {@link createVerifier}, in any copy of this module. */
const VERIFIER_BRAND = Symbol.for('@sockauth/core.Verifier');

/**
 * True for a verifier built by {@link createVerifier} (as opposed to the options to build one, which may also
 * have `verify` and `algorithms`).
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
