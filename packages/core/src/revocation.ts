/** What a revocation applies to. */
export type RevocationKind = 'subject' | 'session' | 'token';

/**
 * One revocation, as stored and as published to every node.
 * - `token`: the token with this `jti` is revoked until `until` (its `exp`).
 * - `session`: every token with this `sid` is revoked until `until`.
 * - `subject`: every token of this `sub` whose `iat` is at or before `since` is revoked; tokens issued later are
 *   not (the user may log in again). `since` is in the issuer's clock: adapters record the revocation instant
 *   plus the issuer's clock skew, so a token minted before the revocation by an issuer whose clock runs ahead is
 *   covered too. Kept until `until`.
 */
export interface RevocationRecord {
  readonly kind: RevocationKind;
  readonly id: string;
  /** When the revocation was made (ms since the epoch). */
  readonly since: number;
  /** When the record may be forgotten (ms since the epoch). */
  readonly until: number;
}

/** What a revocation check needs to know about a token. An `AuthContext` satisfies it. */
export interface RevocationSubject {
  readonly subject: string;
  readonly sessionId?: string;
  readonly tokenId?: string;
  /** `iat` in ms; a token without one counts as issued before any subject revocation. */
  readonly issuedAt?: number;
  readonly expiresAt: number;
}

/** The target of `revoke()`: exactly one of these. */
export type RevocationTarget =
  | { readonly subject: string; readonly sessionId?: never; readonly tokenId?: never }
  | { readonly sessionId: string; readonly subject?: never; readonly tokenId?: never }
  | { readonly tokenId: string; readonly subject?: never; readonly sessionId?: never };

/**
 * What a re-evaluation applies to: one target, or a list of them (every subject of a tenant, say), re-evaluated in
 * one call, one store request across nodes. A connection matched by several targets is re-evaluated once.
 *
 * @example
 * ```ts
 * const tenant: ReevaluationTargets = (await directory.subjectsOf('T')).map((subject) => ({ subject }));
 * await auth.reevaluate(tenant);
 * ```
 */
export type ReevaluationTargets = RevocationTarget | readonly RevocationTarget[];

/**
 * Most targets one re-evaluation call may carry (a `TypeError` beyond: split the list).
 *
 * @example
 * ```ts
 * for (let i = 0; i < subjects.length; i += MAX_REEVALUATION_TARGETS) {
 *   await auth.reevaluate(subjects.slice(i, i + MAX_REEVALUATION_TARGETS).map((subject) => ({ subject })));
 * }
 * ```
 */
export const MAX_REEVALUATION_TARGETS = 100_000;

/** Called for every revocation, including those made on other nodes (for distributed stores). */
export type RevocationListener = (record: RevocationRecord) => void;

/** Options of {@link RevocationStore.requestReevaluation}. */
export interface ReevaluationRequestOptions {
  /** How long to wait for the nodes' answers (ms, default 2000); past it, the answers received are summed. */
  readonly timeoutMs?: number;
}

/** What {@link RevocationStore.requestReevaluation} resolves with. */
export interface ReevaluationResult {
  /** Live connections re-evaluated, summed over the nodes that answered. */
  readonly affected: number;
  /** Nodes that answered (this one included). */
  readonly nodes: number;
}

/**
 * A node's handler for re-evaluation requests: re-evaluates this node's live connections matching `targets` (one
 * target or a list) and resolves with how many it re-evaluated.
 */
export type ReevaluationHandler = (targets: ReevaluationTargets) => Promise<number>;

/** Default of {@link ReevaluationRequestOptions.timeoutMs}. */
const DEFAULT_REEVALUATION_TIMEOUT_MS = 2_000;

/**
 * Validates {@link ReevaluationRequestOptions} and returns the timeout in ms (a `TypeError` naming `timeoutMs`
 * otherwise). Shared by the stores, so they agree.
 */
export function reevaluationTimeoutMs(options: ReevaluationRequestOptions | undefined): number {
  const timeoutMs = options?.timeoutMs ?? DEFAULT_REEVALUATION_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError('requestReevaluation: "timeoutMs" must be a positive number of ms');
  }
  return timeoutMs;
}

/**
 * Where revocations live. The in-memory store is the default; `@sockauth/redis` shares them across nodes.
 * Implementations must be safe to call concurrently, and must reject (never resolve `false`) when they cannot
 * answer, so the caller can fail closed with `AUTH_UNAVAILABLE`.
 */
export interface RevocationStore {
  /** Revokes the token with id `tokenId` until `until` (ms; normally the token's `exp`). */
  revokeToken(tokenId: string, until: number): Promise<RevocationRecord>;
  /**
   * Revokes every token of `subject` whose `iat` is at or before `since` (ms, default now; a `TypeError` if it is
   * not a time). Adapters pass now plus the issuer's clock skew (see `ConnectionAuth.subjectRevocationSince`).
   */
  revokeSubject(subject: string, since?: number): Promise<RevocationRecord>;
  /** Revokes every token carrying session id `sessionId`. */
  revokeSession(sessionId: string): Promise<RevocationRecord>;
  /** True when any revocation applies to `token`. */
  isRevoked(token: RevocationSubject): Promise<boolean>;
  /** Subscribes to revocations (local and, for distributed stores, remote). Returns the unsubscribe function. */
  subscribe(listener: RevocationListener): () => void;
  /**
   * Asks every node sharing this store (this one included) to re-evaluate its live connections matching `targets`
   * (one target or a list, carried in one request), and resolves once each node that was listening answered (or
   * `timeoutMs`, default 2000, passed) with the total. Optional: without it, a session re-evaluates its own node
   * only. Rejects with `AUTH_UNAVAILABLE` when the request cannot be sent (nothing was asked), and with a
   * `TypeError` for a malformed target.
   *
   * @example
   * ```ts
   * const { affected, nodes } = await store.requestReevaluation!({ subject: 'alice' }, { timeoutMs: 1000 });
   * await store.requestReevaluation!([{ subject: 'alice' }, { subject: 'bob' }]);
   * ```
   */
  requestReevaluation?(targets: ReevaluationTargets, options?: ReevaluationRequestOptions): Promise<ReevaluationResult>;
  /**
   * Registers this node's handler for re-evaluation requests (its own ones included); the handler resolves with
   * how many connections it re-evaluated. Returns the unregister function. Several handlers (several sessions
   * sharing a store) are all called and their counts summed.
   *
   * @example
   * ```ts
   * const off = store.onReevaluation!(async (target) => sessions.reevaluateLocal(target));
   * ```
   */
  onReevaluation?(handler: ReevaluationHandler): () => void;
  /** Releases resources (connections, timers). */
  close?(): Promise<void>;
  /**
   * How long subject and session revocations are kept, in seconds, when the store forgets them. Adapters compare
   * it with the tokens they accept (a revocation forgotten before its tokens expire lets them back in).
   */
  readonly retentionSec?: number;
}

/** True when `record` applies to `token`. Shared by every store and adapter so the rule lives in one place. */
export function revocationApplies(record: RevocationRecord, token: RevocationSubject): boolean {
  switch (record.kind) {
    case 'token':
      return token.tokenId === record.id;
    case 'session':
      return token.sessionId === record.id;
    case 'subject':
      return token.subject === record.id && (token.issuedAt === undefined || token.issuedAt <= record.since);
  }
}

const TARGET_KEYS = ['subject', 'sessionId', 'tokenId'] as const;

/**
 * Validates a {@link RevocationTarget} and returns its kind and id. Throws `TypeError` on anything but exactly
 * one non-empty string id.
 */
export function parseRevocationTarget(target: unknown): { kind: RevocationKind; id: string } {
  if (typeof target !== 'object' || target === null) {
    throw new TypeError('revoke: target must be { subject } | { sessionId } | { tokenId }');
  }
  const t = target as Record<string, unknown>;
  // Read key by key, without a list per target: a whole tenant's re-evaluation parses thousands.
  let key: 'subject' | 'sessionId' | 'tokenId' | undefined;
  let present = 0;
  for (const name of TARGET_KEYS) {
    if (t[name] === undefined) continue;
    key = name;
    present++;
  }
  if (present !== 1 || key === undefined) {
    throw new TypeError('revoke: give exactly one of subject, sessionId or tokenId');
  }
  const id = t[key];
  if (typeof id !== 'string' || id.length === 0 || id.length > 1024) {
    throw new TypeError(`revoke: ${key} must be a non-empty string of at most 1024 characters`);
  }
  return { kind: key === 'subject' ? 'subject' : key === 'sessionId' ? 'session' : 'token', id };
}

/**
 * Validates {@link ReevaluationTargets} (each target as {@link parseRevocationTarget} does; a list of at most
 * {@link MAX_REEVALUATION_TARGETS}) and returns them as a list. A `TypeError` otherwise. Shared by the sessions and
 * the stores, so they agree.
 *
 * @example
 * ```ts
 * for (const target of parseReevaluationTargets(targets)) reevaluateOne(target);
 * ```
 */
export function parseReevaluationTargets(targets: unknown): readonly RevocationTarget[] {
  if (!Array.isArray(targets)) {
    parseRevocationTarget(targets);
    return [targets as RevocationTarget];
  }
  if (targets.length > MAX_REEVALUATION_TARGETS) {
    throw new TypeError(`reevaluate: at most ${MAX_REEVALUATION_TARGETS} targets per call`);
  }
  for (const target of targets) parseRevocationTarget(target);
  return targets as readonly RevocationTarget[];
}

/**
 * Validates the `since` of a subject revocation: `undefined` (now) or a time in ms since the epoch; throws a
 * `TypeError` otherwise. Shared by the stores, so they agree; a custom store can use it too.
 *
 * @example
 * ```ts
 * revokeSubject(subject: string, since?: number) {
 *   assertRevocationTime(since);
 *   // ...
 * }
 * ```
 */
export function assertRevocationTime(since: unknown): void {
  if (since !== undefined && (typeof since !== 'number' || !Number.isFinite(since) || since < 0)) {
    throw new TypeError('revoke: "since" must be a time in ms since the epoch');
  }
}

/**
 * Applies a {@link RevocationTarget} to a store.
 *
 * @param tokenUntil for `tokenId` targets: until when to keep the record (ms). Default: the store's retention.
 * @param subjectSince for `subject` targets: the record's `since` (ms, in the issuer's clock). Default: the store's
 *   now.
 *
 * @example
 * ```ts
 * await revokeTarget(store, { subject: 'alice' }, undefined, ConnectionAuth.subjectRevocationSince(options));
 * ```
 */
export async function revokeTarget(
  store: RevocationStore,
  target: RevocationTarget,
  tokenUntil?: number,
  subjectSince?: number,
): Promise<RevocationRecord> {
  const { kind, id } = parseRevocationTarget(target);
  if (kind === 'subject') return store.revokeSubject(id, subjectSince);
  if (kind === 'session') return store.revokeSession(id);
  return store.revokeToken(id, tokenUntil ?? Number.NaN);
}

/**
 * Runs every handler for `target` (one target or a list) and sums their counts: how a node answers a re-evaluation request. A handler
 * that throws (or answers something other than a count) counts 0: the others still run. Shared by the stores.
 *
 * @example
 * ```ts
 * const affected = await runReevaluationHandlers(this.#handlers, target);
 * ```
 */
export async function runReevaluationHandlers(
  handlers: Iterable<ReevaluationHandler>,
  target: ReevaluationTargets,
): Promise<number> {
  const counts = await Promise.all(
    [...handlers].map(async (handler) => {
      try {
        const count = await handler(target);
        return typeof count === 'number' && Number.isFinite(count) && count > 0 ? count : 0;
      } catch {
        return 0;
      }
    }),
  );
  return counts.reduce((sum, count) => sum + count, 0);
}
