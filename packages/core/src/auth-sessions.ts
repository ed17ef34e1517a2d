import type { JWTPayload } from 'jose';
import { validateLogger, type AuthLogRecord, type LogLevel } from './auth-logger.js';
import type { AuthContext } from './auth-context.js';
import { ConnectionAuth, outlivesRetention, type ConnectionAuthEvents, type ConnectionAuthOptions } from './connection-auth.js';
import { ConnectionRegistry } from './connection-registry.js';
import { AuthForbiddenError, AuthRevokedError, AuthUnavailableError, isAuthError, type AuthError } from './errors.js';
import { EventPolicy } from './event-policy.js';
import { EventRateLimiter } from './event-rate-limit.js';
import { assertKnownKeys } from './option-keys.js';
import type { CompiledRequirement } from './permissions.js';
import { EXPIRING_EVENT, type ExpiringPayload } from './protocol.js';
import {
  MAX_REEVALUATION_TARGETS,
  parseReevaluationTargets,
  parseRevocationTarget,
  type ReevaluationTargets,
  type RevocationStore,
  type RevocationTarget,
} from './revocation.js';
import { RevocationCuts } from './revocation-cuts.js';
import { RoomLeftNotices } from './room-left-notices.js';
import { compileRoomPolicies } from './room-policy.js';
import { identityOf, safely, validateHooks, type AnonymousInfo, type ConnectionWhere, type DowngradeReason, type FailureStage, type ReleaseReason, type SessionHooks } from './session-hooks.js';
import { SESSION_OPTION_KEYS, type EventGate, type OnContextChange, type SessionOptions } from './session-options.js';
import { SessionEvents } from './session-events.js';
import { SessionReauth } from './session-reauth.js';
import { SessionReporter } from './session-reporter.js';
import { SessionRooms } from './session-rooms.js';
import { SETTLED, type SessionState } from './session-state.js';
import type { SessionTransport } from './session-transport.js';
import { mapVerificationError } from './verification-errors.js';
import type { Verifier } from './verifier.js';

/** Why a connection cut with an error leaves the live set. */
const RELEASE_REASONS: Partial<Record<AuthError['code'], ReleaseReason>> = {
  AUTH_EXPIRED: 'expired',
  AUTH_REVOKED: 'revoked',
  AUTH_UNAVAILABLE: 'rate-limited',
  AUTH_FORBIDDEN: 'forbidden',
  AUTH_IDENTITY_MISMATCH: 'forbidden',
  AUTH_INVALID: 'forbidden',
};

/**
 * The transport-agnostic session of every authenticated connection of one adapter: the context in force, the
 * per-event decision, expiry (warn, cut, grace), in-band re-auth, revocation and re-evaluation cuts, rooms that
 * follow the current authorization, and the hooks and log records of all of it. A transport adapter (Socket.IO,
 * `ws`) translates its handshake, messages, rooms and close into these calls through a {@link SessionTransport},
 * and decides nothing itself.
 *
 * @example
 * ```ts
 * const sessions = new AuthSessions({ verifier, events: { 'chat:send': 'chat:write' } }, transport);
 * await sessions.authenticate(ws, token, 'handshake'); // rejects with an AuthError (already reported)
 * sessions.start(ws);                                   // connected: deadline armed
 * ws.on('message', (raw) => {
 *   const message = parse(raw);
 *   sessions.check(ws, message, message.type, () => route(ws, message));
 * });
 * ws.on('close', () => sessions.release(ws, 'disconnect'));
 * ```
 */
export class AuthSessions<H extends object, M = unknown, TClaims extends JWTPayload = JWTPayload> {
  /** The verifier in use. */
  readonly verifier: Verifier;
  /** The revocation store in use. */
  readonly revocationStore: RevocationStore;

  readonly #connection: ConnectionAuthOptions;
  readonly #transport: SessionTransport<H, M>;
  readonly #hooks: SessionHooks;
  readonly #reporter: SessionReporter<H>;
  readonly #events: SessionEvents<H, M>;
  readonly #rooms: SessionRooms<H> | undefined;
  readonly #revocations: RevocationCuts<H>;
  readonly #states = new WeakMap<H, SessionState>();
  readonly #registry = new ConnectionRegistry<H>();
  readonly #unsubscribe: () => void;
  readonly #stopReevaluations: (() => void) | undefined;
  #closed = false;
  /** Whether the warning about tokens outliving the store's retention was logged (once per session). */
  #warnedRetention = false;
  /**
   * Lifecycle callbacks shared by every connection: the handle comes back as the connection's `tag`, so a
   * connection costs no closures of its own.
   */
  readonly #lifecycle: ConnectionAuthEvents = {
    onExpiring: (info, _context, connection) =>
      this.#send(connection.tag as H, EXPIRING_EVENT, { expiresAt: info.expiresAt, inMs: info.inMs } satisfies ExpiringPayload),
    onGrace: (info, context, connection) =>
      this.#send(connection.tag as H, EXPIRING_EVENT, {
        expiresAt: context.expiresAt,
        inMs: 0,
        graceEndsAt: info.graceEndsAt,
      } satisfies ExpiringPayload),
    // In the same tick as the re-auth commits: re-indexed (so a revocation of the new token always finds the
    // connection), the transport's copy updated, and the rooms the new context may not be in left before anything
    // else is delivered.
    onReauthenticated: (context, previous, connection) => this.#contextChanged(connection.tag as H, context, undefined, previous, 'reauth'),
    onExpired: (error, context, connection) => {
      const handle = connection.tag as H;
      // Reported, then cut (released, told, closed): the same order as a revocation, so every audit trail reads
      // "cut", then "released". The hook is one call: the storm's latest cut moves by nothing measurable.
      const where = this.#reporter.where(handle);
      safely(() => this.#hooks.onExpire?.({ ...where, ...identityOf(context) }));
      this.#disconnect(handle, error);
      this.#reporter.log('info', { sockauth: 'expired', ...where, subject: context.subject }, 'sockauth: token expired, connection closed');
    },
  };

  /**
   * Validates `options` (a `TypeError` naming the option for every mistake) and subscribes to the revocation
   * store. `option` names the options object in those errors (e.g. `'sockAuth options'`).
   */
  constructor(options: SessionOptions<H, TClaims>, transport: SessionTransport<H, M>, option = 'sockauth options') {
    if (typeof options !== 'object' || options === null) throw new TypeError(`sockauth: ${option} are required`);
    assertKnownKeys(option, options, SESSION_OPTION_KEYS);
    const shared = options as SessionOptions<H>;
    this.verifier = shared.verifier;
    this.revocationStore = shared.revocationStore as RevocationStore;
    if (this.revocationStore === undefined) throw new TypeError('sockauth: "revocationStore" is required');
    this.#connection = {
      verifier: shared.verifier,
      revocationStore: this.revocationStore,
      ...(shared.mapClaims !== undefined && { mapClaims: shared.mapClaims as ConnectionAuthOptions['mapClaims'] }),
      ...(shared.warnBeforeSec !== undefined && { warnBeforeSec: shared.warnBeforeSec }),
      ...(shared.graceSec !== undefined && { graceSec: shared.graceSec }),
      ...(shared.maxReauthsPerMinute !== undefined && { maxReauthsPerMinute: shared.maxReauthsPerMinute }),
      ...(shared.issuerClockSkewSec !== undefined && { issuerClockSkewSec: shared.issuerClockSkewSec }),
    };
    ConnectionAuth.validateOptions(this.#connection);
    this.#transport = transport;
    const policy = new EventPolicy(shared.events);
    const unlisted = shared.unlistedEvents ?? 'deny';
    if (unlisted !== 'deny' && unlisted !== 'authenticated') {
      throw new TypeError('sockauth: "unlistedEvents" must be "deny" or "authenticated"');
    }
    for (const name of ['authorize', 'eventGate', 'onContextChange'] as const) {
      if (shared[name] !== undefined && typeof shared[name] !== 'function') throw new TypeError(`sockauth: "${name}" must be a function`);
    }
    const hooks = (this.#hooks = validateHooks(shared.hooks, `${option}.hooks`));
    const logger = validateLogger(shared.logger);
    const limiter =
      shared.eventRateLimit === undefined || shared.eventRateLimit === false
        ? undefined
        : new EventRateLimiter(shared.eventRateLimit, this.verifier.now);
    const states = this.#states;
    const reporter = (this.#reporter = new SessionReporter<H>(hooks, logger, transport as SessionTransport<H, unknown>, states));
    const authorize = shared.authorize as SessionOptions['authorize'];
    if (shared.unlistedRooms !== undefined && shared.rooms === undefined) {
      throw new TypeError('sockauth: "unlistedRooms" needs "rooms" (the room policies it completes)');
    }
    this.#rooms =
      shared.rooms === undefined
        ? undefined
        : new SessionRooms<H>({
            policy: compileRoomPolicies(shared.rooms, { option: 'rooms', ...(shared.unlistedRooms !== undefined && { unlistedRooms: shared.unlistedRooms }) }),
            authorize,
            transport: transport as SessionTransport<H, unknown>,
            states,
            reporter,
            hooks,
          });
    const disconnect = (handle: H, error: AuthError): void => this.#disconnect(handle, error);
    const reauth = new SessionReauth<H, M>({
      states,
      transport,
      reporter,
      hooks,
      rooms: this.#rooms,
      onContextChange: shared.onContextChange as OnContextChange<H> | undefined,
    });
    this.#events = new SessionEvents<H, M>({
      states,
      transport,
      policy,
      unlisted,
      authorize,
      gate: shared.eventGate as EventGate<H> | undefined,
      limiter,
      reporter,
      reauth,
      disconnect,
    });
    const connection = this.#connection;
    const skewMs = ConnectionAuth.subjectRevocationSince(connection) - this.verifier.now();
    this.#revocations = new RevocationCuts<H>({
      store: this.revocationStore,
      verifier: this.verifier,
      subjectSince: () => ConnectionAuth.subjectRevocationSince(connection),
      issuerSkewMs: skewMs,
      states,
      registry: this.#registry,
      transport: transport as SessionTransport<H, unknown>,
      reporter,
      hooks,
      disconnect,
    });
    this.#unsubscribe = this.revocationStore.subscribe((record) => this.#revocations.cut(record));
    const store = this.revocationStore;
    this.#stopReevaluations =
      typeof store.onReevaluation === 'function' && typeof store.requestReevaluation === 'function'
        ? store.onReevaluation((target) => this.reevaluateHere(target))
        : undefined;
  }

  /** Number of live authenticated connections on this node. */
  get size(): number {
    return this.#registry.size;
  }

  /** True once {@link close} was called: handshakes are refused (`AUTH_UNAVAILABLE`). */
  get closed(): boolean {
    return this.#closed;
  }

  /** The room policy in force, if `rooms` was set (a transport may consult its static part on joins it did not make). */
  get roomPolicy(): SessionRooms<H>['policy'] | undefined {
    return this.#rooms?.policy;
  }

  /** Whether `handle` has a session (authenticated, not yet released). */
  has(handle: H): boolean {
    return this.#states.has(handle);
  }

  /**
   * Verifies `token` for `handle` and indexes it (so a revocation arriving before {@link start} finds it).
   * `assertIdentity` may refuse the verified context (throw an `AuthError`), e.g. a recovered socket's identity
   * check. Resolves with the context; rejects with an `AuthError`, already reported to the hooks and the logger.
   */
  async authenticate(
    handle: H,
    token: unknown,
    stage: 'handshake' | 'recovery',
    assertIdentity?: (context: AuthContext<TClaims>) => void,
  ): Promise<AuthContext<TClaims>> {
    try {
      // Nothing was decided about the credentials: the client should retry (e.g. on another node), not log in.
      if (this.#closed) throw new AuthUnavailableError('authentication is shut down');
      const reporter = this.#reporter;
      const verifying = ConnectionAuth.authenticate(token, this.#connection, this.#lifecycle, handle);
      const auth = reporter.timesVerifications ? await reporter.timed(verifying, stage, performance.now()) : await verifying;
      const context = auth.context as AuthContext<TClaims>;
      // Core revoked it if a revocation arrived after the store's lookup, before it is indexed below.
      if (auth.state === 'revoked') {
        auth.close();
        throw new AuthRevokedError();
      }
      try {
        assertIdentity?.(context);
      } catch (error) {
        auth.close();
        throw error;
      }
      this.#warnIfOutlivesRetention(handle, context);
      this.#wire(handle, auth, stage);
      return context;
    } catch (error) {
      const authError = isAuthError(error) ? error : mapVerificationError(error);
      this.#reporter.failure(authError, stage, handle);
      throw authError;
    }
  }

  /** Whether `onAnonymous` is set: an adapter watches the connections it admits without authentication only then. */
  get watchesAnonymous(): boolean {
    return this.#hooks.onAnonymous !== undefined;
  }

  /**
   * Reports a connection the adapter admitted without authentication (an open namespace or path) to
   * `onAnonymous`: once `connected`, then once `disconnected`. It has no session: nothing else is tracked.
   */
  reportAnonymous(where: ConnectionWhere, phase: AnonymousInfo['phase']): void {
    if (this.#hooks.onAnonymous !== undefined) safely(() => this.#hooks.onAnonymous!({ socketId: where.socketId, namespace: where.namespace, phase }));
  }

  /**
   * Reports a refusal decided by the adapter or a framework around it (a token that could not be extracted, a
   * framework guard) to `onAuthFailure` and the logger, exactly like the session's own.
   */
  reportFailure(error: AuthError, stage: FailureStage, handle: H, event?: string, room?: string): void {
    this.#reporter.failure(error, stage, handle, event, room);
  }

  /** Hands an adapter's own record to the logger (if any), like the session's records. */
  log(level: LogLevel, record: AuthLogRecord, message: string): void {
    this.#reporter.log(level, record, message);
  }

  /**
   * The connection is established: it becomes live (`onAuthenticated`) and its deadline is armed. A connection
   * revoked since it authenticated is cut now that it can be told. No-op for an unknown or already started one.
   * Returns the context in force once started ({@link contextOf}, without looking the connection up again), or
   * `undefined` when none is (unknown, already started, cut, closed).
   */
  start(handle: H): AuthContext<TClaims> | undefined {
    const state = this.#states.get(handle);
    if (state === undefined || state.live || this.#closed) return undefined;
    if (state.auth.state === 'revoked') {
      this.#disconnect(handle, new AuthRevokedError());
      return undefined;
    }
    const context = state.auth.context!;
    state.live = true;
    // Every upgrade passes here: where it is, and the hook's and the log's records, are built only for a reader.
    const onAuthenticated = this.#hooks.onAuthenticated;
    const reporter = this.#reporter;
    if (onAuthenticated !== undefined || reporter.logging) {
      const where = reporter.where(handle);
      if (onAuthenticated !== undefined) {
        safely(() => onAuthenticated.call(this.#hooks, { ...where, ...identityOf(context), expiresAt: context.expiresAt, stage: state.stage }));
      }
      reporter.log('debug', { sockauth: 'authenticated', ...where, stage: state.stage, subject: context.subject }, 'sockauth: connection authenticated');
    }
    const auth = state.auth;
    auth.start();
    return auth.isActive() ? (auth.context as AuthContext<TClaims> | undefined) : undefined;
  }

  /** The connection is gone (or no longer to be tracked): its timers stop and it leaves every index. Idempotent. */
  release(handle: H, reason: ReleaseReason): void {
    const state = this.#states.get(handle);
    if (state === undefined) return;
    const auth = state.auth;
    if (state.live) {
      state.live = false;
      const hook = this.#hooks.onRelease;
      if (hook !== undefined) {
        const last = auth.context ?? this.#registry.get(handle);
        const where = this.#reporter.where(handle);
        safely(() => hook.call(this.#hooks, { ...where, ...(last === undefined ? { subject: '' } : identityOf(last)), reason }));
      }
    }
    const kept = auth.state === 'revoked' ? undefined : auth.context;
    auth.close();
    this.#states.delete(handle);
    this.#registry.delete(handle);
    const onRelease = this.#transport.onRelease;
    if (onRelease !== undefined) {
      // `safely`, without a closure: every connection passes here once.
      try {
        onRelease.call(this.#transport, handle, kept, reason);
      } catch {
        // The transport's bookkeeping must not break the release.
      }
    }
  }

  /**
   * The context in force for `handle` now, or `undefined` (not authenticated, expired, revoked, released): the one
   * its next event is checked against.
   */
  contextOf(handle: H): AuthContext<TClaims> | undefined {
    const state = this.#states.get(handle);
    return state?.auth.isActive() ? (state.auth.context as AuthContext<TClaims> | undefined) : undefined;
  }

  /**
   * Checks one inbound message: calls `pass` to let it through to the application, or refuses it (reported, and
   * its ack answered `{ error }`). `auth:refresh` is handled here (re-auth, ack with the new expiry). Messages of
   * one connection are passed in arrival order.
   */
  check(handle: H, message: M, event: unknown, pass: () => void): void {
    this.#events.check(handle, message, event, pass);
  }

  /**
   * Decides a call of a handler that declares its own requirement: resolves when the context in force satisfies
   * it and `authorize` agrees (with `action` and `args`); rejects with the `AuthError` otherwise.
   */
  checkGuarded(handle: H, requirement: CompiledRequirement, action: string, args: readonly unknown[]): Promise<void> {
    return this.#events.checkGuarded(handle, requirement, action, args);
  }

  /**
   * Joins `room` if the room policy and the `authorize` hook (action `auth:room-join`, args `[{ room }]`) allow it
   * for the context in force; rejects with the `AuthError` otherwise (`AUTH_FORBIDDEN` without a room policy:
   * rooms are denied by default). The connection is in the room when the promise resolves.
   */
  join(handle: H, room: unknown): Promise<void> {
    if (this.#rooms === undefined) {
      const error = new AuthForbiddenError('no room policy is configured (option "rooms")', { cause: { name: 'RoomNotListed' } });
      this.#reporter.failure(error, 'join', handle, undefined, typeof room === 'string' ? room : undefined);
      return Promise.reject(error);
    }
    return this.#rooms.join(handle, room);
  }

  /**
   * Revokes a subject, session or token: matching live connections on this node get `auth:error`
   * (`AUTH_REVOKED`) and are closed; matching handshakes and re-auths are refused from now on. With a distributed
   * store, other nodes cut theirs too. Resolves with the number cut here.
   */
  revoke(target: RevocationTarget): Promise<{ disconnected: number }> {
    return this.#revocations.revoke(target);
  }

  /**
   * Re-evaluates the live connections of a subject, session or token after a policy change, or of a list of them
   * at once (every subject of a tenant): the claims mapper runs again on the claims in force (so a restriction
   * behind it applies now; the version stays), then their rooms are re-checked (rooms left with `auth:room-left`);
   * a connection the mapper now refuses is cut with its error. A list is one call and, with a store that
   * re-evaluates across nodes, one request that every node runs. Resolves with the number re-evaluated (a
   * connection matched by several targets counts once per node).
   */
  async reevaluate(targets: ReevaluationTargets): Promise<{ affected: number }> {
    const list = parseReevaluationTargets(targets);
    if (list.length === 0) return { affected: 0 };
    const store = this.revocationStore;
    if (this.#stopReevaluations !== undefined) return { affected: (await store.requestReevaluation!(targets)).affected };
    return { affected: await this.reevaluateHere(targets) };
  }

  /**
   * {@link reevaluate} on this node only: resolves with the number of connections re-evaluated here. Every matched
   * connection's new context, and the static eviction from the rooms it may no longer be in, happen in this turn,
   * before anything else is delivered; the `authorize` re-checks (`auth:room-stay`) start in this turn too, once
   * every static eviction is done; the `auth:room-left` pushes follow in chunks of `ROOM_LEFT_CHUNK` with a turn of
   * the event loop between them (the first in this turn).
   */
  async reevaluateHere(targets: ReevaluationTargets): Promise<number> {
    // Each target parsed once (the list's own checks first): every matched connection is collected (each once,
    // however many targets match it), then one pass evicts them. Nothing changes before every target is valid.
    const list: readonly unknown[] = Array.isArray(targets) ? targets : [targets];
    if (list.length > MAX_REEVALUATION_TARGETS) parseReevaluationTargets(targets);
    const registry = this.#registry;
    const seen = new Set<H>();
    const handles: H[] = [];
    for (const target of list) {
      const { kind, id } = parseRevocationTarget(target);
      registry.collect(kind, id, seen, handles);
    }
    const rooms = this.#rooms;
    const notices = rooms === undefined ? undefined : new RoomLeftNotices<H>(this.#transport as SessionTransport<H, unknown>);
    const live = rooms !== undefined && rooms.checksLive ? { handles: [] as H[], contexts: [] as AuthContext[] } : undefined;
    let affected = 0;
    for (const handle of handles) {
      const state = this.#states.get(handle);
      if (state === undefined || !state.auth.isActive()) continue;
      affected++;
      const previous = state.auth.context!;
      let context: AuthContext;
      try {
        context = state.auth.remap();
      } catch (error) {
        const authError = isAuthError(error) ? error : mapVerificationError(error);
        this.#disconnect(handle, authError);
        continue;
      }
      this.#contextChanged(handle, context, notices, previous, 'reevaluate');
      if (live !== undefined) {
        live.handles.push(handle);
        live.contexts.push(context);
      }
    }
    // The live part asks the application's hook, possibly per room: started only once every connection is out of
    // every room its new context may not be in by the static rules, so no hook delays that.
    const checks: Promise<void>[] = [];
    if (live !== undefined) for (let i = 0; i < live.handles.length; i++) checks.push(rooms!.evictLive(live.handles[i]!, live.contexts[i]!));
    await notices?.flush();
    await Promise.all(checks);
    return affected;
  }

  /** Stops listening to the store and releases every connection's timers. Connections stay open. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    this.#stopReevaluations?.();
    for (const handle of [...this.#registry.connections()]) this.release(handle, 'closed');
  }

  /**
   * A new context is in force: re-indexed, the transport told, a downgrade reported, rooms it may not be in left —
   * all in this tick (the client told now, or by `notices` when given).
   */
  #contextChanged(handle: H, context: AuthContext, notices: RoomLeftNotices<H> | undefined, previous: AuthContext, reason: DowngradeReason): void {
    this.#registry.set(handle, context);
    const transport = this.#transport;
    if (transport.onContext !== undefined) {
      // `safely` without a closure per call: a whole tenant's re-evaluation passes here for every connection.
      try {
        transport.onContext(handle, context);
      } catch {
        // A transport must not throw; the rooms are re-checked all the same.
      }
    }
    if (this.#hooks.onDowngrade !== undefined) this.#reportDowngrade(handle, previous, context, reason);
    this.#rooms?.evictStatic(handle, context, notices);
  }

  /** Calls `onDowngrade` when `context` lacks a permission `previous` had (the rooms it costs are reported apart). */
  #reportDowngrade(handle: H, previous: AuthContext, context: AuthContext, reason: DowngradeReason): void {
    const lost = previous.permissions.notGrantedBy(context.permissions);
    if (lost.length === 0) return;
    const info = { ...this.#reporter.where(handle), ...identityOf(context), reason, lost, version: context.version };
    safely(() => this.#hooks.onDowngrade!(info));
  }

  #wire(handle: H, auth: ConnectionAuth, stage: 'handshake' | 'recovery'): void {
    const previous = this.#states.get(handle);
    // Authenticated twice (e.g. a middleware installed twice): the newer verification wins.
    previous?.auth.close();
    this.#states.set(handle, { auth, queue: SETTLED, stage, live: false });
    // Indexed now, not once connected, so a revocation arriving before the connection is established finds it.
    this.#registry.set(handle, auth.context!);
    const wire = this.#transport.wire;
    if (wire !== undefined) safely(() => wire.call(this.#transport, handle, previous === undefined));
    const onContext = this.#transport.onContext;
    if (onContext !== undefined) safely(() => onContext.call(this.#transport, handle, auth.context!));
  }

  /** Tells the client why and closes the connection (after releasing it). */
  #disconnect(handle: H, error: AuthError): void {
    this.release(handle, RELEASE_REASONS[error.code] ?? 'disconnect');
    if (!this.#transport.isOpen(handle)) return;
    safely(() => this.#transport.cut(handle, error));
  }

  #send(handle: H, event: string, payload: unknown): void {
    safely(() => this.#transport.send(handle, event, payload));
  }

  /**
   * Warns once when a token stays acceptable longer than the store keeps a revocation: revoking it would hold only
   * until the record is forgotten.
   */
  #warnIfOutlivesRetention(handle: H, context: AuthContext): void {
    if (this.#warnedRetention || !outlivesRetention(context, this.revocationStore, this.verifier)) return;
    this.#warnedRetention = true;
    this.#reporter.log(
      'warn',
      { sockauth: 'retention-too-short', ...this.#reporter.where(handle), subject: context.subject, retentionSec: this.revocationStore.retentionSec },
      "sockauth: a token outlives the revocation store's retentionSec: a revocation of it would be forgotten before it expires",
    );
  }
}
