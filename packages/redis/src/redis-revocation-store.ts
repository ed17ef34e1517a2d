import {
  AuthUnavailableError,
  assertRevocationTime,
  reevaluationTimeoutMs,
  revocationApplies,
  type AuthErrorCause,
  type ReevaluationHandler,
  type ReevaluationRequestOptions,
  type ReevaluationResult,
  type ReevaluationTargets,
  type RevocationKind,
  type RevocationListener,
  type RevocationRecord,
  type RevocationStore,
  type RevocationSubject,
  type RevocationTarget,
} from '@sockauth/core';
import { RedisCommands } from './commands.js';
import { RedisConnections } from './connections.js';
import { memberOf } from './keys.js';
import { Reevaluation, reevaluationChannels } from './reevaluation.js';
import { resolveOptions, type RedisFailMode, type RedisRevocationStoreOptions } from './options.js';
import { Replication } from './replication.js';
import { StoreStatus, type RedisStoreStatus } from './status.js';

/** A sanitised cause: the error's class name and code, never its message. */
function causeOf(error: unknown): AuthErrorCause {
  const name = typeof (error as Error | undefined)?.name === 'string' ? (error as Error).name : 'Error';
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? { name, code } : { name };
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
  readonly #retentionMs: number;
  readonly #failMode: RedisFailMode;
  readonly #connectTimeoutMs: number;
  readonly #now: () => number;
  readonly #status: StoreStatus;
  readonly #connections: RedisConnections;
  readonly #commands: RedisCommands;
  readonly #replication: Replication;
  readonly #reevaluation: Reevaluation;
  #closing: Promise<void> | undefined;

  constructor(options: RedisRevocationStoreOptions) {
    const resolved = resolveOptions(options);
    this.retentionSec = resolved.retentionSec;
    this.#retentionMs = resolved.retentionSec * 1000;
    this.#failMode = resolved.failMode;
    this.#connectTimeoutMs = resolved.connectTimeoutMs;
    this.#now = resolved.now;
    this.#status = new StoreStatus(resolved.onStatusChange);
    const channels = reevaluationChannels(resolved.keys);
    this.#connections = new RedisConnections(resolved, this.#status, {
      message: (raw) => this.#replication.onMessage(raw),
      resync: () => void this.#replication.sync(),
      extraChannels: [channels.request, channels.reply],
      extraMessage: (raw, channel) => this.#reevaluation.onMessage(raw, channel),
    });
    this.#commands = new RedisCommands(this.#connections.commands, resolved.keys, resolved.channel, resolved.commandTimeoutMs);
    this.#reevaluation = new Reevaluation(channels, {
      ready: () => this.#connections.subscribedAndReady(),
      publish: (channel, message) => this.#commands.publish(channel, message),
    });
    this.#replication = new Replication({
      commands: this.#commands,
      subscription: this.#connections,
      status: this.#status,
      retentionSec: resolved.retentionSec,
      now: resolved.now,
    });
    // Both connections retry in the background until Redis answers (or close() is called).
    this.#connections.start();
  }

  /** Where the store stands with Redis. See {@link RedisStoreStatus}. */
  get status(): RedisStoreStatus {
    return this.#status.current;
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
    return this.#status.waitFor((status) => status === 'synced', timeoutMs, 'Redis revocation store not ready');
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
    if (this.#status.isClosed()) throw new AuthUnavailableError('revocation store closed');
    if (this.#inSync()) return this.#replication.mirror.isRevoked(token);
    try {
      return await this.#readDirect(token);
    } catch (error) {
      if (this.#failMode === 'open') return this.#replication.mirror.isRevoked(token);
      throw new AuthUnavailableError('revocation store unreachable', { cause: causeOf(error) });
    }
  }

  /**
   * Subscribes to every revocation: this node's, as soon as Redis confirmed it, and other nodes', as they arrive
   * over pub/sub or through a resync. Delivery is at least once (a record may, rarely, be delivered again).
   */
  subscribe(listener: RevocationListener): () => void {
    if (typeof listener !== 'function') throw new TypeError('RedisRevocationStore: listener must be a function');
    return this.#replication.subscribe(listener);
  }

  /**
   * Asks every node sharing this store's prefix (this one included) to re-evaluate its live connections matching
   * `targets` (one target, or a list carried in one request), over pub/sub: PUBLISH tells how many nodes were subscribed, and the answers of that many nodes (or
   * those in by `timeoutMs`, default 2000) are summed. Rejects with `AUTH_UNAVAILABLE` when Redis is unreachable
   * (the request was not sent, or may not have been: asking again is safe).
   *
   * @example
   * ```ts
   * const { affected, nodes } = await store.requestReevaluation({ subject: 'alice' });
   * await store.requestReevaluation(tenantSubjects.map((subject) => ({ subject })));
   * ```
   */
  async requestReevaluation(target: ReevaluationTargets, options?: ReevaluationRequestOptions): Promise<ReevaluationResult> {
    const timeoutMs = reevaluationTimeoutMs(options);
    if (this.#status.isClosed()) throw new AuthUnavailableError('revocation store closed');
    try {
      return await this.#reevaluation.request(target, timeoutMs);
    } catch (error) {
      if (error instanceof TypeError || error instanceof AuthUnavailableError) throw error;
      throw new AuthUnavailableError('revocation store unreachable: the re-evaluation could not be requested, retry', {
        cause: causeOf(error),
      });
    }
  }

  /**
   * Registers this node's handler for re-evaluation requests (from any node, this one included). Returns the
   * unregister function.
   *
   * @example
   * ```ts
   * const off = store.onReevaluation(async (target) => reevaluateLocally(target));
   * ```
   */
  onReevaluation(handler: ReevaluationHandler): () => void {
    if (typeof handler !== 'function') throw new TypeError('RedisRevocationStore: onReevaluation needs a function');
    return this.#reevaluation.onRequest(handler);
  }

  /** Quits both Redis connections and stops timers. Idempotent. Later calls reject with `AUTH_UNAVAILABLE`. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#status.set('closed');
      this.#reevaluation.close();
      await Promise.all([this.#connections.close(), this.#replication.close()]);
    })();
    return this.#closing;
  }

  #inSync(): boolean {
    return this.#status.current === 'synced' && this.#connections.subscriber.isReady;
  }

  async #write(kind: RevocationKind, id: string, since: number, until: number): Promise<RevocationRecord> {
    if (typeof id !== 'string' || id.length === 0) throw new TypeError(`revoke: ${kind} id must be a non-empty string`);
    if (this.#status.isClosed()) throw new AuthUnavailableError('revocation store closed');
    let reply;
    try {
      // Rounded up, as the memory store does: a subject revocation covers iat <= since, so never less.
      reply = await this.#commands.write(kind, id, memberOf(kind, id), Math.ceil(since), Math.ceil(until), this.#now());
    } catch (error) {
      // Never claim success: after a timeout the write may or may not have happened. Revoking again is safe.
      throw new AuthUnavailableError('revocation store unreachable: the revocation could not be confirmed, retry', {
        cause: causeOf(error),
      });
    }
    return this.#replication.applyOwnWrite(kind, id, reply);
  }

  /** Reads the three records a token could be revoked by, straight from Redis. */
  async #readDirect(token: RevocationSubject): Promise<boolean> {
    const candidates: [RevocationKind, string][] = [['subject', token.subject]];
    if (token.sessionId !== undefined) candidates.push(['session', token.sessionId]);
    if (token.tokenId !== undefined) candidates.push(['token', token.tokenId]);
    const values = await this.#commands.readRecords(candidates.map(([kind, id]) => memberOf(kind, id)));
    const now = this.#now();
    let revoked = false;
    candidates.forEach(([kind, id], i) => {
      const stored = values[i];
      if (stored === undefined || stored.until <= now) return;
      const record: RevocationRecord = Object.freeze({ kind, id, since: stored.since, until: stored.until });
      // Keep what we learnt: with failMode 'open' the mirror is the fallback.
      this.#replication.mirror.remember(record);
      if (revocationApplies(record, token)) revoked = true;
    });
    return revoked;
  }
}
