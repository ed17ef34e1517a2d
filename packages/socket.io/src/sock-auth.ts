import {
  AuthRevokedError,
  AuthUnavailableError,
  ConnectionAuth,
  ConnectionRegistry,
  MemoryRevocationStore,
  assertKnownKeys,
  createVerifier,
  isPlainObject,
  isAuthError,
  isVerifier,
  mapVerificationError,
  outlivesRetention,
  type AuthContext,
  type AuthError,
  type ConnectionAuthEvents,
  type ConnectionAuthOptions,
  type JWTPayload,
  type PermissionRequirement,
  type RevocationStore,
  type RevocationTarget,
  type Verifier,
} from '@sockauth/core';
import type { Namespace, Server, Socket } from 'socket.io';
import { ConnectionRecovery } from './connection-recovery.js';
import { ConnectionSockets, DEFAULT_MAX_SOCKETS_PER_CONNECTION } from './connection-sockets.js';
import { cutSocket } from './cut.js';
import { EventCheck } from './event-check.js';
import { EventPolicy } from './event-policy.js';
import { EventRateLimiter } from './event-rate-limit.js';
import { matchesAnyNamespace, validateNamespaceRules, type NamespaceRule } from './namespace-rules.js';
import { validateLogger } from './logging.js';
import {
  SOCK_AUTH_HOOK_KEYS,
  SOCK_AUTH_OPTION_KEYS,
  type ReleaseReason,
  type SockAuthHooks,
  type SockAuthOptions,
  type SockAuthSocketData,
} from './options.js';
import { ERROR_EVENT, EXPIRING_EVENT, toConnectError, type ExpiringPayload } from './protocol.js';
import { Reauth } from './reauth.js';
import { Reporter, safely, where } from './reporter.js';
import { RevocationCuts } from './revocation-cuts.js';
import { SETTLED, type SocketState } from './socket-state.js';
import {
  assertSupportedInternals,
  isChildNamespace,
  namespacesOf,
  onSocketRemoved,
  prependMiddleware,
  useOnlyPacketMiddleware,
} from './socket-io-internals.js';
import { extractToken, resolveExtraction, type EngineRequestLike, type HandshakeLike, type TokenExtraction } from './token-extraction.js';

/** A Socket.IO middleware `(socket, next) => void`. */
export type SocketMiddleware = (socket: Socket, next: (err?: Error) => void) => void;

/**
 * JWT authentication for a Socket.IO server over the whole life of each socket: handshake verification,
 * per-event permissions, expiry, in-band re-auth and revocation. Create it with {@link createSockAuth} or
 * {@link sockAuth}. `TClaims` is the claims type of its contexts (see {@link SockAuthOptions}).
 *
 * @example
 * ```ts
 * const auth: SockAuth<AppClaims> = sockAuth(io, { verifier, mapClaims: (claims: AppClaims) => defaultMapClaims(claims) });
 * ```
 */
export class SockAuth<TClaims extends JWTPayload = JWTPayload> {
  /** The middleware for `nsp.use()`, when attaching per namespace by hand. Prefer {@link attach}. */
  readonly middleware: SocketMiddleware;
  /** The revocation store in use. */
  readonly revocationStore: RevocationStore;
  /** The verifier in use. */
  readonly verifier: Verifier;

  readonly #connection: ConnectionAuthOptions;
  readonly #extraction: TokenExtraction;
  readonly #hooks: SockAuthHooks;
  readonly #reporter: Reporter;
  /** Per-event checks: rate limit, re-auth, event map, guards, `authorize`, `eventGate`. */
  readonly #events: EventCheck;
  readonly #revocations: RevocationCuts;
  readonly #skip: readonly NamespaceRule[];
  readonly #states = new WeakMap<Socket, SocketState>();
  readonly #registry = new ConnectionRegistry<Socket>();
  readonly #attached = new WeakSet<object>();
  readonly #unsubscribe: () => void;
  /** Re-verification of sockets restored by connection state recovery. */
  readonly #recovery = new ConnectionRecovery({
    isAuthenticated: (socket) => this.#states.has(socket),
    authenticate: (socket) => this.#authenticate(socket, 'recovery'),
    release: (socket) => this.#release(socket, 'disconnect'),
  });
  /**
   * One listener function for every socket's 'disconnecting' (Socket.IO calls it with the socket as `this`): a
   * per-socket `once` wrapper would cost a closure per connection. 'disconnecting' fires once per socket.
   */
  readonly #onDisconnecting = ((self: SockAuth) =>
    function (this: Socket): void {
      self.#release(this, 'disconnect');
    })(this);
  /**
   * The per-packet check every socket installs with `socket.use`, bound to its socket: a bound function is half
   * the size of a closure and its context.
   */
  readonly #checkPacket = ((self: SockAuth) =>
    function (this: Socket, packet: unknown[], next: (err?: Error) => void): void {
      self.#events.check(this, packet, next);
    })(this);
  /** Namespaces whose 'connection' event starts the sockets authenticated for them. */
  readonly #watched = new WeakSet<Namespace>();
  /** One 'connection' listener per namespace: arms the deadline of the socket that just connected. */
  readonly #onConnection = (socket: Socket): void => {
    this.#connections.settled(socket);
    const state = this.#states.get(socket);
    if (state !== undefined && !state.live) this.#start(socket, state);
  };
  /** Sockets held per Engine.IO connection: the bound, and the sockets awaiting their connection. */
  readonly #connections: ConnectionSockets;
  /** A tick after the handshake middleware let `socket` through. */
  readonly #checkConnected = (socket: Socket): void => {
    const state = this.#states.get(socket);
    if (state === undefined || state.live || socket.connected) return;
    // The client left before Socket.IO could connect the socket: it never will.
    if (socket.client.conn.readyState !== 'open') return this.#release(socket, 'disconnect');
    // A later middleware holds it. Refused, or let through after its client left, Socket.IO forgets it (see
    // attach); a middleware that never answers is covered by the connection's close.
    this.#connections.await(socket);
  };
  /** Socket.IO forgot a socket of an attached namespace (refused by a later middleware, or its client left). */
  readonly #onForgotten = (socket: Socket): void => {
    if (!socket.connected) this.#release(socket, 'disconnect');
  };
  /**
   * Lifecycle callbacks shared by every connection: the socket comes back as the connection's `tag`, so a
   * connection costs no closures of its own.
   */
  readonly #lifecycle: ConnectionAuthEvents = {
    onExpiring: (info, _context, connection) =>
      (connection.tag as Socket).emit(EXPIRING_EVENT, { expiresAt: info.expiresAt, inMs: info.inMs } satisfies ExpiringPayload),
    onGrace: (info, context, connection) =>
      (connection.tag as Socket).emit(EXPIRING_EVENT, {
        expiresAt: context.expiresAt,
        inMs: 0,
        graceEndsAt: info.graceEndsAt,
      } satisfies ExpiringPayload),
    // Indexed under the new token id at the moment the re-auth commits, so its revocation always finds the socket.
    onReauthenticated: (context, _previous, connection) => {
      const socket = connection.tag as Socket;
      (socket.data as SockAuthSocketData).auth = context;
      this.#registry.set(socket, context);
    },
    onExpired: (error, context, connection) => {
      const socket = connection.tag as Socket;
      // Cut first, then report: in an expiry storm every socket is told as early as possible, and the hook
      // marks the moment the socket was actually cut.
      this.#disconnect(socket, error);
      safely(() => this.#hooks.onExpire?.({ socketId: socket.id, subject: context.subject }));
      this.#reporter.log('info', { sockauth: 'expired', ...where(socket), subject: context.subject }, 'sockauth: token expired, socket disconnected');
    },
  };
  #closed = false;
  /** Whether the warning about tokens outliving the store's retention was logged (once per controller). */
  #warnedRetention = false;
  /** Whether the warning about an optimisation's private member was logged (once per controller). */
  #warnedInternals = false;

  constructor(typedOptions: SockAuthOptions<TClaims>) {
    // TClaims only types what the application's hooks see; inside, claims are handled as plain JWTPayload.
    const options = typedOptions as unknown as SockAuthOptions;
    if (typeof options !== 'object' || options === null) throw new TypeError('sockauth: options are required');
    // A misspelt option would leave its default in force without a word (or a rule not applied): refuse it.
    assertKnownKeys('sockAuth options', options, SOCK_AUTH_OPTION_KEYS);
    if (options.verifier === undefined) throw new TypeError('sockauth: "verifier" is required');
    this.verifier = isVerifier(options.verifier) ? options.verifier : createVerifier(options.verifier);
    this.revocationStore = options.revocationStore ?? new MemoryRevocationStore();
    this.#connection = {
      verifier: this.verifier,
      revocationStore: this.revocationStore,
      ...(options.mapClaims !== undefined && { mapClaims: options.mapClaims }),
      ...(options.warnBeforeSec !== undefined && { warnBeforeSec: options.warnBeforeSec }),
      ...(options.graceSec !== undefined && { graceSec: options.graceSec }),
      ...(options.maxReauthsPerMinute !== undefined && { maxReauthsPerMinute: options.maxReauthsPerMinute }),
      ...(options.issuerClockSkewSec !== undefined && { issuerClockSkewSec: options.issuerClockSkewSec }),
    };
    ConnectionAuth.validateOptions(this.#connection);
    this.#extraction = resolveExtraction(options);
    const policy = new EventPolicy(options.events);
    const unlisted = options.unlistedEvents ?? 'deny';
    if (unlisted !== 'deny' && unlisted !== 'authenticated') {
      throw new TypeError('sockauth: "unlistedEvents" must be "deny" or "authenticated"');
    }
    if (options.authorize !== undefined && typeof options.authorize !== 'function') {
      throw new TypeError('sockauth: "authorize" must be a function');
    }
    if (options.eventGate !== undefined && typeof options.eventGate !== 'function') {
      throw new TypeError('sockauth: "eventGate" must be a function');
    }
    if (options.onContextChange !== undefined && typeof options.onContextChange !== 'function') {
      throw new TypeError('sockauth: "onContextChange" must be a function');
    }
    const hooks = (this.#hooks = validateHooks(options.hooks));
    const logger = validateLogger(options.logger);
    const limiter =
      options.eventRateLimit === undefined || options.eventRateLimit === false
        ? undefined
        : new EventRateLimiter(options.eventRateLimit, this.verifier.now);
    this.#skip = validateNamespaceRules(options.skipNamespaces);
    const maxSockets = options.maxSocketsPerConnection ?? DEFAULT_MAX_SOCKETS_PER_CONNECTION;
    if (!Number.isSafeInteger(maxSockets) || maxSockets < 1) {
      throw new TypeError('sockauth: "maxSocketsPerConnection" must be a positive integer');
    }
    this.#connections = new ConnectionSockets(maxSockets, (socket) => this.#release(socket, 'disconnect'));
    const states = this.#states;
    const registry = this.#registry;
    const reporter = (this.#reporter = new Reporter(hooks, logger, this.#extraction.queryParam, states));
    const disconnect = (socket: Socket, error: AuthError): void => this.#disconnect(socket, error);
    const reauth = new Reauth({ states, reporter, hooks, onContextChange: options.onContextChange });
    this.#events = new EventCheck({
      states,
      policy,
      unlisted,
      authorize: options.authorize,
      gate: options.eventGate,
      limiter,
      reporter,
      reauth,
      disconnect,
    });
    const connection = this.#connection;
    this.#revocations = new RevocationCuts({
      store: this.revocationStore,
      verifier: this.verifier,
      subjectSince: () => ConnectionAuth.subjectRevocationSince(connection),
      states,
      registry,
      reporter,
      hooks,
      disconnect,
    });
    this.middleware = (socket, next) => this.#handshake(socket, next);
    this.#unsubscribe = this.revocationStore.subscribe((record) => this.#revocations.cut(record));
  }

  /** Number of live authenticated sockets on this node. */
  get size(): number {
    return this.#registry.size;
  }

  /**
   * Authenticates every namespace of `io`, existing and future (dynamic and regex namespaces included), except
   * those listed in `skipNamespaces`. Socket.IO's own `io.use()` only covers the main namespace; this does not
   * leave `/admin` open by accident. On a namespace that exists now, the middleware runs after those already
   * registered there; on a namespace created later, before any other: the children of a parent (regex or
   * function) namespace start with the parent's middlewares, which must never see a raw token or a refused
   * handshake.
   *
   * Throws an `Error` naming the socket.io version and the member, and attaches nothing, when the private Socket.IO
   * members these guarantees rely on are not the expected ones (a socket.io outside the peer range).
   *
   * @example
   * ```ts
   * const auth = createSockAuth({ verifier: { algorithms: ['HS256'], secret } });
   * auth.attach(io);
   * ```
   */
  attach(io: Server): this {
    const install = (nsp: Namespace, first: boolean): void => {
      if (this.#attached.has(nsp) || matchesAnyNamespace(this.#skip, nsp.name)) return;
      this.#attached.add(nsp);
      if (first) prependMiddleware(nsp, this.middleware);
      else nsp.use(this.middleware);
      onSocketRemoved(nsp, this.#onForgotten);
      this.#watchConnections(nsp);
      this.#recovery.guard(nsp);
    };
    assertSupportedInternals(io);
    for (const nsp of namespacesOf(io)) install(nsp, isChildNamespace(nsp));
    io.on('new_namespace', (nsp: Namespace) => install(nsp, true));
    return this;
  }

  /**
   * The context in force for `socket` now, or `undefined` (not authenticated, expired, revoked, closed): the one
   * sockauth checks the socket's next event against, so a handler that reads it never acts on a cut socket's
   * identity. It answers `undefined` rather than throwing because a socket can be cut between any two awaits of a
   * handler: the caller decides what "gone" means.
   *
   * @example
   * ```ts
   * io.on('connection', (socket) => {
   *   socket.on('profile', (ack) => {
   *     const context = auth.contextOf(socket);
   *     if (context === undefined) return ack({ error: 'gone' });
   *     ack({ subject: context.subject, tenant: context.claims.tenant }); // claims typed by SockAuth<AppClaims>
   *   });
   * });
   * ```
   */
  contextOf(socket: Socket): AuthContext<TClaims> | undefined {
    const state = this.#states.get(socket);
    return state?.auth.isActive() ? (state.auth.context as AuthContext<TClaims> | undefined) : undefined;
  }

  /**
   * Wraps an event handler so it runs only when the socket's current context satisfies `requirement` and the
   * live `authorize` hook agrees; otherwise the event's ack (if any) receives `AUTH_FORBIDDEN`. Events whose
   * listeners are all guarded are let through the event map's `deny` default to their guard.
   *
   * @example
   * ```ts
   * socket.on('room:kick', auth.guard('chat:admin', (payload, ack) => { ... }));
   * ```
   */
  guard<A extends unknown[]>(
    requirement: PermissionRequirement,
    handler: (this: Socket, ...args: A) => unknown,
  ): (this: Socket, ...args: A) => void {
    return this.#events.guard(requirement, handler);
  }

  /**
   * Revokes a subject, session or token: every matching live socket on this node gets `auth:error`
   * (`AUTH_REVOKED`) and is disconnected; matching handshakes and re-auths are refused from now on. With a
   * distributed store, other nodes cut their sockets too. Resolves with the number of sockets cut here.
   *
   * @example
   * ```ts
   * const { disconnected } = await auth.revoke({ subject: 'alice' });
   * ```
   */
  revoke(target: RevocationTarget): Promise<{ disconnected: number }> {
    return this.#revocations.revoke(target);
  }

  /** Stops listening to the revocation store and releases every socket's timers. Sockets stay connected. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    for (const socket of [...this.#registry.connections()]) this.#release(socket, 'closed');
  }

  /**
   * Reports a refusal decided outside this controller (e.g. by a framework guard such as `@sockauth/nestjs`'s
   * `WsAuthGuard`) to the `onAuthFailure` hook and the logger, exactly like the refusals decided here.
   */
  reportEventFailure(socket: Socket, error: AuthError, event: string): void {
    this.#reporter.failure(error, 'event', socket, event);
  }

  // --- handshake -------------------------------------------------------------------------------------------

  #handshake(socket: Socket, next: (err?: Error) => void): void {
    this.#authenticate(socket, 'handshake').then(
      () => {
        next();
        // Socket.IO connects the socket on the next tick (when no later middleware holds it): look just after.
        if (!socket.connected) process.nextTick(this.#checkConnected, socket);
      },
      (error: AuthError) => next(toConnectError(error)),
    );
  }

  /** Verifies the socket's handshake token and wires the socket. Rejects with an AuthError only. */
  async #authenticate(socket: Socket, stage: 'handshake' | 'recovery'): Promise<void> {
    let slot = false;
    try {
      // Nothing was decided about the credentials: the client should retry (e.g. on another node), not log in.
      if (this.#closed) throw new AuthUnavailableError('authentication is shut down');
      // Extracted (and redacted) first, so even a refused handshake no longer carries the token.
      const token = extractToken(socket.handshake as unknown as HandshakeLike, this.#extraction, socket.request as EngineRequestLike);
      // Before any verification work: a flood of CONNECT packets on one connection is refused cheaply.
      if (!(slot = this.#connections.acquire(socket))) {
        throw new AuthUnavailableError('too many sockets on this connection', { cause: { name: 'RateLimited' } });
      }
      // Timed only when someone listens: no clock reads otherwise.
      const onVerify = this.#hooks.onVerify;
      const startedAt = onVerify === undefined ? 0 : performance.now();
      const verifying = ConnectionAuth.authenticate(token, this.#connection, this.#lifecycle, socket);
      const auth = onVerify === undefined ? await verifying : await this.#reporter.timed(verifying, stage, startedAt);
      const context = auth.context!;
      // Core revoked it if a revocation arrived after the store's lookup, before it is indexed below.
      if (auth.state === 'revoked') {
        auth.close();
        throw new AuthRevokedError();
      }
      // Recovered sockets, whether the middleware runs for them (`skipMiddlewares: false`) or not.
      try {
        this.#recovery.assertSameIdentity(socket, context);
      } catch (error) {
        auth.close();
        throw error;
      }
      this.#warnIfOutlivesRetention(socket, context);
      this.#wire(socket, auth, stage);
    } catch (error) {
      if (slot) this.#connections.release(socket);
      const authError = isAuthError(error) ? error : mapVerificationError(error);
      this.#reporter.failure(authError, stage, socket);
      throw authError;
    }
  }

  /**
   * Warns once when a token stays acceptable longer than the store keeps a revocation: revoking it would hold
   * only until the record is forgotten. Set the store's `retentionSec` to cover your longest token, or the
   * verifier's `maxTokenAgeSec` (then a store that cannot cover it is refused at start-up).
   */
  #warnIfOutlivesRetention(socket: Socket, context: AuthContext): void {
    if (this.#warnedRetention || !outlivesRetention(context, this.revocationStore, this.verifier)) return;
    this.#warnedRetention = true;
    this.#reporter.log(
      'warn',
      { sockauth: 'retention-too-short', ...where(socket), subject: context.subject, retentionSec: this.revocationStore.retentionSec },
      'sockauth: a token outlives the revocation store\'s retentionSec: a revocation of it would be forgotten before it expires',
    );
  }

  /** Says once per controller that an optimisation's private member was not the expected one (its fallback is safe). */
  #warnInternals(socket: Socket, member: string): void {
    if (this.#warnedInternals) return;
    this.#warnedInternals = true;
    this.#reporter.log(
      'warn',
      { sockauth: 'internals-unsupported', ...where(socket), member },
      `sockauth: socket.io's ${member} is not the expected one: sockets take the ordinary path (safe, more memory per connection)`,
    );
  }

  #wire(socket: Socket, auth: ConnectionAuth, stage: 'handshake' | 'recovery'): void {
    const previous = this.#states.get(socket);
    previous?.auth.close();
    // Authenticated twice (the middleware installed twice): one slot is enough.
    if (previous !== undefined) this.#connections.release(socket);
    const state: SocketState = { auth, queue: SETTLED, stage, live: false };
    this.#states.set(socket, state);
    (socket.data as SockAuthSocketData).auth = auth.context;
    // Indexed now, not once connected, so a revocation arriving before the connection event finds it.
    this.#registry.set(socket, auth.context!);
    if (previous === undefined) {
      if (!useOnlyPacketMiddleware(socket, this.#checkPacket.bind(socket))) this.#warnInternals(socket, 'Socket#fns');
      // 'disconnecting' fires before connection state recovery persists socket.data: the context is not saved.
      socket.on('disconnecting', this.#onDisconnecting);
    }
    // Started by the namespace's 'connection' event (see #onConnection) unless already connected (recovery).
    if (socket.connected) this.#start(socket, state);
    else this.#watchConnections(socket.nsp);
  }

  /**
   * Starts the sockets of `nsp` as they connect: one listener for the namespace, prepended so the deadline is
   * armed and the socket live before the application's connection handlers run.
   */
  #watchConnections(nsp: Namespace): void {
    if (this.#watched.has(nsp)) return;
    this.#watched.add(nsp);
    nsp.prependListener('connection', this.#onConnection);
  }

  #start(socket: Socket, state: SocketState): void {
    if (this.#states.get(socket) !== state || this.#closed) return;
    // Revoked between the handshake middleware and the connection event: cut it now that it can be told.
    if (state.auth.state === 'revoked') return this.#disconnect(socket, new AuthRevokedError());
    const context = state.auth.context!;
    state.live = true;
    safely(() =>
      this.#hooks.onAuthenticated?.({ socketId: socket.id, namespace: socket.nsp.name, subject: context.subject, stage: state.stage }),
    );
    this.#reporter.log('debug', { sockauth: 'authenticated', ...where(socket), stage: state.stage, subject: context.subject }, 'sockauth: socket authenticated');
    state.auth.start();
  }

  #release(socket: Socket, reason: ReleaseReason): void {
    const state = this.#states.get(socket);
    if (state === undefined) {
      // Already released (a cut releases before Socket.IO's 'disconnecting' comes back here), or never wired.
      const data = socket.data as SockAuthSocketData | undefined;
      if (data?.auth !== undefined) delete data.auth;
      return;
    }
    if (state.live) {
      state.live = false;
      const subject = state.auth.context?.subject ?? this.#registry.get(socket)?.subject ?? '';
      safely(() => this.#hooks.onRelease?.({ ...where(socket), subject, reason }));
    }
    const data = socket.data as SockAuthSocketData | undefined;
    if (state.auth.context !== undefined && state.auth.state !== 'revoked') {
      this.#recovery.rememberIdentity(socket, state.auth.context);
    }
    state.auth.close();
    this.#states.delete(socket);
    this.#registry.delete(socket);
    this.#connections.settled(socket);
    this.#connections.release(socket);
    if (data !== undefined) delete data.auth;
  }

  /** Sends `auth:error` and disconnects: the client sees reason `io server disconnect` and the code. */
  #disconnect(socket: Socket, error: AuthError): void {
    this.#release(socket, RELEASE_REASONS[error.code] ?? 'disconnect');
    if (!socket.connected) return;
    cutSocket(socket, ERROR_EVENT, error.toJSON());
  }


}

/**
 * `hooks`: every hook set must be a function, and an object literal may hold nothing but hooks (a misspelt hook
 * would never run). An instance of a class of hooks may keep other state of its own.
 */
function validateHooks(hooks: SockAuthHooks | undefined): SockAuthHooks {
  if (hooks === undefined) return {};
  if (typeof hooks !== 'object' || hooks === null) throw new TypeError('sockauth: "hooks" must be an object');
  if (isPlainObject(hooks)) assertKnownKeys('sockAuth options.hooks', hooks, SOCK_AUTH_HOOK_KEYS, 'hook');
  for (const name of Object.keys(SOCK_AUTH_HOOK_KEYS) as (keyof SockAuthHooks)[]) {
    const hook: unknown = hooks[name];
    if (hook !== undefined && typeof hook !== 'function') throw new TypeError(`sockauth: hook "${name}" must be a function`);
  }
  return hooks;
}

/** Why a socket cut with an error leaves the live set. */
const RELEASE_REASONS: Partial<Record<AuthError['code'], ReleaseReason>> = {
  AUTH_EXPIRED: 'expired',
  AUTH_REVOKED: 'revoked',
  AUTH_UNAVAILABLE: 'rate-limited',
};

/**
 * Creates the authentication controller without attaching it. Call {@link SockAuth.attach} with your server.
 *
 * @example
 * ```ts
 * const auth = createSockAuth({
 *   verifier: { algorithms: ['HS256'], secret: process.env.JWT_SECRET!, issuer: 'me', audience: 'chat' },
 *   events: { 'chat:send': 'chat:write', 'admin:*': ['chat:admin'] },
 * }).attach(io);
 * ```
 */
export function createSockAuth<TClaims extends JWTPayload = JWTPayload>(options: SockAuthOptions<TClaims>): SockAuth<TClaims> {
  return new SockAuth(options);
}

/**
 * Creates the controller and attaches it to every namespace of `io`.
 *
 * @example
 * ```ts
 * const auth = sockAuth(io, { verifier: { algorithms: ['HS256'], secret }, events: { whoami: null } });
 * io.on('connection', (socket) => socket.on('whoami', (ack) => ack(auth.contextOf(socket)?.subject)));
 * ```
 */
export function sockAuth<TClaims extends JWTPayload = JWTPayload>(io: Server, options: SockAuthOptions<TClaims>): SockAuth<TClaims> {
  return new SockAuth(options).attach(io);
}
