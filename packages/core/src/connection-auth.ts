import type { JWTPayload } from 'jose';
import { createAuthContext, type AuthContext, type ClaimsMapper } from './auth-context.js';
import {
  AuthExpiredError,
  AuthIdentityMismatchError,
  AuthInvalidError,
  AuthMissingError,
  AuthRevokedError,
  AuthStaleError,
  AuthUnavailableError,
  isAuthError,
  type AuthError,
} from './errors.js';
import { DeadlineScheduler, MAX_TIMER_DELAY_MS } from './deadline-scheduler.js';
import { assertKnownKeys, type KnownKeys } from './option-keys.js';
import type { RevocationRecord, RevocationStore } from './revocation.js';
import { MemoryRevocationStore } from './memory-revocation-store.js';
import { RevocationWatch } from './revocation-watch.js';
import { verifierPayloadsAreFresh, type Verifier } from './verifier.js';

/**
 * - `pending`: authenticated, timers not started yet (the socket is not connected yet).
 * - `active`: the context is in force.
 * - `grace`: the deadline passed and `graceSec` is set: only re-auth is accepted.
 * - `expired`, `revoked`, `closed`: final; no context is in force.
 */
export type ConnectionState = 'pending' | 'active' | 'grace' | 'expired' | 'revoked' | 'closed';

/** Options shared by every connection of an adapter. */
export interface ConnectionAuthOptions<TClaims extends JWTPayload = JWTPayload> {
  /** The verifier for handshake and re-auth tokens. */
  readonly verifier: Verifier;
  /** How claims become an identity (default: `sub`, `scope`/`scp`/`permissions`, `sid`, `jti`). */
  readonly mapClaims?: ClaimsMapper<TClaims>;
  /**
   * Revocation store consulted at the handshake and on every re-auth. Its `retentionSec`, when it has one, must
   * cover the verifier's `maxTokenAgeSec` plus the clock tolerance and {@link issuerClockSkewSec} (a `TypeError`
   * otherwise): a revocation forgotten before the tokens it covers expire would let them back in.
   */
  readonly revocationStore?: RevocationStore;
  /**
   * How far ahead of this server's clock the token issuer's clock may run, in seconds (default: the verifier's
   * `clockToleranceSec`, at most 300). A subject revocation covers every token whose `iat` is at most this much
   * after the revocation: a token minted before it by an issuer whose clock runs ahead is revoked too. Set `0`
   * when the issuer shares this server's clock (an identity provider in the same process or host) and stamps `iat`
   * with millisecond precision (RFC 7519 allows a fractional `iat`): a user can then log in again right after a
   * revocation, instead of waiting for the skew (and, with whole-second `iat`, the rest of that second) to pass.
   */
  readonly issuerClockSkewSec?: number;
  /** Warn this many seconds before `exp` (default 30). */
  readonly warnBeforeSec?: number;
  /**
   * After the deadline, keep the connection this many seconds in a restricted state where only re-auth is
   * accepted, instead of cutting it at once (default 0: cut at once).
   */
  readonly graceSec?: number;
  /** At most this many re-auth attempts per connection per minute (default 10). */
  readonly maxReauthsPerMinute?: number;
}

/** Every option of {@link ConnectionAuthOptions}: the typecheck fails if the two drift apart. */
export const CONNECTION_AUTH_OPTION_KEYS = {
  verifier: true,
  mapClaims: true,
  revocationStore: true,
  warnBeforeSec: true,
  graceSec: true,
  maxReauthsPerMinute: true,
  issuerClockSkewSec: true,
} as const satisfies KnownKeys<ConnectionAuthOptions>;

/**
 * Lifecycle callbacks. Each receives the connection as its last argument, so an adapter can share one events
 * object between all its connections and find the socket through {@link ConnectionAuth.tag} (one object instead of
 * three closures per connection).
 */
export interface ConnectionAuthEvents<TClaims extends JWTPayload = JWTPayload> {
  /** `exp - warnBeforeSec` was reached (or had already passed at start). Once per context. */
  onExpiring?(info: { expiresAt: number; inMs: number }, context: AuthContext<TClaims>, connection: ConnectionAuth<TClaims>): void;
  /** The deadline passed with `graceSec` set: only re-auth is accepted until `graceEndsAt`. */
  onGrace?(info: { graceEndsAt: number }, context: AuthContext<TClaims>, connection: ConnectionAuth<TClaims>): void;
  /**
   * The connection expired for good: cut it. Called once. `error` is one frozen instance shared by every
   * expiry (an expiry storm builds no error, and no stack trace, per connection).
   */
  onExpired?(error: AuthExpiredError, context: AuthContext<TClaims>, connection: ConnectionAuth<TClaims>): void;
  /**
   * A re-auth committed `context`, called synchronously before {@link ConnectionAuth.reauthenticate} resolves:
   * re-index the connection under its new identity here, so a revocation of the new token arriving before the
   * promise settles finds it.
   */
  onReauthenticated?(context: AuthContext<TClaims>, previous: AuthContext<TClaims>, connection: ConnectionAuth<TClaims>): void;
}

/** Validated, defaulted options. */
interface ResolvedOptions<TClaims extends JWTPayload> {
  readonly verifier: Verifier;
  readonly mapClaims: ClaimsMapper<TClaims> | undefined;
  readonly revocationStore: RevocationStore | undefined;
  readonly warnBeforeMs: number;
  readonly graceMs: number;
  readonly toleranceMs: number;
  readonly issuerSkewMs: number;
  readonly maxReauthsPerMinute: number;
  /** Revocations arriving while tokens are verified (undefined without a store). */
  readonly watch: RevocationWatch | undefined;
  /** The one timer of every connection sharing these options (and so the verifier's clock). */
  readonly scheduler: Scheduler;
  /** What `createAuthContext` is told of the verifier's payloads: one object for every handshake. */
  readonly contextOptions: { readonly ownClaims: boolean };
}

/** Connections of any claims type share a scheduler: it only reads their mark and runs their next step. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Scheduler = DeadlineScheduler<ConnectionAuth<any>>;

/**
 * The scheduler of the connections sharing one options object (so one clock): it runs their next lifecycle
 * step and keeps its mark in a private field of each. Defined in the class's static block, which can reach them.
 */
let createScheduler: (verifier: Verifier) => Scheduler;

/** `createAuthContext`'s options for claims already frozen in a context: one object, not one per re-evaluation. */
const OWN_CLAIMS = Object.freeze({ ownClaims: true });

/** The error of every timer-driven expiry (created on the first one). */
let EXPIRED: AuthExpiredError | undefined;

const resolved = new WeakMap<object, ResolvedOptions<JWTPayload>>();

function nonNegative(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`ConnectionAuth: "${name}" must be a non-negative number`);
  }
  return value;
}

/** Validates options once per options object (adapters share one object across connections). */
function resolveOptions<TClaims extends JWTPayload>(options: ConnectionAuthOptions<TClaims>): ResolvedOptions<TClaims> {
  const cached = resolved.get(options);
  if (cached) return cached as ResolvedOptions<TClaims>;
  if (typeof options === 'object' && options !== null) assertKnownKeys('ConnectionAuth options', options, CONNECTION_AUTH_OPTION_KEYS);
  if (typeof options?.verifier?.verify !== 'function') {
    throw new TypeError('ConnectionAuth: "verifier" is required (see createVerifier)');
  }
  if (options.mapClaims !== undefined && typeof options.mapClaims !== 'function') {
    throw new TypeError('ConnectionAuth: "mapClaims" must be a function');
  }
  const store = options.revocationStore;
  const toleranceSec = options.verifier.clockToleranceSec;
  const skewSec = nonNegative(options.issuerClockSkewSec, 'issuerClockSkewSec', toleranceSec);
  if (skewSec > MAX_ISSUER_CLOCK_SKEW_SEC) {
    throw new TypeError(`ConnectionAuth: "issuerClockSkewSec" must be at most ${MAX_ISSUER_CLOCK_SKEW_SEC}`);
  }
  assertRetentionCovers(store, options.verifier, skewSec);
  const result: ResolvedOptions<TClaims> = {
    verifier: options.verifier,
    mapClaims: options.mapClaims,
    revocationStore: store,
    warnBeforeMs: nonNegative(options.warnBeforeSec, 'warnBeforeSec', 30) * 1000,
    graceMs: nonNegative(options.graceSec, 'graceSec', 0) * 1000,
    toleranceMs: toleranceSec * 1000,
    issuerSkewMs: skewSec * 1000,
    maxReauthsPerMinute: nonNegative(options.maxReauthsPerMinute, 'maxReauthsPerMinute', 10),
    // A store that cannot be subscribed to cannot tell what arrives during a lookup: its answer is taken as is.
    watch: typeof store?.subscribe === 'function' ? new RevocationWatch(store) : undefined,
    scheduler: createScheduler(options.verifier),
    // jose's payloads are fresh objects: frozen in place rather than copied (one copy less per socket).
    contextOptions: Object.freeze({ ownClaims: verifierPayloadsAreFresh(options.verifier) }),
  };
  resolved.set(options, result as ResolvedOptions<JWTPayload>);
  return result;
}

/** The bound of {@link ConnectionAuthOptions.issuerClockSkewSec} (the verifier's own bound for its tolerance). */
const MAX_ISSUER_CLOCK_SKEW_SEC = 300;

/**
 * Refuses a store that forgets revocations before the tokens they cover stop being accepted. A token revoked at
 * `t` may carry an `iat` up to `t + skew` and is accepted until `iat + maxTokenAgeSec + tolerance`; the record
 * lives until `t + retentionSec`. Without `maxTokenAgeSec` the longest token is unknown here: adapters warn when
 * they see one that outlives the retention (see {@link outlivesRetention}).
 */
function assertRetentionCovers(store: RevocationStore | undefined, verifier: Verifier, skewSec: number): void {
  const retentionSec = store?.retentionSec;
  const maxAgeSec = verifier.maxTokenAgeSec;
  if (retentionSec === undefined || maxAgeSec === undefined) return;
  const needed = maxAgeSec + verifier.clockToleranceSec + skewSec;
  if (retentionSec < needed) {
    throw new TypeError(
      `ConnectionAuth: the revocation store's "retentionSec" (${retentionSec}) must be at least the verifier's ` +
        `"maxTokenAgeSec" + "clockToleranceSec" + "issuerClockSkewSec" (${needed}): revoked tokens would be accepted again`,
    );
  }
}

/**
 * True when `context` stays acceptable longer than `store` keeps a revocation made now (its `exp` plus the clock
 * tolerance lies beyond the store's retention): revoking it would only hold until the record is forgotten.
 * Adapters use it to warn about a retention shorter than the tokens they accept.
 *
 * @example
 * ```ts
 * if (outlivesRetention(ctx, store, verifier)) logger.warn('tokens outlive the revocation retention');
 * ```
 */
export function outlivesRetention(
  context: AuthContext,
  store: RevocationStore | undefined,
  verifier: Pick<Verifier, 'clockToleranceSec' | 'now'>,
): boolean {
  const retentionSec = store?.retentionSec;
  if (retentionSec === undefined) return false;
  return context.expiresAt + verifier.clockToleranceSec * 1000 > verifier.now() + retentionSec * 1000;
}

/** The in-memory store's own lookup, which {@link assertNotRevoked} answers without a promise. */
const memoryIsRevoked = MemoryRevocationStore.prototype.isRevoked;

/**
 * Asks the revocation store; a store that cannot answer fails closed. The in-memory store's own lookup is made
 * synchronously (returns `undefined`: no promise, no turn of the microtask queue on every handshake); any other
 * store, or one whose `isRevoked` was replaced (a subclass, a spy), is asked through `isRevoked` and awaited.
 */
function assertNotRevoked(store: RevocationStore | undefined, context: AuthContext): Promise<void> | undefined {
  if (store === undefined) return undefined;
  if (store.isRevoked !== memoryIsRevoked || !(store instanceof MemoryRevocationStore)) return askStore(store, context);
  let revoked: boolean;
  try {
    revoked = store.isRevokedNow(context);
  } catch (error) {
    throw storeFailure(error);
  }
  if (revoked) throw new AuthRevokedError();
  return undefined;
}

async function askStore(store: RevocationStore, context: AuthContext): Promise<void> {
  let revoked: boolean;
  try {
    revoked = await store.isRevoked(context);
  } catch (error) {
    throw storeFailure(error);
  }
  if (revoked) throw new AuthRevokedError();
}

/** What a store's failure to answer becomes: its own `AuthError`, else `AUTH_UNAVAILABLE`. */
function storeFailure(error: unknown): AuthError {
  if (isAuthError(error)) return error;
  return new AuthUnavailableError('revocation store unavailable', { cause: { name: 'RevocationStoreError' } });
}

/**
 * Verifies a token into a context: signature and claims, claim mapping, then revocation.
 * Rejects with an `AuthError` only.
 */
export async function authenticateToken<TClaims extends JWTPayload = JWTPayload>(
  token: unknown,
  options: ConnectionAuthOptions<TClaims>,
  version = 1,
): Promise<AuthContext<TClaims>> {
  const opts = resolveOptions(options);
  const seen = opts.watch?.open();
  try {
    const context = await verifyContext(token, opts, version);
    assertNotSeen(seen, context);
    return context;
  } finally {
    if (seen !== undefined) opts.watch!.close(seen);
  }
}

/**
 * The store answered for the moment of its lookup: a revocation that arrived since (collected in `seen`) applies
 * all the same. Called synchronously right before the context is put in force.
 */
function assertNotSeen(seen: readonly RevocationRecord[] | undefined, context: AuthContext): void {
  if (seen !== undefined && seen.length > 0 && RevocationWatch.applies(seen, context)) throw new AuthRevokedError();
}

/**
 * True when `candidate` grants a permission `current` lacks. (A later `exp` is not counted: the client may open a
 * new connection with any valid token it holds; what a socket must not do is regain rights it was re-authed out of.)
 */
function grantsMore(candidate: AuthContext, current: AuthContext): boolean {
  for (const permission of candidate.permissions) if (!current.permissions.has(permission)) return true;
  return false;
}

async function verifyContext<TClaims extends JWTPayload>(
  token: unknown,
  opts: ResolvedOptions<TClaims>,
  version: number,
): Promise<AuthContext<TClaims>> {
  const { payload } = await opts.verifier.verify(token);
  const context = mapContext(payload as TClaims, opts, version);
  const asked = assertNotRevoked(opts.revocationStore, context);
  if (asked !== undefined) await asked;
  return context;
}

/** The context of verified claims (`mapClaims`); refuses claims that cannot be mapped. */
function mapContext<TClaims extends JWTPayload>(claims: TClaims, opts: ResolvedOptions<TClaims>, version: number): AuthContext<TClaims> {
  try {
    return createAuthContext(claims, version, opts.mapClaims, opts.contextOptions);
  } catch (error) {
    if (isAuthError(error)) throw error;
    // Credentials were presented, so not AUTH_MISSING: claims that cannot be mapped are invalid claims.
    throw new AuthInvalidError('claims could not be mapped to an identity', { cause: { name: 'ClaimsMapperError' } });
  }
}

/**
 * What only some connections ever need (a re-auth, a grace period): kept out of every connection's own fields
 * and created on first use.
 */
interface RareState {
  /** When the grace period ends (state `grace`). */
  graceEndsAt: number;
  /** Token ids that were in force on this connection: presenting one again is a replay. */
  retiredTokenIds: Set<string> | undefined;
  reauthWindowStart: number;
  reauthsInWindow: number;
}

/**
 * The authentication state of one connection, independent of any framework: the context in force, its expiry
 * deadline (warn at `exp - warnBeforeSec`, cut at `exp + clockTolerance`, optional grace), and the re-auth rules.
 * Connections sharing an options object share one timer (a deadline scheduler); a closed connection holds none.
 *
 * @example
 * ```ts
 * const auth = await ConnectionAuth.authenticate(token, options, {
 *   onExpiring: (info) => socket.emit('auth:expiring', info),
 *   onExpired: (err) => { socket.emit('auth:error', err.toJSON()); socket.disconnect(true); },
 * });
 * auth.start();
 * // on every event:
 * const ctx = auth.current(); // throws AUTH_EXPIRED / AUTH_REVOKED when nothing is in force
 * ```
 */
export class ConnectionAuth<TClaims extends JWTPayload = JWTPayload> {
  readonly #options: ResolvedOptions<TClaims>;
  readonly #events: ConnectionAuthEvents<TClaims>;
  #context: AuthContext<TClaims> | undefined;
  #state: ConnectionState = 'pending';
  #warned = false;
  /** The scheduler's mark: set while this connection waits for its next lifecycle step. */
  #scheduled: object | undefined = undefined;
  #rare: RareState | undefined = undefined;

  /**
   * Authenticates `token` and returns a connection in state `pending`; call {@link start} once connected (or
   * {@link close} if it never will). `tag` is whatever the adapter wants to find again from callbacks (e.g. the
   * socket). Until then, a revocation that applies to it (also one that arrived while the store was being asked)
   * revokes it: an adapter checks `state === 'revoked'` before indexing it.
   */
  static async authenticate<TClaims extends JWTPayload = JWTPayload>(
    token: unknown,
    options: ConnectionAuthOptions<TClaims>,
    events: ConnectionAuthEvents<TClaims> = {},
    tag?: unknown,
  ): Promise<ConnectionAuth<TClaims>> {
    const opts = resolveOptions(options);
    const watch = opts.watch;
    const seen = watch?.open();
    try {
      // verifyContext's steps, inline: every handshake passes here, and an async function more is a promise and a
      // turn of the microtask queue more.
      const { payload } = await opts.verifier.verify(token);
      const context = mapContext(payload as TClaims, opts, 1);
      const asked = assertNotRevoked(opts.revocationStore, context);
      if (asked !== undefined) await asked;
      assertNotSeen(seen, context);
      const connection = new ConnectionAuth(context, options, events, tag);
      // Until the adapter indexes it (after the promise settles, so not synchronously with this check) and starts
      // it, a revocation that applies to it revokes it here.
      watch?.follow(connection);
      return connection;
    } finally {
      if (seen !== undefined) watch!.close(seen);
    }
  }

  /**
   * The `since` of a subject revocation made now with these options: this server's clock plus the issuer's clock
   * skew ({@link ConnectionAuthOptions.issuerClockSkewSec}), so tokens minted before the revocation by an issuer
   * whose clock runs ahead are covered.
   *
   * @example
   * ```ts
   * await store.revokeSubject('alice', ConnectionAuth.subjectRevocationSince(options));
   * ```
   */
  static subjectRevocationSince<TClaims extends JWTPayload>(options: ConnectionAuthOptions<TClaims>): number {
    const opts = resolveOptions(options);
    return opts.verifier.now() + opts.issuerSkewMs;
  }

  /** Validates shared options up front, so configuration mistakes surface at start-up (throws `TypeError`). */
  static validateOptions<TClaims extends JWTPayload>(options: ConnectionAuthOptions<TClaims>): void {
    resolveOptions(options);
  }

  static {
    createScheduler = (verifier) =>
      new DeadlineScheduler(
        () => verifier.now(),
        (connection) => connection.#tick(),
        {
          read: (connection) => connection.#scheduled,
          write: (connection, mark) => {
            connection.#scheduled = mark;
          },
        },
      );
  }

  /** The adapter's handle for this connection (e.g. its socket), passed at creation. */
  readonly tag: unknown;

  /** Wraps an already verified context (e.g. from a handshake verified elsewhere). */
  constructor(
    context: AuthContext<TClaims>,
    options: ConnectionAuthOptions<TClaims>,
    events: ConnectionAuthEvents<TClaims> = {},
    tag?: unknown,
  ) {
    this.#options = resolveOptions(options);
    this.#events = events;
    this.#context = context;
    this.tag = tag;
  }

  /** The lifecycle state. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** The context in force, whatever the state (undefined once closed). Prefer {@link current} for decisions. */
  get context(): AuthContext<TClaims> | undefined {
    return this.#context;
  }

  /** When privileged handling stops: `exp + clockTolerance`, in ms. */
  get deadline(): number {
    return this.#context === undefined ? 0 : this.#context.expiresAt + this.#options.toleranceMs;
  }

  /** True when a context is in force right now (checked against the clock, not only the timer). */
  isActive(): boolean {
    return (this.#state === 'active' || this.#state === 'pending') && this.#options.verifier.now() < this.deadline;
  }

  /**
   * The context in force now. Throws `AUTH_EXPIRED` past the deadline (even before the timer fired, so queued
   * events are refused), `AUTH_REVOKED` after revocation, `AUTH_MISSING` once closed.
   */
  current(): AuthContext<TClaims> {
    if (this.isActive()) return this.#context!;
    throw this.#inactiveError();
  }

  /** Starts expiry tracking (warn, cut, grace). Call once the connection is established. */
  start(): void {
    if (this.#state !== 'pending') return;
    this.#options.watch?.unfollow(this);
    this.#state = 'active';
    this.#schedule();
  }

  /**
   * Replaces the context with one from `token`, atomically: same subject, same session, `iat` not older than
   * the context in force, token not previously in force on this connection, not revoked (also by a revocation
   * that arrives while the store is being asked). A token with the same `iat` as the one in force (or, both
   * without `iat`) cannot be ordered against it: it may replace it only if it grants no permission the context in
   * force lacks (`AUTH_STALE` otherwise). A failed re-auth never touches the context in
   * force. When several re-auths overlap, the newest valid token wins. Resolves with the new context; rejects with
   * an `AuthError`.
   */
  async reauthenticate(token: unknown): Promise<AuthContext<TClaims>> {
    this.#assertCanReauth();
    this.#countReauth();
    const watch = this.#options.watch;
    const seen = watch?.open();
    try {
      const candidate = await verifyContext(token, this.#options, 0);
      // Re-check everything after the awaits: the connection may have been revoked or closed, another re-auth may
      // have committed a newer context, or the new token may have been revoked after the store's lookup.
      this.#assertCanReauth();
      return this.#commit(candidate, seen);
    } finally {
      if (seen !== undefined) watch!.close(seen);
    }
  }

  /** Applies the re-auth rules to a verified `candidate` and puts it in force. Synchronous: nothing can interleave. */
  #commit(candidate: AuthContext<TClaims>, seen: readonly RevocationRecord[] | undefined): AuthContext<TClaims> {
    const current = this.#context!;
    if (candidate.subject !== current.subject || candidate.sessionId !== current.sessionId) {
      throw new AuthIdentityMismatchError();
    }
    assertNotSeen(seen, candidate);
    const rare = this.#rare!; // created by #countReauth
    const replayed = candidate.tokenId !== undefined && rare.retiredTokenIds?.has(candidate.tokenId) === true;
    const older =
      current.issuedAt !== undefined && (candidate.issuedAt === undefined || candidate.issuedAt < current.issuedAt);
    // Same `iat` (or neither has one): which token is newer is unknown, so the client must not be able to pick the
    // more privileged of two. A token of the same instant may replace the current one, but not grant more.
    const unordered = candidate.issuedAt === current.issuedAt && grantsMore(candidate, current);
    if (replayed || older || unordered) throw new AuthStaleError();
    if (current.tokenId !== undefined && current.tokenId !== candidate.tokenId) {
      if (current.issuedAt !== undefined && candidate.issuedAt !== undefined && candidate.issuedAt > current.issuedAt) {
        // Every token in force so far has an older iat than the new one: the staleness rule refuses them all,
        // so the set stays bounded by the re-auths of one second.
        rare.retiredTokenIds = undefined;
      } else {
        (rare.retiredTokenIds ??= new Set()).add(current.tokenId);
      }
    }
    const next: AuthContext<TClaims> = Object.freeze({ ...candidate, version: current.version + 1 });
    this.#context = next;
    if (this.#state === 'grace') this.#state = 'active';
    this.#warned = false;
    if (this.#state === 'active') this.#schedule();
    this.#call(() => this.#events.onReauthenticated?.(next, current, this));
    return next;
  }

  /**
   * Re-runs the claims mapper on the claims in force and puts the result in force, with the same version and
   * expiry: a live policy behind the mapper (a per-subject restriction, a suspended tenant) applies to an open
   * connection without a new token. Synchronous, so nothing interleaves. Throws, leaving the context in force
   * untouched, when nothing is in force, when the mapper throws (its `AuthError`, else `AUTH_INVALID`), or when it
   * maps the claims to another identity (`AUTH_IDENTITY_MISMATCH`): the caller then cuts the connection.
   */
  remap(): AuthContext<TClaims> {
    const current = this.current();
    let next: AuthContext<TClaims>;
    try {
      next = createAuthContext(current.claims, current.version, this.#options.mapClaims, OWN_CLAIMS);
    } catch (error) {
      if (isAuthError(error)) throw error;
      throw new AuthInvalidError('claims could not be mapped to an identity', { cause: { name: 'ClaimsMapperError' } });
    }
    if (next.subject !== current.subject || next.sessionId !== current.sessionId || next.tokenId !== current.tokenId) {
      throw new AuthIdentityMismatchError();
    }
    this.#context = next;
    return next;
  }

  /** Marks the connection revoked: nothing is in force any more. Returns false if it was already final. */
  revoke(): boolean {
    if (this.#isFinal()) return false;
    this.#state = 'revoked';
    this.#options.watch?.unfollow(this);
    this.#options.scheduler.cancel(this);
    return true;
  }

  /** Stops all timers and forgets the context. Idempotent. */
  close(): void {
    this.#options.watch?.unfollow(this);
    this.#state = 'closed';
    this.#context = undefined;
    this.#rare = undefined;
    this.#options.scheduler.cancel(this);
  }

  /** The error that explains why nothing is in force (for `auth:error` and refusals). */
  #inactiveError(): AuthError {
    switch (this.#state) {
      case 'revoked':
        return new AuthRevokedError();
      case 'closed':
        return new AuthMissingError('connection closed');
      default:
        return new AuthExpiredError();
    }
  }

  #isFinal(): boolean {
    return this.#state === 'expired' || this.#state === 'revoked' || this.#state === 'closed';
  }

  #assertCanReauth(): void {
    if (this.#isFinal()) throw this.#inactiveError();
  }

  /** The rarely needed state, created on first use. */
  #rareState(): RareState {
    return (this.#rare ??= { graceEndsAt: 0, retiredTokenIds: undefined, reauthWindowStart: 0, reauthsInWindow: 0 });
  }

  #countReauth(): void {
    const now = this.#options.verifier.now();
    const rare = this.#rareState();
    if (now - rare.reauthWindowStart >= 60_000) {
      rare.reauthWindowStart = now;
      rare.reauthsInWindow = 0;
    }
    if (++rare.reauthsInWindow > this.#options.maxReauthsPerMinute) {
      throw new AuthUnavailableError('too many re-authentications, retry later', { cause: { name: 'RateLimited' } });
    }
  }

  /** Schedules the next lifecycle step with the shared scheduler, or runs it now if it is already due. */
  #schedule(): void {
    const scheduler = this.#options.scheduler;
    const context = this.#context;
    let next: number | undefined;
    if (context !== undefined && this.#state === 'active') {
      const deadline = this.deadline;
      const warnAt = context.expiresAt - this.#options.warnBeforeMs;
      next = this.#warned || warnAt >= deadline ? deadline : warnAt;
    } else if (context !== undefined && this.#state === 'grace') {
      next = this.#rare!.graceEndsAt;
    }
    if (next === undefined) {
      scheduler.cancel(this);
    } else if (next <= this.#options.verifier.now()) {
      scheduler.cancel(this);
      this.#tick();
    } else {
      scheduler.schedule(this, next);
    }
  }

  /** The next lifecycle step: warn, enter grace, or expire (the scheduler has already unscheduled it). */
  #tick(): void {
    const context = this.#context;
    if (context === undefined || this.#isFinal()) return;
    const now = this.#options.verifier.now();
    if (this.#state === 'active') {
      const deadline = this.deadline;
      if (now >= deadline) {
        if (this.#options.graceMs > 0) {
          this.#state = 'grace';
          const rare = this.#rareState();
          const graceEndsAt = (rare.graceEndsAt = deadline + this.#options.graceMs);
          this.#call(() => this.#events.onGrace?.({ graceEndsAt }, context, this));
        } else {
          this.#expire(context);
          return;
        }
      } else if (!this.#warned && now >= context.expiresAt - this.#options.warnBeforeMs) {
        this.#warned = true;
        this.#call(() => this.#events.onExpiring?.({ expiresAt: context.expiresAt, inMs: Math.max(0, context.expiresAt - now) }, context, this));
      }
    } else if (this.#state === 'grace' && now >= this.#rare!.graceEndsAt) {
      this.#expire(context);
      return;
    }
    // A callback may have closed, revoked or re-authenticated the connection; schedule from what is now true.
    if (this.#state === 'active' || this.#state === 'grace') this.#schedule();
  }

  #expire(context: AuthContext<TClaims>): void {
    this.#state = 'expired';
    this.#options.scheduler.cancel(this);
    this.#call(() => this.#events.onExpired?.((EXPIRED ??= Object.freeze(new AuthExpiredError())), context, this));
  }

  /** Lifecycle callbacks must never break the state machine. */
  #call(callback: () => void): void {
    try {
      callback();
    } catch {
      // Swallowed on purpose: the adapter's callback failing must not leave a connection without a deadline.
    }
  }
}
