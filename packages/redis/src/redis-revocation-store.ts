import { randomBytes } from 'node:crypto';
import {
  AuthUnavailableError,
  MemoryRevocationStore,
  assertRevocationTime,
  assertKnownKeys,
  revocationApplies,
  type AuthErrorCause,
  type KnownKeys,
  type RevocationKind,
  type RevocationListener,
  type RevocationRecord,
  type RevocationStore,
  type RevocationSubject,
} from '@sockauth/core';
import { createClient, type RedisClientOptions } from 'redis';
import {
  SYNC,
  WRITE,
  keyNames,
  memberOf,
  parseMember,
  parseMessage,
  parseStoredValue,
  type ChannelMessage,
  type KeyNames,
  type Script,
} from './scripts.js';

/**
 * What {@link RedisRevocationStore.isRevoked} does when it cannot reach Redis and its local mirror is not known
 * to be current:
 * - `closed` (default): reject, so the handshake or re-auth is refused with `AUTH_UNAVAILABLE` (`action: retry`).
 * - `open`: answer from the local mirror, which holds every revocation seen until the connection was lost.
 *   Tokens are still verified (signature, expiry); only revocations made while Redis was unreachable are missed.
 */
export type RedisFailMode = 'closed' | 'open';

/**
 * Where the store stands with Redis:
 * - `connecting`: not connected yet (start-up).
 * - `syncing`: subscribed; reading what was written since the last point seen.
 * - `synced`: subscribed and current: `isRevoked` answers from memory, with no Redis round trip.
 * - `down`: the subscription is lost (or unhealthy): `isRevoked` asks Redis directly, then follows `failMode`.
 * - `closed`: {@link RedisRevocationStore.close} was called.
 */
export type RedisStoreStatus = 'connecting' | 'syncing' | 'synced' | 'down' | 'closed';

/**
 * An existing node-redis client to take the connection settings from. The store never uses it (nor closes it):
 * it makes two duplicates, one for commands and one for the subscription, and closes those.
 */
export interface DuplicableRedisClient {
  /** node-redis `duplicate(overrides)`; typed loosely so clients with modules, scripts or RESP2 fit. */
  duplicate(...args: never[]): unknown;
  readonly options?: { readonly socket?: unknown } | undefined;
}

/** Options of {@link RedisRevocationStore}. Give `url` or `client`. */
export interface RedisRevocationStoreOptions {
  /** `redis[s]://[[user][:password]@]host[:port][/db]`. */
  readonly url?: string;
  /** A node-redis client to duplicate (its URL, credentials, TLS and socket settings are reused). */
  readonly client?: DuplicableRedisClient;
  /** Prefix of every key the store writes (default `sockauth:`). Use a hash tag (`{sockauth}:`) on Redis Cluster. */
  readonly keyPrefix?: string;
  /** Pub/sub channel of revocations (default `<keyPrefix>revocations`). Every node sharing a prefix must use the same. */
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

/** The subset of a node-redis client the store uses. */
interface Connection {
  readonly isReady: boolean;
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  close(): Promise<unknown>;
  destroy(): void;
  sendCommand(args: readonly string[], options?: { timeout?: number; typeMapping?: object }): Promise<unknown>;
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  on(event: string, listener: (...args: any[]) => void): unknown;
}

/** Records read per sync script call. */
const SYNC_PAGE = 500;
/** Messages kept while a sync runs; past this, they are dropped and another sync reads them from the log. */
const MAX_BUFFERED = 10_000;
/** Sequence numbers of this node's own writes not yet seen on the channel, at most. */
const MAX_OWN = 10_000;
/** Re-reads of the log in one sync when messages keep arriving out of sequence. */
const MAX_SYNC_ROUNDS = 5;
const RETRY_SYNC_MIN_MS = 100;
const RETRY_SYNC_MAX_MS = 2_000;

function positive(value: unknown, name: string, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new TypeError(`RedisRevocationStore: "${name}" must be a ${allowZero ? 'non-negative' : 'positive'} number`);
  }
  return value;
}

/** A sanitised cause: the error's class name and code, never its message. */
function causeOf(error: unknown): AuthErrorCause {
  const name = typeof (error as Error | undefined)?.name === 'string' ? (error as Error).name : 'Error';
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? { name, code } : { name };
}

function duplicate(client: DuplicableRedisClient, overrides: Partial<RedisClientOptions>): unknown {
  return (client.duplicate as (overrides: Partial<RedisClientOptions>) => unknown).call(client, overrides);
}

function socketOptionsOf(client: DuplicableRedisClient | undefined): object {
  const socket = client?.options?.socket;
  return typeof socket === 'object' && socket !== null ? socket : {};
}

/**
 * A fresh random epoch, written by a script only if Redis has none. Fresh on every call: a store that reused
 * one would recreate the very epoch it knew after Redis lost its data, and others would not notice the loss.
 */
function newEpochCandidate(): string {
  return randomBytes(8).toString('hex');
}

function text(value: unknown): string {
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

/** Rejects after `ms` even if the client's own timeout does not fire (e.g. a command stuck before being written). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`timed out after ${ms} ms`), { name: 'TimeoutError' })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A {@link RevocationStore} shared by every node through Redis: revocations are written atomically (one Lua
 * script sets the record with a TTL, logs it and publishes it), every node's store receives them over pub/sub
 * and hands them to its listeners — so `revoke()` on any node disconnects matching sockets on all of them.
 *
 * Each node keeps a local mirror of the live revocations, filled by a sync at start and kept current by
 * pub/sub. While the subscription is up and in sync, `isRevoked` answers from memory: handshakes and re-auths
 * cost no Redis round trip. When it is not, `isRevoked` asks Redis, and when Redis is unreachable it follows
 * `failMode`. After a reconnection the store resubscribes, then reads everything written since the last write
 * it saw, and hands those records to its listeners, so sockets revoked while this node was cut off are cut.
 *
 * @example
 * ```ts
 * import { RedisRevocationStore } from '@sockauth/redis';
 * import { sockAuth } from '@sockauth/socket.io';
 *
 * const revocationStore = new RedisRevocationStore({ url: process.env.REDIS_URL, retentionSec: 3600 });
 * await revocationStore.ready(); // connected and synced (rejects after connectTimeoutMs)
 * const auth = sockAuth(io, { verifier, revocationStore });
 * await auth.revoke({ subject: 'alice' }); // alice's sockets are cut on every node
 * // on shutdown:
 * await revocationStore.close();
 * ```
 */
export class RedisRevocationStore implements RevocationStore {
  /** How long subject and session revocations are kept (seconds). */
  readonly retentionSec: number;
  readonly #mirror: MemoryRevocationStore;
  readonly #listeners = new Set<RevocationListener>();
  readonly #keys: KeyNames;
  readonly #channel: string;
  readonly #retentionMs: number;
  readonly #failMode: RedisFailMode;
  readonly #connectTimeoutMs: number;
  readonly #commandTimeoutMs: number;
  readonly #onStatusChange: ((status: RedisStoreStatus) => void) | undefined;
  readonly #now: () => number;
  readonly #commands: Connection;
  readonly #subscriber: Connection;

  #status: RedisStoreStatus = 'connecting';
  readonly #statusWaiters = new Set<() => void>();
  /** Epoch of the data the mirror follows (undefined before the first sync). */
  #epoch: string | undefined;
  /** Highest sequence number applied: everything up to it is in the mirror. */
  #lastSeq = 0;
  /** Set once the initial subscription is in place: later `ready` events are reconnections. */
  #subscribed = false;
  #syncing = false;
  #syncAgain = false;
  #syncRetryMs = RETRY_SYNC_MIN_MS;
  #syncRetryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Messages received while not in sync, in order. */
  #buffer: ChannelMessage[] = [];
  /** Own writes already handed to listeners, not yet seen on the channel: `epoch|seq` → seq. */
  readonly #ownSeqs = new Map<string, number>();
  /** Bumped on every (re)subscription, so a sync started before a disconnect never marks the store in sync. */
  #generation = 0;
  /** The last health-check ping failed. */
  #unhealthy = false;
  #pinging = false;
  #healthTimer: ReturnType<typeof setInterval> | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: RedisRevocationStoreOptions) {
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
    if (typeof prefix !== 'string') throw new TypeError('RedisRevocationStore: "keyPrefix" must be a string');
    const channel = options.channel ?? `${prefix}revocations`;
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
    const retentionSec = positive(options.retentionSec, 'retentionSec', 86_400);
    this.retentionSec = retentionSec;
    this.#retentionMs = retentionSec * 1000;
    this.#connectTimeoutMs = positive(options.connectTimeoutMs, 'connectTimeoutMs', 5_000);
    this.#commandTimeoutMs = positive(options.commandTimeoutMs, 'commandTimeoutMs', 1_000);
    const healthCheckMs = positive(options.healthCheckIntervalMs, 'healthCheckIntervalMs', 5_000, true);
    this.#keys = keyNames(prefix);
    this.#channel = channel;
    this.#failMode = failMode;
    this.#onStatusChange = options.onStatusChange;
    this.#now = options.now ?? Date.now;
    this.#mirror = new MemoryRevocationStore({ retentionSec, now: this.#now });

    // Both connections: RESP3 (the subscription connection can still answer PING), commands fail fast while
    // disconnected instead of queueing (a handshake must not wait for a reconnection), and the user's key
    // prefix and type mapping, if any, do not apply to our raw commands.
    const overrides: Partial<RedisClientOptions> = {
      RESP: 3,
      disableOfflineQueue: true,
      keyPrefix: undefined,
      commandOptions: undefined,
      socket: { ...socketOptionsOf(client), connectTimeout: this.#connectTimeoutMs } as RedisClientOptions['socket'],
    };
    const base = (client !== undefined ? duplicate(client, overrides) : createClient({ url, ...overrides })) as Connection &
      DuplicableRedisClient;
    this.#commands = base;
    this.#subscriber = duplicate(base, overrides) as Connection;

    // node-redis emits 'error' for every failed (re)connection attempt; without a listener Node would throw.
    this.#commands.on('error', () => undefined);
    this.#subscriber.on('error', () => {
      if (!this.#subscriber.isReady) this.#markDown();
    });
    this.#subscriber.on('reconnecting', () => this.#markDown());
    this.#subscriber.on('end', () => this.#markDown());
    this.#subscriber.on('ready', () => {
      // The client resubscribed before 'ready'. The first 'ready' is handled by #start (subscribe, then sync).
      if (!this.#subscribed) return;
      this.#generation++;
      this.#unhealthy = false;
      void this.#sync();
    });
    if (healthCheckMs > 0) {
      this.#healthTimer = setInterval(() => void this.#healthCheck(), healthCheckMs);
      this.#healthTimer.unref?.();
    }
    // Both connections retry in the background until Redis answers (or close() is called).
    void this.#subscribeAndSync();
  }

  /** Where the store stands with Redis. See {@link RedisStoreStatus}. */
  get status(): RedisStoreStatus {
    return this.#status;
  }

  /**
   * Resolves once the store is connected, subscribed and in sync. Rejects with `AUTH_UNAVAILABLE` after
   * `timeoutMs` (default `connectTimeoutMs`) or when the store is closed; the store keeps trying in the background.
   *
   * @example
   * ```ts
   * const store = new RedisRevocationStore({ url: process.env.REDIS_URL });
   * await store.ready(); // fail the start-up early when Redis is unreachable
   * ```
   */
  ready(timeoutMs: number = this.#connectTimeoutMs): Promise<void> {
    return this.#waitFor((status) => status === 'synced', timeoutMs, 'Redis revocation store not ready');
  }

  revokeToken(tokenId: string, until: number): Promise<RevocationRecord> {
    const now = this.#now();
    return this.#write('token', tokenId, now, Number.isFinite(until) ? until : now + this.#retentionMs);
  }

  revokeSubject(subject: string, since?: number): Promise<RevocationRecord> {
    const now = this.#now();
    try {
      assertRevocationTime(since);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#write('subject', subject, since ?? now, now + this.#retentionMs);
  }

  revokeSession(sessionId: string): Promise<RevocationRecord> {
    const now = this.#now();
    return this.#write('session', sessionId, now, now + this.#retentionMs);
  }

  /**
   * True when a revocation applies to `token`. In sync: answered from memory. Otherwise: asked to Redis; when
   * Redis cannot answer, rejects with `AUTH_UNAVAILABLE` (`failMode: 'closed'`) or answers from the mirror
   * (`failMode: 'open'`).
   */
  async isRevoked(token: RevocationSubject): Promise<boolean> {
    if (this.#status === 'closed') throw new AuthUnavailableError('revocation store closed');
    if (this.#inSync()) return this.#mirror.isRevoked(token);
    try {
      return await this.#readDirect(token);
    } catch (error) {
      if (this.#failMode === 'open') return this.#mirror.isRevoked(token);
      throw new AuthUnavailableError('revocation store unreachable', { cause: causeOf(error) });
    }
  }

  /**
   * Subscribes to every revocation: this node's, as soon as Redis confirmed it, and other nodes', as they arrive
   * over pub/sub or through a resync. Delivery is at least once (a record may, rarely, be delivered again).
   */
  subscribe(listener: RevocationListener): () => void {
    if (typeof listener !== 'function') throw new TypeError('RedisRevocationStore: listener must be a function');
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Quits both Redis connections and stops timers. Idempotent. Later calls reject with `AUTH_UNAVAILABLE`. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#setStatus('closed');
      clearInterval(this.#healthTimer);
      clearTimeout(this.#syncRetryTimer);
      this.#listeners.clear();
      this.#buffer = [];
      await Promise.all([this.#quit(this.#subscriber), this.#quit(this.#commands)]);
      await this.#mirror.close();
    })();
    return this.#closing;
  }

  // --- connection lifecycle ----------------------------------------------------------------------------------

  /**
   * Opens whichever connection is not open, subscribes, then catches up. A failure (closed while connecting, or a
   * subscription that failed: a later 'ready' cannot resubscribe) schedules another attempt.
   */
  async #subscribeAndSync(): Promise<void> {
    try {
      await Promise.all([
        this.#commands.isOpen ? undefined : this.#commands.connect(),
        this.#subscriber.isOpen ? undefined : this.#subscriber.connect(),
      ]);
      await this.#subscriber.subscribe(this.#channel, (message) => this.#onMessage(text(message)));
    } catch {
      if (this.#status !== 'closed') this.#retryStart();
      return;
    }
    this.#subscribed = true;
    this.#generation++;
    await this.#sync();
  }

  #retryStart(): void {
    clearTimeout(this.#syncRetryTimer);
    this.#syncRetryTimer = setTimeout(() => {
      if (this.#status === 'closed' || this.#subscribed) return;
      void this.#subscribeAndSync();
    }, RETRY_SYNC_MAX_MS);
    this.#syncRetryTimer.unref?.();
  }

  async #quit(connection: Connection): Promise<void> {
    try {
      if (connection.isOpen) await withTimeout(connection.close(), this.#commandTimeoutMs);
    } catch {
      try {
        connection.destroy();
      } catch {
        // Already closed.
      }
    }
  }

  /** A method, so TypeScript does not narrow the status across awaits. */
  #closed(): boolean {
    return this.#status === 'closed';
  }

  #inSync(): boolean {
    return this.#status === 'synced' && this.#subscriber.isReady;
  }

  #markDown(): void {
    if (this.#status === 'closed' || this.#status === 'connecting') return;
    this.#setStatus('down');
  }

  #setStatus(status: RedisStoreStatus): void {
    if (this.#status === status || this.#status === 'closed') return;
    this.#status = status;
    for (const wake of [...this.#statusWaiters]) wake();
    if (this.#onStatusChange !== undefined) {
      try {
        this.#onStatusChange(status);
      } catch {
        // An observer must not break the store.
      }
    }
  }

  #waitFor(accept: (status: RedisStoreStatus) => boolean, timeoutMs: number, message: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = (): boolean => {
        if (accept(this.#status)) {
          done();
          resolve();
          return true;
        }
        if (this.#status === 'closed') {
          done();
          reject(new AuthUnavailableError('revocation store closed'));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new AuthUnavailableError(message, { cause: { name: 'TimeoutError' } }));
      }, timeoutMs);
      const waiter = (): void => void check();
      const done = (): void => {
        clearTimeout(timer);
        this.#statusWaiters.delete(waiter);
      };
      if (!check()) this.#statusWaiters.add(waiter);
    });
  }

  async #healthCheck(): Promise<void> {
    if (this.#pinging || !this.#subscribed || !this.#subscriber.isReady || this.#status === 'closed') return;
    this.#pinging = true;
    try {
      await withTimeout(this.#subscriber.sendCommand(['PING'], { timeout: this.#commandTimeoutMs }), this.#commandTimeoutMs);
      if (this.#unhealthy) {
        // Messages may have been lost while the connection hung: catch up before answering from memory again.
        this.#unhealthy = false;
        void this.#sync();
      }
    } catch {
      this.#unhealthy = true;
      this.#markDown();
    } finally {
      this.#pinging = false;
    }
  }

  // --- sync ----------------------------------------------------------------------------------------------------

  /**
   * Brings the mirror up to date: reads every record written after the last sequence number applied (all of
   * them after a change of epoch), hands each to the listeners, then applies the messages that arrived meanwhile.
   * Only one runs at a time; a request during a run makes it run again.
   */
  async #sync(): Promise<void> {
    if (this.#status === 'closed') return;
    if (this.#syncing) {
      this.#syncAgain = true;
      return;
    }
    this.#syncing = true;
    clearTimeout(this.#syncRetryTimer);
    this.#setStatus('syncing');
    let failed = false;
    try {
      let rounds = 0;
      let generation: number;
      do {
        this.#syncAgain = false;
        // A resubscription during the pull (a new generation) means messages may have been lost: pull again.
        generation = this.#generation;
        await this.#pull();
        this.#drainBuffer();
      } while ((this.#syncAgain || generation !== this.#generation) && !this.#closed() && ++rounds < MAX_SYNC_ROUNDS);
      if (this.#syncAgain) {
        // Still out of sequence after re-reading the log: what is left is not in the log (a stray message on the
        // channel); the log is the authority, so drop it.
        this.#syncAgain = false;
        this.#buffer = [];
      }
      this.#syncRetryMs = RETRY_SYNC_MIN_MS;
      if (generation === this.#generation && this.#subscriber.isReady && !this.#unhealthy) {
        this.#setStatus('synced');
        return;
      }
    } catch {
      failed = true;
    } finally {
      this.#syncing = false;
    }
    this.#markDown();
    // Not in sync. A lost subscription syncs again on its next 'ready', an unhealthy one after its next good
    // ping; otherwise (Redis did not answer the pull, or the subscription flapped) try again, backing off.
    if (this.#subscriber.isReady && !this.#unhealthy && !this.#closed()) {
      clearTimeout(this.#syncRetryTimer);
      this.#syncRetryTimer = setTimeout(() => void this.#sync(), failed ? this.#syncRetryMs : RETRY_SYNC_MIN_MS);
      this.#syncRetryTimer.unref?.();
      if (failed) this.#syncRetryMs = Math.min(this.#syncRetryMs * 2, RETRY_SYNC_MAX_MS);
    }
  }

  /** Reads the log after #lastSeq, page by page, applying and emitting each record. */
  async #pull(): Promise<void> {
    let after = this.#lastSeq;
    for (;;) {
      const reply = (await this.#eval(SYNC, [this.#keys.log, this.#keys.seq, this.#keys.epoch], [
        String(after),
        String(SYNC_PAGE),
        newEpochCandidate(),
        this.#keys.record,
      ])) as unknown[];
      const epoch = text(reply[0]);
      const counter = Number(text(reply[1]));
      const count = Number(text(reply[2]));
      const lastScore = Number(text(reply[3]));
      if (this.#epoch !== epoch || counter < this.#lastSeq) {
        // Redis lost its data (new epoch) or went back in time (restored from an older snapshot): everything
        // it holds now may be unknown here. Start over from the beginning of the log.
        const restart = this.#epoch !== undefined || after !== 0;
        this.#epoch = epoch;
        this.#lastSeq = 0;
        if (restart) {
          after = 0;
          continue;
        }
      }
      const now = this.#now();
      for (let i = 4; i + 1 < reply.length; i += 2) {
        const member = parseMember(text(reply[i]));
        const stored = parseStoredValue(text(reply[i + 1]));
        if (member === undefined || stored === undefined || stored.until <= now) continue;
        const own = this.#ownSeqs.delete(`${epoch}|${stored.seq}`);
        this.#apply(Object.freeze({ kind: member.kind, id: member.id, since: stored.since, until: stored.until }), !own);
      }
      if (count < SYNC_PAGE) {
        // The page held everything after `after` at the time of the read; the counter covers all of it.
        this.#lastSeq = Math.max(this.#lastSeq, counter);
        break;
      }
      after = lastScore;
    }
    const current = `${this.#epoch}|`;
    for (const [key, seq] of this.#ownSeqs) if (!key.startsWith(current) || seq <= this.#lastSeq) this.#ownSeqs.delete(key);
  }

  // --- messages ------------------------------------------------------------------------------------------------

  #onMessage(raw: string): void {
    if (this.#status === 'closed') return;
    const message = parseMessage(raw);
    if (message === undefined) return;
    if (this.#syncing || this.#status !== 'synced') {
      this.#bufferMessage(message);
      return;
    }
    if (!this.#accept(message)) {
      this.#bufferMessage(message);
      void this.#sync();
    }
  }

  #bufferMessage(message: ChannelMessage): void {
    if (this.#buffer.length >= MAX_BUFFERED) {
      // Every message is also in the log: drop the buffer and read them from there.
      this.#buffer = [];
      this.#syncAgain = true;
      return;
    }
    this.#buffer.push(message);
  }

  /** Applies the next message in sequence. False when it cannot be applied in order (gap or new epoch). */
  #accept(message: ChannelMessage): boolean {
    if (message.epoch !== this.#epoch) return false;
    if (message.seq <= this.#lastSeq) return true; // already applied (read by a sync)
    if (message.seq !== this.#lastSeq + 1) return false; // a message was lost: read the log
    this.#lastSeq = message.seq;
    const own = this.#ownSeqs.delete(`${message.epoch}|${message.seq}`);
    if (message.until > this.#now()) {
      this.#apply(Object.freeze({ kind: message.kind, id: message.id, since: message.since, until: message.until }), !own);
    }
    return true;
  }

  #drainBuffer(): void {
    const buffered = this.#buffer;
    this.#buffer = [];
    for (const message of buffered) {
      // The pull just read the current epoch: another one is from before a Redis restart (or a foreign writer).
      if (message.epoch !== this.#epoch) continue;
      if (!this.#accept(message)) {
        // The log has it (and what came before it): read it again.
        this.#syncAgain = true;
        return;
      }
    }
  }

  #apply(record: RevocationRecord, emit: boolean): void {
    this.#mirror.remember(record);
    if (!emit) return;
    for (const listener of [...this.#listeners]) {
      try {
        listener(record);
      } catch {
        // A failing listener must not stop others from cutting their sockets.
      }
    }
  }

  // --- commands ------------------------------------------------------------------------------------------------

  async #write(kind: RevocationKind, id: string, since: number, until: number): Promise<RevocationRecord> {
    if (typeof id !== 'string' || id.length === 0) throw new TypeError(`revoke: ${kind} id must be a non-empty string`);
    if (this.#status === 'closed') throw new AuthUnavailableError('revocation store closed');
    let reply: unknown[];
    try {
      reply = (await this.#eval(
        WRITE,
        [this.#keys.record + memberOf(kind, id), this.#keys.log, this.#keys.exp, this.#keys.seq, this.#keys.epoch],
        [
          memberOf(kind, id),
          kind,
          id,
          // Rounded up, as the memory store does: a subject revocation covers iat <= since, so never less.
          String(Math.ceil(since)),
          String(Math.ceil(until)),
          String(this.#now()),
          this.#channel,
          newEpochCandidate(),
        ],
      )) as unknown[];
    } catch (error) {
      // Never claim success: after a timeout the write may or may not have happened. Revoking again is safe.
      throw new AuthUnavailableError('revocation store unreachable: the revocation could not be confirmed, retry', {
        cause: causeOf(error),
      });
    }
    const epoch = text(reply[0]);
    const seq = Number(text(reply[1]));
    const record: RevocationRecord = Object.freeze({ kind, id, since: Number(text(reply[2])), until: Number(text(reply[3])) });
    const newEpoch = this.#epoch !== undefined && epoch !== this.#epoch;
    if (newEpoch || seq > this.#lastSeq) {
      // Not seen on the channel yet: hand it to the listeners now (this node's sockets are cut before `revoke()`
      // resolves) and skip it when it comes back over pub/sub or through a sync.
      if (this.#ownSeqs.size >= MAX_OWN) this.#ownSeqs.clear();
      this.#ownSeqs.set(`${epoch}|${seq}`, seq);
      this.#apply(record, true);
    }
    // Redis lost its data since our last sync (restart without persistence): resync from scratch.
    if (newEpoch) void this.#sync();
    return record;
  }

  /** Reads the three records a token could be revoked by, straight from Redis. */
  async #readDirect(token: RevocationSubject): Promise<boolean> {
    const candidates: [RevocationKind, string][] = [['subject', token.subject]];
    if (token.sessionId !== undefined) candidates.push(['session', token.sessionId]);
    if (token.tokenId !== undefined) candidates.push(['token', token.tokenId]);
    const values = (await this.#command([
      'MGET',
      ...candidates.map(([kind, id]) => this.#keys.record + memberOf(kind, id)),
    ])) as unknown[];
    const now = this.#now();
    let revoked = false;
    candidates.forEach(([kind, id], i) => {
      const value = values[i];
      if (value === null || value === undefined) return;
      const stored = parseStoredValue(text(value));
      if (stored === undefined || stored.until <= now) return;
      const record: RevocationRecord = Object.freeze({ kind, id, since: stored.since, until: stored.until });
      // Keep what we learnt: with failMode 'open' the mirror is the fallback.
      this.#mirror.remember(record);
      if (revocationApplies(record, token)) revoked = true;
    });
    return revoked;
  }

  async #eval(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.#command(['EVALSHA', script.sha, ...tail]);
    } catch (error) {
      // After a restart (or SCRIPT FLUSH) Redis no longer has the script: EVAL sends and caches it again.
      if (!/NOSCRIPT/.test(String((error as Error | undefined)?.message))) throw error;
      return this.#command(['EVAL', script.source, ...tail]);
    }
  }

  #command(args: readonly string[]): Promise<unknown> {
    if (!this.#commands.isReady) return Promise.reject(Object.assign(new Error('Redis is not connected'), { name: 'ClientOfflineError' }));
    return withTimeout(this.#commands.sendCommand(args, { timeout: this.#commandTimeoutMs, typeMapping: {} }), this.#commandTimeoutMs);
  }
}
