import { createAdapter } from '@socket.io/redis-adapter';
import type { RevocationStore } from '@sockauth/core';
import { RedisRevocationStore } from '@sockauth/redis';
import { createClient } from 'redis';
import { RedisRestrictions, refreshingRestrictions } from './redis-restrictions.js';

/**
 * The cluster mode of the demo (`REDIS_URL` set): revocations live in Redis and reach every node
 * (`RedisRevocationStore`), and Socket.IO broadcasts (chat rooms, announcements) cross nodes through
 * `@socket.io/redis-adapter`. Shared by both examples.
 */
export interface RedisMode {
  /**
   * The Redis revocation store, whose re-evaluation requests first re-read the subject's restriction (see
   * `refreshingRestrictions`).
   */
  readonly revocationStore: RevocationStore;
  /** `POST /admin/restrict`'s restrictions, shared by every node. */
  readonly restrictions: RedisRestrictions;
  /** The Socket.IO adapter factory: `new Server(http, { adapter })`. */
  readonly adapter: ReturnType<typeof createAdapter>;
  /** Quits every Redis connection (the store's two, the restrictions' two, the adapter's two). Idempotent. */
  close(): Promise<void>;
}

/** Redis could not be reached at start-up. The message never contains the URL (it may carry a password). */
export class RedisModeError extends Error {
  override readonly name = 'RedisModeError';
}

/** How long the start-up waits for Redis before giving up. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Connects to Redis and resolves once the revocation store is in sync and the adapter's clients are connected.
 * Rejects with {@link RedisModeError} (after closing what it opened) when Redis does not answer in time.
 *
 * @example
 * ```ts
 * const redis = await connectRedisMode(process.env.REDIS_URL!, revocationRetentionSec(config));
 * const auth = createSockAuth({ verifier, revocationStore: redis.revocationStore });
 * const io = new Server(http, { adapter: redis.adapter });
 * ```
 */
export async function connectRedisMode(url: string, retentionSec: number): Promise<RedisMode> {
  const redisStore = new RedisRevocationStore({ url, connectTimeoutMs: CONNECT_TIMEOUT_MS, retentionSec });
  const restrictions = new RedisRestrictions(url, { connectTimeoutMs: CONNECT_TIMEOUT_MS });
  // RESP2 for the adapter: @socket.io/redis-adapter 8 parses RESP2 replies (e.g. PUBSUB NUMSUB for serverCount).
  const pubClient = createClient({ url, RESP: 2, socket: { connectTimeout: CONNECT_TIMEOUT_MS } });
  const subClient = pubClient.duplicate();
  // node-redis reports every failed reconnection attempt as 'error'; it keeps reconnecting by itself.
  pubClient.on('error', () => undefined);
  subClient.on('error', () => undefined);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const quit = async (client: typeof pubClient): Promise<void> => {
        if (!client.isOpen) return;
        await client.close().catch(() => client.destroy());
      };
      await Promise.allSettled([redisStore.close(), restrictions.close(), quit(pubClient), quit(subClient)]);
    })();
    return closing;
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      Promise.all([redisStore.ready(CONNECT_TIMEOUT_MS), restrictions.ready(), pubClient.connect(), subClient.connect()]),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), CONNECT_TIMEOUT_MS);
      }),
    ]);
  } catch {
    await close();
    throw new RedisModeError(`cannot reach Redis at REDIS_URL within ${CONNECT_TIMEOUT_MS} ms`);
  } finally {
    clearTimeout(timer);
  }
  return {
    revocationStore: refreshingRestrictions(redisStore, restrictions),
    restrictions,
    adapter: createAdapter(pubClient, subClient),
    close,
  };
}
