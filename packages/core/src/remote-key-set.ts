import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  type CryptoKey,
  type FlattenedJWSInput,
  type JWSHeaderParameters,
  type RemoteJWKSet,
} from './jose.js';
import { causeOf } from './error-cause.js';
import { assertKnownKeys, assertPlainObject, type KnownKeys } from './option-keys.js';
import { AuthUnavailableError, type AuthErrorCause } from './errors.js';
import { validateNumber } from './validate-number.js';
import { tokenDigest } from './verified-token-cache.js';

/**
 * Tuning of a remote JWKS (`createVerifier`'s `jwksOptions`). Every value is checked when the verifier is created;
 * a mistake is a `TypeError` naming the option.
 *
 * @example
 * ```ts
 * createVerifier({
 *   algorithms: ['ES256'],
 *   jwksUri: 'https://auth.example.com/.well-known/jwks.json',
 *   jwksOptions: { cooldownMs: 30_000, cacheMaxAgeMs: 600_000, maxBackoffMs: 300_000, timeoutMs: 5_000 },
 * });
 * ```
 */
export interface RemoteJwksOptions {
  /**
   * The least time between the end of a successful fetch and the start of the next one (default 30 000 ms, at most
   * a day). Neither unknown `kid`s nor stale key sets make the endpoint be fetched more often. While it holds back a
   * refetch, a token whose key is not in the set is answered `AUTH_UNAVAILABLE` (`retry`), never `AUTH_INVALID`: the
   * issuer may have published the key since. `0` turns the limit off (tests).
   */
  readonly cooldownMs?: number;
  /**
   * How long a fetched key set is trusted before it is refetched (default 600 000 ms, or `cooldownMs` if larger; at
   * least `cooldownMs`). A set that cannot be refetched (the endpoint is down) keeps serving the keys it holds.
   */
  readonly cacheMaxAgeMs?: number;
  /**
   * After failed fetches (endpoint down, timeout, not a key set), the next one waits `cooldownMs`, then twice that,
   * and so on up to this (default 300 000 ms, or `cooldownMs` if larger; at least `cooldownMs`).
   */
  readonly maxBackoffMs?: number;
  /** Fetch timeout (default 5 000 ms, an integer from 1 to 300 000). */
  readonly timeoutMs?: number;
  /** Extra request headers (e.g. an API key for a private JWKS endpoint). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The validated {@link RemoteJwksOptions}. */
interface ResolvedRemoteJwksOptions {
  readonly cooldownMs: number;
  readonly cacheMaxAgeMs: number;
  readonly maxBackoffMs: number;
  readonly timeoutMs: number;
  readonly headers: Readonly<Record<string, string>> | undefined;
}

const DEFAULT_COOLDOWN_MS = 30_000;
const DEFAULT_CACHE_MAX_AGE_MS = 600_000;
const DEFAULT_MAX_BACKOFF_MS = 300_000;
const DEFAULT_TIMEOUT_MS = 5_000;
const MAX_COOLDOWN_MS = 86_400_000;
const MAX_TIMEOUT_MS = 300_000;
/** Every option of {@link RemoteJwksOptions}: the typecheck fails if the two drift apart. */
const REMOTE_JWKS_OPTION_KEYS = {
  cooldownMs: true,
  cacheMaxAgeMs: true,
  maxBackoffMs: true,
  timeoutMs: true,
  headers: true,
} as const satisfies KnownKeys<RemoteJwksOptions>;

/** Validates `jwksOptions`; every mistake is a `TypeError` at configuration time. */
function resolveRemoteJwksOptions(options: unknown): ResolvedRemoteJwksOptions {
  if (options === undefined) options = {};
  assertPlainObject('createVerifier options.jwksOptions', options);
  // A misspelt option would otherwise silently leave the default in force.
  assertKnownKeys('createVerifier options.jwksOptions', options, REMOTE_JWKS_OPTION_KEYS);
  const given = options as RemoteJwksOptions;
  const cooldownMs = validateNumber(given.cooldownMs, 'jwksOptions.cooldownMs', DEFAULT_COOLDOWN_MS, 0, MAX_COOLDOWN_MS);
  // Neither may undercut the cooldown: that is what bounds how often the endpoint is fetched.
  const atLeastCooldown = (value: unknown, name: string, fallback: number): number => {
    if (typeof value === 'number' && value < cooldownMs) {
      throw new TypeError(`createVerifier: "jwksOptions.${name}" must be at least "jwksOptions.cooldownMs" (${cooldownMs})`);
    }
    return validateNumber(value, `jwksOptions.${name}`, Math.max(fallback, cooldownMs), cooldownMs, Number.MAX_SAFE_INTEGER);
  };
  const headers = given.headers;
  if (
    headers !== undefined &&
    (typeof headers !== 'object' || headers === null || Array.isArray(headers) || !Object.values(headers).every((v) => typeof v === 'string'))
  ) {
    throw new TypeError('createVerifier: "jwksOptions.headers" must be an object of strings');
  }
  return {
    cooldownMs,
    cacheMaxAgeMs: atLeastCooldown(given.cacheMaxAgeMs, 'cacheMaxAgeMs', DEFAULT_CACHE_MAX_AGE_MS),
    maxBackoffMs: atLeastCooldown(given.maxBackoffMs, 'maxBackoffMs', DEFAULT_MAX_BACKOFF_MS),
    timeoutMs: validateNumber(given.timeoutMs, 'jwksOptions.timeoutMs', DEFAULT_TIMEOUT_MS, 1, MAX_TIMEOUT_MS, true),
    headers: headers === undefined ? undefined : { ...headers },
  };
}

/** Why a key could not be had although no fetch failed: the rate limit holds back the refetch that could find it. */
const KEY_NOT_YET_KNOWN: AuthErrorCause = Object.freeze({ name: 'JWKSNoMatchingKey', code: 'ERR_JWKS_NO_MATCHING_KEY' });

/** Doublings of the failure backoff before the cap surely holds (keeps `cooldownMs * 2 ** n` finite). */
const MAX_BACKOFF_DOUBLINGS = 30;

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

/**
 * The keys of a remote JWKS, and the one place that decides when it is fetched. jose's `RemoteJWKSet` does the
 * HTTP work (timeout, headers, status, JSON, key set validation) through its documented `reload()` and `jwks()`;
 * jose's own fetch-on-miss policy is never used, because it refuses a key published within its cooldown as
 * invalid, and retries a failed fetch on every call.
 *
 * The rules:
 * - At most one fetch is under way; every caller that needs one shares it.
 * - A fetch starts only `cooldownMs` after the last successful one ended, and after failures only after a backoff
 *   (`cooldownMs`, doubling, up to `maxBackoffMs`): the endpoint is never fetched more often, whatever tokens say.
 * - A stale set (older than `cacheMaxAgeMs`) is refetched before use when allowed; if that fails, it keeps serving
 *   the keys it holds: an endpoint outage does not refuse every user.
 * - No key matching a token proves the token bad only against a set fetched after the token arrived (the issuer
 *   may have published its key since the last fetch): then `JWKSNoMatchingKey` (`AUTH_INVALID`). When no such
 *   fetch may happen (rate limit) or it fails, `AUTH_UNAVAILABLE`: nothing was decided, the client retries.
 *
 * The set's `version` changes whenever a fetch brings different keys (the verified-token cache is emptied then).
 * Times are read from `Date.now()`, like jose; a clock set back does not hold back fetches.
 * @internal
 */
export class RemoteKeySet {
  readonly #remote: RemoteJWKSet;
  readonly #options: ResolvedRemoteJwksOptions;
  /** Lookups in the last key set fetched; undefined until a fetch succeeds. */
  #local: LocalKeySet | undefined;
  #fingerprint: string | undefined;
  #version = 0;
  /** When the last successful fetch ended. */
  #fetchedAt = 0;
  /** When the last fetch ended, successful or not. */
  #endedAt = 0;
  /** No fetch starts before this. */
  #nextFetchAt = 0;
  /** Consecutive failed fetches. */
  #failures = 0;
  /** Why the last fetch failed; undefined once one succeeds. */
  #failure: AuthErrorCause | undefined;
  #pending: Promise<void> | undefined;
  /** Fetches started so far: a token notes it on arrival, so it can tell a set fetched after it. */
  #started = 0;
  /** The number (in start order) of the fetch whose keys are in use. */
  #applied = 0;

  /** Validates `options` (a `TypeError` per mistake) and fetches nothing until a key is first needed. */
  constructor(url: URL, options: RemoteJwksOptions | undefined) {
    this.#options = resolveRemoteJwksOptions(options);
    this.#remote = createRemoteJWKSet(url, {
      timeoutDuration: this.#options.timeoutMs,
      ...(this.#options.headers !== undefined && { headers: this.#options.headers }),
    });
  }

  /** The key for a token, as `jwtVerify` asks for it. */
  readonly getKey = (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> => this.#keyFor(header, token);

  /** True while the set in use is younger than `cacheMaxAgeMs`. */
  get fresh(): boolean {
    const now = Date.now();
    return this.#local !== undefined && this.#fetchedAt <= now && now < this.#fetchedAt + this.#options.cacheMaxAgeMs;
  }

  /** Changes whenever a fetch brings different keys. */
  get version(): number {
    return this.#version;
  }

  async #keyFor(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> {
    const arrived = this.#started;
    if (!this.fresh) await this.#refresh();
    return (await this.#lookup(header, token)) ?? this.#unknownKey(header, token, arrived);
  }

  /** The key matching the token in the set in use, or undefined if none does. */
  async #lookup(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey | undefined> {
    const local = this.#local;
    if (local === undefined) throw this.#unavailable();
    try {
      return await local(header, token);
    } catch (error) {
      if (error instanceof joseErrors.JWKSNoMatchingKey) return undefined;
      throw error;
    }
  }

  /** No key in the set in use matches: decided only by a set fetched after the token arrived. */
  async #unknownKey(header: JWSHeaderParameters, token: FlattenedJWSInput, arrived: number): Promise<CryptoKey> {
    // A fetch under way (perhaps started before this token arrived) may bring the key.
    if (this.#pending !== undefined) await this.#pending;
    if (this.#applied <= arrived) {
      const key = await this.#lookup(header, token);
      if (key !== undefined) return key;
      await this.#refresh();
      // Held back by the rate limit, or failed: the key may exist, nothing was decided.
      if (this.#applied <= arrived) throw this.#unavailable();
    }
    const key = await this.#lookup(header, token);
    if (key !== undefined) return key;
    throw new joseErrors.JWKSNoMatchingKey();
  }

  #unavailable(): AuthUnavailableError {
    return this.#failure === undefined
      ? new AuthUnavailableError('signing key not known yet', { cause: KEY_NOT_YET_KNOWN })
      : new AuthUnavailableError('signing keys unavailable', { cause: this.#failure });
  }

  /** Joins the fetch under way, or starts one if the rate limit allows. Never rejects. */
  #refresh(): Promise<void> {
    if (this.#pending !== undefined) return this.#pending;
    const now = Date.now();
    // `now` before the last fetch ended: the clock was set back, which must not hold fetches back that long.
    if (now < this.#nextFetchAt && now >= this.#endedAt) return Promise.resolve();
    const pending = this.#fetch(++this.#started).finally(() => {
      this.#pending = undefined;
    });
    this.#pending = pending;
    return pending;
  }

  async #fetch(sequence: number): Promise<void> {
    try {
      await this.#remote.reload();
      this.#succeeded(sequence);
    } catch (error) {
      this.#failed(error);
    }
  }

  #succeeded(sequence: number): void {
    const jwks = this.#remote.jwks();
    // Only a different set replaces the lookups (and their imported keys) and changes the version.
    const fingerprint = tokenDigest(JSON.stringify(jwks));
    if (fingerprint !== this.#fingerprint) {
      this.#local = createLocalJWKSet(jwks!);
      this.#fingerprint = fingerprint;
      this.#version++;
    }
    const now = Date.now();
    this.#fetchedAt = this.#endedAt = now;
    this.#nextFetchAt = now + this.#options.cooldownMs;
    this.#failures = 0;
    this.#failure = undefined;
    this.#applied = sequence;
  }

  #failed(error: unknown): void {
    const now = Date.now();
    const { cooldownMs, maxBackoffMs } = this.#options;
    this.#failure = causeOf(error);
    this.#endedAt = now;
    this.#nextFetchAt = now + Math.min(maxBackoffMs, cooldownMs * 2 ** Math.min(this.#failures, MAX_BACKOFF_DOUBLINGS));
    this.#failures++;
  }
}
