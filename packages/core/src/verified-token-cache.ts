import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { deepFreeze } from './auth-context.js';
import { assertKnownKeys, type KnownKeys } from './option-keys.js';

/**
 * Tuning of the verified-token cache of {@link createVerifier} (option `cache`). Reconnect storms present the
 * same tokens again; a cache hit skips the signature check, and only that: every time-dependent rule is checked
 * again against the verifier's clock, and revocation is checked by the connection logic on every handshake.
 */
export interface VerifiedTokenCacheOptions {
  /** How many verified tokens are remembered; the oldest is evicted first (default 10 000, 1 to 1 000 000). */
  readonly maxEntries?: number;
  /**
   * The longest a verification is reused, in seconds, however late the token expires (default 300, at most
   * 3600). Bounds how long a token keeps being accepted without a signature check, e.g. after a key rotation.
   */
  readonly maxAgeSec?: number;
}

/** Default {@link VerifiedTokenCacheOptions.maxEntries}. */
export const DEFAULT_CACHE_MAX_ENTRIES = 10_000;
/** Default {@link VerifiedTokenCacheOptions.maxAgeSec}: five minutes. */
export const DEFAULT_CACHE_MAX_AGE_SEC = 300;
const MAX_CACHE_ENTRIES = 1_000_000;
const MAX_CACHE_AGE_SEC = 3600;
/** Every option of {@link VerifiedTokenCacheOptions}: the typecheck fails if the two drift apart. */
const CACHE_OPTION_KEYS = { maxEntries: true, maxAgeSec: true } as const satisfies KnownKeys<VerifiedTokenCacheOptions>;

/** The validated cache settings, or `undefined` when the cache is off. */
export interface ResolvedCacheOptions {
  readonly maxEntries: number;
  readonly maxAgeMs: number;
}

/** Validates `createVerifier`'s `cache` option; every mistake is a `TypeError` at configuration time. */
export function resolveCacheOptions(cache: unknown): ResolvedCacheOptions | undefined {
  if (cache === false) return undefined;
  if (cache === undefined) return { maxEntries: DEFAULT_CACHE_MAX_ENTRIES, maxAgeMs: DEFAULT_CACHE_MAX_AGE_SEC * 1000 };
  if (typeof cache !== 'object' || cache === null || Array.isArray(cache)) {
    throw new TypeError('createVerifier: "cache" must be false or { maxEntries?, maxAgeSec? }');
  }
  // A misspelt option would otherwise silently leave the default in force.
  assertKnownKeys('createVerifier options.cache', cache, CACHE_OPTION_KEYS);
  const { maxEntries = DEFAULT_CACHE_MAX_ENTRIES, maxAgeSec = DEFAULT_CACHE_MAX_AGE_SEC } = cache as VerifiedTokenCacheOptions;
  if (typeof maxEntries !== 'number' || !Number.isInteger(maxEntries) || maxEntries < 1 || maxEntries > MAX_CACHE_ENTRIES) {
    throw new TypeError(`createVerifier: "cache.maxEntries" must be an integer from 1 to ${MAX_CACHE_ENTRIES}`);
  }
  if (typeof maxAgeSec !== 'number' || !Number.isFinite(maxAgeSec) || maxAgeSec <= 0 || maxAgeSec > MAX_CACHE_AGE_SEC) {
    throw new TypeError(`createVerifier: "cache.maxAgeSec" must be a number above 0 and at most ${MAX_CACHE_AGE_SEC}`);
  }
  return { maxEntries, maxAgeMs: maxAgeSec * 1000 };
}

/**
 * The cache key of a token: its SHA-256 digest as a 32-character binary (latin1) string. The token itself is never kept
 * (a bearer credential must not outlive its handshake in memory), and a one-byte-per-character string is the
 * smallest key a `Map` can hash (48 bytes on the heap, against 60 for base64 or 80 for hex).
 */
export function tokenDigest(token: string): string {
  // The one-shot `crypto.hash` (Node >= 20.12) costs a third of `createHash` (0.4 against 1.2 µs per token).
  return hash('sha256', token, 'binary');
}

/** A cached value and when it stops being served, in the verifier's clock. */
interface Entry<T> {
  readonly value: T;
  /** In ms: never later than `exp` + tolerance, nor `maxAgeSec` after it was verified. */
  readonly until: number;
}

/**
 * A bounded map from token digests to verification results, on `lru-cache`. Entries leave when they pass their
 * `until`, when the map is full (the oldest goes), or all at once on {@link clear} (e.g. a new key set). Lookups do
 * not refresh an entry, neither its lifetime nor its place in the eviction order (`peek`, never `get`): its lifetime
 * runs from the signature check that produced it, and a token presented again and again cannot keep itself cached.
 *
 * Time is the verifier's clock (`nowMs`, injectable), checked here against each entry's `until`. Expired entries are
 * not swept (no timer per entry, no scan): they are dropped when looked up or evicted when the map is full, so memory
 * stays bounded by `maxEntries`.
 * @internal
 */
export class VerifiedTokenCache<T> {
  readonly #entries: LRUCache<string, Entry<T>>;
  readonly #maxAgeMs: number;

  constructor(options: ResolvedCacheOptions) {
    this.#maxAgeMs = options.maxAgeMs;
    // No `ttl`: each entry's `until` already holds `maxAgeMs` in the verifier's clock; lru-cache's TTL would read a
    // second clock on every lookup and allocate two `max`-sized arrays up front, for a bound that is already kept.
    this.#entries = new LRUCache<string, Entry<T>>({ max: options.maxEntries });
  }

  /** The number of entries held (expired ones included until they are looked up or evicted). */
  get size(): number {
    return this.#entries.size;
  }

  /** The value cached under `digest`, unless it has reached its `until` at `nowMs` (then it is dropped). */
  get(digest: string, nowMs: number): T | undefined {
    const entry = this.#entries.peek(digest);
    if (entry === undefined) return undefined;
    // `nowMs` below the time it was stored (a clock set back) is fine: the caller re-checks nbf/iat anyway.
    if (nowMs < entry.until) return entry.value;
    this.#entries.delete(digest);
    return undefined;
  }

  /** Remembers `value` until `validUntilMs` (its expiry) or `maxAgeSec` from `nowMs`, whichever comes first. */
  set(digest: string, value: T, nowMs: number, validUntilMs: number): void {
    const until = Math.min(nowMs + this.#maxAgeMs, validUntilMs);
    if (!(nowMs < until)) return;
    // A token verified again (two handshakes raced, or its entry aged out) goes to the young end with a new lifetime.
    this.#entries.set(digest, { value, until });
  }

  /** Forgets everything (the keys that verified the entries may be gone). */
  clear(): void {
    this.#entries.clear();
  }
}

/**
 * Verification results are frozen with the contexts' own {@link deepFreeze}, so one object can be handed to every
 * connection that presents the same token: no connection (nor a `mapClaims`) can change what another one sees.
 */
export { deepFreeze };
