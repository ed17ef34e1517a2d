import type { KeyObject } from 'node:crypto';
import type { CryptoKey, JSONWebKeySet, JWTPayload } from './jose.js';
import { assertKnownKeys, type KnownKeys } from './option-keys.js';
import type { RemoteJwksOptions } from './remote-key-set.js';
import { validateNumber } from './validate-number.js';
import type { VerifiedTokenCacheOptions } from './verified-token-cache.js';

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

/** Default {@link VerifierOptions.clockToleranceSec}. */
export const DEFAULT_CLOCK_TOLERANCE_SEC = 5;
/** The largest {@link VerifierOptions.clockToleranceSec} accepted. */
export const MAX_CLOCK_TOLERANCE_SEC = 300;
/** Default {@link VerifierOptions.maxTokenBytes}. */
export const DEFAULT_MAX_TOKEN_BYTES = 8192;

/** The validated settings every verification reads; the key source and the cache are resolved on their own. */
export interface ResolvedVerifierOptions {
  readonly algorithms: readonly Algorithm[];
  /** True for HS* allow-lists (never mixed with asymmetric ones). */
  readonly symmetric: boolean;
  readonly clockToleranceSec: number;
  readonly maxTokenBytes: number;
  readonly maxTokenAgeSec: number | undefined;
  /** Always includes `exp`. */
  readonly requiredClaims: readonly string[];
  readonly now: () => number;
}

/**
 * Validates every option except the key source (key-sources.ts), what a custom `verify` excludes
 * ({@link assertCustomVerifyOptions}) and `cache` (verified-token-cache.ts). All
 * mistakes are a `TypeError` here, at configuration time, never at verify time.
 */
export function resolveVerifierOptions(options: VerifierOptions): ResolvedVerifierOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('createVerifier: options are required');
  // A misspelt `issuer` or `audience` would otherwise verify tokens of any issuer or audience.
  assertKnownKeys('createVerifier options', options, VERIFIER_OPTION_KEYS);
  const algorithms = validateAlgorithms(options.algorithms);
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
  return { algorithms, symmetric: SYMMETRIC.has(algorithms[0]!), clockToleranceSec, maxTokenBytes, maxTokenAgeSec, requiredClaims, now };
}

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

/** What a custom `verify` cannot be combined with (checked once its key source is known to be the only one). */
export function assertCustomVerifyOptions(options: VerifierOptions): void {
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
