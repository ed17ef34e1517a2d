import { assertKnownKeys, type KnownKeys } from '@sockauth/core';
import { keyNames, type KeyNames } from './keys.js';
import type { RedisStoreStatus } from './status.js';

/**
 * What {@link RedisRevocationStore.isRevoked} does when it cannot reach Redis and its local mirror is not known
 * to be current:
 * - `closed` (default): reject, so the handshake or re-auth is refused with `AUTH_UNAVAILABLE` (`action: retry`).
 * - `open`: answer from the local mirror, which holds every revocation seen until the connection was lost.
 *   Tokens are still verified (signature, expiry); only revocations made while Redis was unreachable are missed.
 *
 * @example
 * ```ts
 * const store = new RedisRevocationStore({ url: process.env.REDIS_URL, failMode: 'open' });
 * ```
 */
export type RedisFailMode = 'closed' | 'open';

/**
 * An existing node-redis client to take the connection settings from. The store never uses it (nor closes it):
 * it makes two duplicates, one for commands and one for the subscription, and closes those.
 *
 * @example
 * ```ts
 * const client = createClient({ url: process.env.REDIS_URL, password: process.env.REDIS_PASSWORD });
 * const store = new RedisRevocationStore({ client });
 * ```
 */
export interface DuplicableRedisClient {
  /** node-redis `duplicate(overrides)`; typed loosely so clients with modules, scripts or RESP2 fit. */
  duplicate(...args: never[]): unknown;
  readonly options?: { readonly socket?: unknown } | undefined;
}

/**
 * Options of {@link RedisRevocationStore}. Give `url` or `client`.
 *
 * @example
 * ```ts
 * const options: RedisRevocationStoreOptions = { url: 'redis://127.0.0.1:6379', keyPrefix: 'chat:', retentionSec: 3600 };
 * const store = new RedisRevocationStore(options);
 * ```
 */
export interface RedisRevocationStoreOptions {
  /** `redis[s]://[[user][:password]@]host[:port][/db]`. */
  readonly url?: string;
  /** A node-redis client to duplicate (its URL, credentials, TLS and socket settings are reused). */
  readonly client?: DuplicableRedisClient;
  /**
   * Prefix of every key the store writes (default `sockauth:`), non-empty. The keys carry a Redis Cluster hash
   * tag taken from it (`sockauth:` → `{sockauth}:log`, …) so they share one slot; a prefix that already holds a
   * hash tag (`{tenant}:auth:`) is used as is.
   */
  readonly keyPrefix?: string;
  /**
   * Pub/sub channel of revocations (default `<tagged prefix>revocations`, e.g. `{sockauth}:revocations`). Every
   * node sharing a prefix must use the same.
   */
  readonly channel?: string;
  /**
   * How long subject and session revocations (and token revocations without a known `exp`) are kept, in
   * seconds. Set it to at least your longest token lifetime. Default 86 400 (24 h).
   */
  readonly retentionSec?: number;
  /** What `isRevoked` does when Redis is unreachable (default `'closed'`). See {@link RedisFailMode}. */
  readonly failMode?: RedisFailMode;
  /** TCP connect timeout, and how long {@link RedisRevocationStore.ready} waits by default (ms, default 5000). */
  readonly connectTimeoutMs?: number;
  /**
   * Longest wait for one Redis command (ms, default 1000): past it, a revocation check falls back to `failMode`
   * and a revocation is rejected with `AUTH_UNAVAILABLE`.
   */
  readonly commandTimeoutMs?: number;
  /**
   * Every this many ms the subscription connection is pinged; a ping that fails or times out marks the local
   * mirror stale (status `down`) until a resync (default 5000; `0` disables). Catches connections that hang
   * without closing.
   */
  readonly healthCheckIntervalMs?: number;
  /** Called on every status change, e.g. to log losing and regaining Redis. Must not throw. */
  readonly onStatusChange?: (status: RedisStoreStatus) => void;
  /** Clock in ms since the epoch (default `Date.now`). */
  readonly now?: () => number;
}

/** Every option of {@link RedisRevocationStoreOptions}: the typecheck fails if the two drift apart. */
const REDIS_STORE_OPTION_KEYS = {
  url: true,
  client: true,
  keyPrefix: true,
  channel: true,
  retentionSec: true,
  failMode: true,
  connectTimeoutMs: true,
  commandTimeoutMs: true,
  healthCheckIntervalMs: true,
  onStatusChange: true,
  now: true,
} as const satisfies KnownKeys<RedisRevocationStoreOptions>;

/** Options checked, with their defaults applied. */
export interface ResolvedOptions {
  readonly url: string | undefined;
  readonly client: DuplicableRedisClient | undefined;
  readonly keys: KeyNames;
  readonly channel: string;
  readonly retentionSec: number;
  readonly failMode: RedisFailMode;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly healthCheckIntervalMs: number;
  readonly onStatusChange: ((status: RedisStoreStatus) => void) | undefined;
  readonly now: () => number;
}

function positive(value: unknown, name: string, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new TypeError(`RedisRevocationStore: "${name}" must be a ${allowZero ? 'non-negative' : 'positive'} number`);
  }
  return value;
}

/** Checks the options (a `TypeError` naming the first wrong one) and applies the defaults. */
export function resolveOptions(options: RedisRevocationStoreOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('RedisRevocationStore: options are required');
  assertKnownKeys('RedisRevocationStore options', options, REDIS_STORE_OPTION_KEYS);
  const { url, client } = options;
  if ((url === undefined) === (client === undefined)) {
    throw new TypeError('RedisRevocationStore: give exactly one of "url" or "client"');
  }
  if (url !== undefined && (typeof url !== 'string' || url.length === 0)) {
    throw new TypeError('RedisRevocationStore: "url" must be a redis:// or rediss:// URL');
  }
  if (client !== undefined && typeof client?.duplicate !== 'function') {
    throw new TypeError('RedisRevocationStore: "client" must be a node-redis client (createClient())');
  }
  const prefix = options.keyPrefix ?? 'sockauth:';
  // An empty prefix would write bare `log`, `seq`… into the user's keyspace, with no hash tag to derive.
  if (typeof prefix !== 'string' || prefix.length === 0) {
    throw new TypeError('RedisRevocationStore: "keyPrefix" must be a non-empty string');
  }
  const keys = keyNames(prefix);
  const channel = options.channel ?? `${keys.prefix}revocations`;
  if (typeof channel !== 'string' || channel.length === 0) {
    throw new TypeError('RedisRevocationStore: "channel" must be a non-empty string');
  }
  const failMode = options.failMode ?? 'closed';
  if (failMode !== 'closed' && failMode !== 'open') {
    throw new TypeError('RedisRevocationStore: "failMode" must be "closed" or "open"');
  }
  if (options.onStatusChange !== undefined && typeof options.onStatusChange !== 'function') {
    throw new TypeError('RedisRevocationStore: "onStatusChange" must be a function');
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new TypeError('RedisRevocationStore: "now" must be a function');
  }
  return {
    url,
    client,
    keys,
    channel,
    failMode,
    retentionSec: positive(options.retentionSec, 'retentionSec', 86_400),
    connectTimeoutMs: positive(options.connectTimeoutMs, 'connectTimeoutMs', 5_000),
    commandTimeoutMs: positive(options.commandTimeoutMs, 'commandTimeoutMs', 1_000),
    healthCheckIntervalMs: positive(options.healthCheckIntervalMs, 'healthCheckIntervalMs', 5_000, true),
    onStatusChange: options.onStatusChange,
    now: options.now ?? Date.now,
  };
}
