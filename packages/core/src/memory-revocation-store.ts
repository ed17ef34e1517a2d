import { assertKnownKeys, assertPlainObject, type KnownKeys } from './option-keys.js';
import {
  assertRevocationTime,
  parseReevaluationTargets,
  reevaluationTimeoutMs,
  revocationApplies,
  runReevaluationHandlers,
  type ReevaluationHandler,
  type ReevaluationRequestOptions,
  type ReevaluationResult,
  type ReevaluationTargets,
  type RevocationKind,
  type RevocationListener,
  type RevocationRecord,
  type RevocationStore,
  type RevocationSubject,
} from './revocation.js';

/** Options for {@link MemoryRevocationStore}. */
export interface MemoryRevocationStoreOptions {
  /**
   * How long subject and session revocations (and token revocations without a known `exp`) are kept, in
   * seconds. Set it to at least your longest token lifetime. Default 86 400 (24 h).
   */
  readonly retentionSec?: number;
  /** Clock in ms since the epoch (default `Date.now`). */
  readonly now?: () => number;
}

/** Every option of {@link MemoryRevocationStoreOptions}: the typecheck fails if the two drift apart. */
const MEMORY_STORE_OPTION_KEYS = { retentionSec: true, now: true } as const satisfies KnownKeys<MemoryRevocationStoreOptions>;

const SWEEP_EVERY_WRITES = 256;

/**
 * The embedded, single-process revocation store. Memory stays bounded: every record expires (token records at
 * the token's `exp`, others after `retentionSec`) and expired records are swept as new ones are written.
 *
 * @example
 * ```ts
 * const store = new MemoryRevocationStore({ retentionSec: 3600 });
 * await store.revokeSubject('alice');
 * await store.isRevoked(ctx); // true for alice's tokens issued until now
 * ```
 */
export class MemoryRevocationStore implements RevocationStore {
  readonly #records: Record<RevocationKind, Map<string, RevocationRecord>> = {
    subject: new Map(),
    session: new Map(),
    token: new Map(),
  };
  readonly #listeners = new Set<RevocationListener>();
  readonly #reevaluationHandlers = new Set<ReevaluationHandler>();
  readonly #retentionMs: number;
  readonly #now: () => number;
  #writes = 0;
  /** How long subject and session revocations are kept (seconds). */
  readonly retentionSec: number;

  constructor(options: MemoryRevocationStoreOptions = {}) {
    assertPlainObject('MemoryRevocationStore options', options as unknown);
    assertKnownKeys('MemoryRevocationStore options', options, MEMORY_STORE_OPTION_KEYS);
    const retentionSec = options.retentionSec ?? 86_400;
    if (typeof retentionSec !== 'number' || !Number.isFinite(retentionSec) || retentionSec <= 0) {
      throw new TypeError('MemoryRevocationStore: "retentionSec" must be a positive number');
    }
    this.retentionSec = retentionSec;
    this.#retentionMs = retentionSec * 1000;
    this.#now = options.now ?? Date.now;
  }

  /** Number of records currently held (expired ones included until the next sweep). */
  get size(): number {
    return this.#records.subject.size + this.#records.session.size + this.#records.token.size;
  }

  revokeToken(tokenId: string, until: number): Promise<RevocationRecord> {
    const now = this.#now();
    return this.#store('token', tokenId, now, Number.isFinite(until) ? until : now + this.#retentionMs);
  }

  revokeSubject(subject: string, since?: number): Promise<RevocationRecord> {
    const now = this.#now();
    try {
      assertRevocationTime(since);
    } catch (error) {
      return Promise.reject(error);
    }
    // Whole ms, rounded up as the Redis store does (it covers iat <= since: never less than asked).
    return this.#store('subject', subject, Math.ceil(since ?? now), now + this.#retentionMs);
  }

  revokeSession(sessionId: string): Promise<RevocationRecord> {
    const now = this.#now();
    return this.#store('session', sessionId, now, now + this.#retentionMs);
  }

  async isRevoked(token: RevocationSubject): Promise<boolean> {
    return this.isRevokedNow(token);
  }

  /** {@link isRevoked} without the promise: for callers on a hot path that hold this store directly. */
  isRevokedNow(token: RevocationSubject): boolean {
    const { subject, session, token: tokens } = this.#records;
    if (subject.size === 0 && session.size === 0 && tokens.size === 0) return false;
    const now = this.#now();
    const applies = (record: RevocationRecord | undefined): boolean =>
      record !== undefined && record.until > now && revocationApplies(record, token);
    return (
      applies(subject.get(token.subject)) ||
      (token.sessionId !== undefined && applies(session.get(token.sessionId))) ||
      (token.tokenId !== undefined && applies(tokens.get(token.tokenId)))
    );
  }

  subscribe(listener: RevocationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Re-evaluation on this process's sessions: every handler registered with {@link onReevaluation} runs for
   * `target` (one target or a list) and the counts are summed (`nodes` is 1: this process). A handler still running after `timeoutMs`
   * is not waited for (the answers in by then are summed, as a distributed store does).
   */
  async requestReevaluation(target: ReevaluationTargets, options?: ReevaluationRequestOptions): Promise<ReevaluationResult> {
    const list = parseReevaluationTargets(target);
    const timeoutMs = reevaluationTimeoutMs(options);
    if (list.length === 0) return { affected: 0, nodes: 1 };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answers = new Map<ReevaluationHandler, number>();
    const all = Promise.all(
      [...this.#reevaluationHandlers].map(async (handler) => answers.set(handler, await runReevaluationHandlers([handler], target))),
    );
    await Promise.race([all, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]).finally(() =>
      clearTimeout(timer),
    );
    let affected = 0;
    for (const count of answers.values()) affected += count;
    return { affected, nodes: 1 };
  }

  onReevaluation(handler: ReevaluationHandler): () => void {
    if (typeof handler !== 'function') throw new TypeError('MemoryRevocationStore: onReevaluation needs a function');
    this.#reevaluationHandlers.add(handler);
    return () => {
      this.#reevaluationHandlers.delete(handler);
    };
  }

  /** Records a revocation received from elsewhere (used by distributed stores built on this one). */
  remember(record: RevocationRecord): void {
    const map = this.#records[record.kind];
    const existing = map.get(record.id);
    // Keep the widest record: the latest `since` revokes more tokens, the latest `until` lasts longer.
    map.set(
      record.id,
      existing === undefined
        ? record
        : Object.freeze({ ...record, since: Math.max(existing.since, record.since), until: Math.max(existing.until, record.until) }),
    );
    if (++this.#writes % SWEEP_EVERY_WRITES === 0) this.sweep();
  }

  /** Drops expired records. Called automatically as records are written. */
  sweep(): void {
    const now = this.#now();
    for (const map of Object.values(this.#records)) {
      for (const [id, record] of map) if (record.until <= now) map.delete(id);
    }
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    this.#reevaluationHandlers.clear();
  }

  async #store(kind: RevocationKind, id: string, since: number, until: number): Promise<RevocationRecord> {
    if (typeof id !== 'string' || id.length === 0) throw new TypeError(`revoke: ${kind} id must be a non-empty string`);
    const record: RevocationRecord = Object.freeze({ kind, id, since, until });
    this.remember(record);
    for (const listener of this.#listeners) {
      try {
        listener(record);
      } catch {
        // A failing listener must not stop others from cutting their sockets.
      }
    }
    return record;
  }
}
