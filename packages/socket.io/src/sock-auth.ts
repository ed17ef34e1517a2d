import {
  AuthForbiddenError,
  AuthMissingError,
  AuthRevokedError,
  AuthUnavailableError,
  ConnectionAuth,
  ConnectionRegistry,
  MemoryRevocationStore,
  authorizeAction,
  compileRequirement,
  createVerifier,
  isAuthError,
  isVerifier,
  mapVerificationError,
  parseRevocationTarget,
  redactUrl,
  revocationApplies,
  revokeTarget,
  satisfies,
  type AuthContext,
  type AuthError,
  type AuthorizeHook,
  type CompiledRequirement,
  type ConnectionAuthEvents,
  type ConnectionAuthOptions,
  type PermissionRequirement,
  type RevocationRecord,
  type RevocationStore,
  type RevocationTarget,
  type Verifier,
} from '@sockauth/core';
import type { Namespace, Server, Socket } from 'socket.io';
import { EventPolicy, type UnlistedEventPolicy } from './event-policy.js';
import { EventRateLimiter } from './event-rate-limit.js';
import {
  causeOf,
  failureLevel,
  validateLogger,
  type LogLevel,
  type SockAuthLogger,
  type SockAuthLogRecord,
} from './logging.js';
import type {
  EventGate,
  FailureStage,
  ReleaseReason,
  SockAuthHooks,
  SockAuthOptions,
  SockAuthSocketData,
  VerifyStage,
} from './options.js';
import {
  ERROR_EVENT,
  EXPIRING_EVENT,
  REFRESH_EVENT,
  ackPacket,
  toConnectError,
  type DeniedAck,
  type ExpiringPayload,
  type RefreshAck,
} from './protocol.js';
import { ConnectionRecovery } from './connection-recovery.js';
import { cutSocket } from './cut.js';
import { extractToken, resolveExtraction, type HandshakeLike, type TokenExtraction } from './token-extraction.js';

/** A Socket.IO middleware `(socket, next) => void`. */
export type SocketMiddleware = (socket: Socket, next: (err?: Error) => void) => void;

/** Marks functions produced by {@link SockAuth.guard}. */
const GUARD = Symbol('sockauth.guard');
type Guarded = ((...args: unknown[]) => void) & { [GUARD]: CompiledRequirement };

/** Per-socket state, kept outside `socket.data` so it is never persisted by connection state recovery. */
interface SocketState {
  readonly auth: ConnectionAuth;
  /** Keeps per-socket event checks in arrival order when a live `authorize` hook makes them asynchronous. */
  queue: Promise<void>;
  /** How the socket authenticated. */
  readonly stage: 'handshake' | 'recovery';
  /** Set once the socket is connected and `onAuthenticated` ran: it then gets exactly one `onRelease`. */
  live: boolean;
}


function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // Observability hooks and user callbacks must never break authentication.
  }
}

/**
 * JWT authentication for a Socket.IO server over the whole life of each socket: handshake verification,
 * per-event permissions, expiry, in-band re-auth and revocation. Create it with {@link createSockAuth} or
 * {@link sockAuth}.
 */
export class SockAuth {
  /** The middleware for `nsp.use()`, when attaching per namespace by hand. Prefer {@link attach}. */
  readonly middleware: SocketMiddleware;
  /** The revocation store in use. */
  readonly revocationStore: RevocationStore;
  /** The verifier in use. */
  readonly verifier: Verifier;

  readonly #connection: ConnectionAuthOptions;
  readonly #extraction: TokenExtraction;
  readonly #policy: EventPolicy;
  readonly #unlisted: UnlistedEventPolicy;
  readonly #authorize: AuthorizeHook | undefined;
  readonly #gate: EventGate | undefined;
  readonly #hooks: SockAuthHooks;
  readonly #logger: SockAuthLogger | undefined;
  readonly #limiter: EventRateLimiter | undefined;
  readonly #skip: readonly (string | RegExp)[];
  readonly #onContextChange: SockAuthOptions['onContextChange'];
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
   * Lifecycle callbacks shared by every connection: the socket comes back as the connection's `tag`, so a
   * connection costs no closures of its own.
   */
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
      self.#checkEvent(this, packet, next);
    })(this);
  /** Namespaces whose 'connection' event starts the sockets authenticated for them. */
  readonly #watched = new WeakSet<Namespace>();
  /** One 'connection' listener per namespace: arms the deadline of the socket that just connected. */
  readonly #onConnection = (socket: Socket): void => {
    const onClose = this.#awaitingConnection.get(socket);
    if (onClose !== undefined) {
      this.#awaitingConnection.delete(socket);
      socket.client.conn.off('close', onClose);
    }
    const state = this.#states.get(socket);
    if (state !== undefined && !state.live) this.#start(socket, state);
  };
  /**
   * Sockets still not connected a tick after the handshake (a later middleware holds them), with the 'close'
   * listener that forgets them if their client leaves first.
   */
  readonly #awaitingConnection = new WeakMap<Socket, () => void>();
  /** A tick after the handshake middleware let `socket` through. */
  readonly #checkConnected = (socket: Socket): void => {
    const state = this.#states.get(socket);
    if (state === undefined || state.live || socket.connected || this.#awaitingConnection.has(socket)) return;
    const conn = socket.client.conn;
    // The client left before Socket.IO could connect the socket: it never will.
    if (conn.readyState !== 'open') return this.#release(socket, 'disconnect');
    // A handshake that never completes (client gone between middleware and connect) must not leave anything.
    const onClose = (): void => {
      this.#awaitingConnection.delete(socket);
      this.#release(socket, 'disconnect');
    };
    this.#awaitingConnection.set(socket, onClose);
    conn.once('close', onClose);
  };
  readonly #lifecycle: ConnectionAuthEvents = {
    onExpiring: (info, _context, connection) =>
      (connection.tag as Socket).emit(EXPIRING_EVENT, { expiresAt: info.expiresAt, inMs: info.inMs } satisfies ExpiringPayload),
    onGrace: (info, context, connection) =>
      (connection.tag as Socket).emit(EXPIRING_EVENT, {
        expiresAt: context.expiresAt,
        inMs: 0,
        graceEndsAt: info.graceEndsAt,
      } satisfies ExpiringPayload),
    onExpired: (error, context, connection) => {
      const socket = connection.tag as Socket;
      // Cut first, then report: in an expiry storm every socket is told as early as possible, and the hook
      // marks the moment the socket was actually cut.
      this.#disconnect(socket, error);
      safely(() => this.#hooks.onExpire?.({ socketId: socket.id, subject: context.subject }));
      this.#log('info', { sockauth: 'expired', ...this.#where(socket), subject: context.subject }, 'sockauth: token expired, socket disconnected');
    },
  };
  /** Handshakes (or recoveries) whose token is being verified. */
  #verifying = 0;
  /** Revocations received while handshakes were being verified; emptied when none is. */
  readonly #recentRevocations: RevocationRecord[] = [];
  #guards = 0;
  #closed = false;

  constructor(options: SockAuthOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('sockauth: options are required');
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
    };
    ConnectionAuth.validateOptions(this.#connection);
    this.#extraction = resolveExtraction(options);
    this.#policy = new EventPolicy(options.events);
    this.#unlisted = options.unlistedEvents ?? 'deny';
    if (this.#unlisted !== 'deny' && this.#unlisted !== 'authenticated') {
      throw new TypeError('sockauth: "unlistedEvents" must be "deny" or "authenticated"');
    }
    if (options.authorize !== undefined && typeof options.authorize !== 'function') {
      throw new TypeError('sockauth: "authorize" must be a function');
    }
    this.#authorize = options.authorize;
    if (options.eventGate !== undefined && typeof options.eventGate !== 'function') {
      throw new TypeError('sockauth: "eventGate" must be a function');
    }
    this.#gate = options.eventGate;
    this.#hooks = options.hooks ?? {};
    this.#logger = validateLogger(options.logger);
    this.#limiter =
      options.eventRateLimit === undefined || options.eventRateLimit === false
        ? undefined
        : new EventRateLimiter(options.eventRateLimit, this.verifier.now);
    this.#skip = options.skipNamespaces ?? [];
    this.#onContextChange = options.onContextChange;
    this.middleware = (socket, next) => this.#handshake(socket, next);
    this.#unsubscribe = this.revocationStore.subscribe((record) => this.#cut(record));
  }

  /** Number of live authenticated sockets on this node. */
  get size(): number {
    return this.#registry.size;
  }

  /**
   * Authenticates every namespace of `io`, existing and future (dynamic and regex namespaces included), except
   * those listed in `skipNamespaces`. Socket.IO's own `io.use()` only covers the main namespace; this does not
   * leave `/admin` open by accident.
   *
   * @example
   * ```ts
   * const auth = createSockAuth({ verifier: { algorithms: ['HS256'], secret } });
   * auth.attach(io);
   * ```
   */
  attach(io: Server): this {
    const install = (nsp: Namespace): void => {
      if (this.#attached.has(nsp) || this.#skipped(nsp.name)) return;
      this.#attached.add(nsp);
      nsp.use(this.middleware);
      this.#watchConnections(nsp);
      this.#recovery.guard(nsp);
    };
    for (const nsp of (io as unknown as { _nsps: Map<string, Namespace> })._nsps.values()) install(nsp);
    io.on('new_namespace', install);
    return this;
  }

  /** The context in force for `socket` now, or `undefined` (not authenticated, expired, revoked, closed). */
  contextOf(socket: Socket): AuthContext | undefined {
    const state = this.#states.get(socket);
    return state?.auth.isActive() ? state.auth.context : undefined;
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
    if (typeof handler !== 'function') throw new TypeError('sockauth: guard(requirement, handler) needs a function');
    const compiled = compileRequirement(requirement);
    const self = this;
    const guarded = function (this: Socket, ...args: A): void {
      const state = self.#states.get(this);
      const packet = args as unknown[];
      if (state === undefined) {
        ackPacket(packet, denied(new AuthMissingError()));
        return;
      }
      let context: AuthContext;
      try {
        context = state.auth.current();
      } catch (error) {
        ackPacket(packet, denied(error as AuthError));
        return;
      }
      const action = `guard:${handler.name || 'anonymous'}`;
      authorizeAction(context, compiled, action, withoutAck(packet), self.#authorize).then(
        () => {
          if (!state.auth.isActive()) return ackPacket(packet, denied(safeCurrentError(state.auth)));
          handler.apply(this, args);
        },
        (error: unknown) => {
          const authError = mapVerificationError(error);
          self.#failure(authError, 'event', this, action);
          ackPacket(packet, denied(authError));
        },
      );
    } as Guarded;
    guarded[GUARD] = compiled;
    this.#guards++;
    return guarded as (this: Socket, ...args: A) => void;
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
  async revoke(target: RevocationTarget): Promise<{ disconnected: number }> {
    let until: number | undefined;
    if (target && typeof target === 'object' && 'tokenId' in target && typeof target.tokenId === 'string') {
      // Keep a token revocation as long as the longest-lived live socket using that token id needs it.
      for (const socket of this.#registry.match({ kind: 'token', id: target.tokenId, since: Infinity, until: Infinity })) {
        const expiresAt = this.#registry.get(socket)?.expiresAt ?? 0;
        until = Math.max(until ?? 0, expiresAt + this.verifier.clockToleranceSec * 1000);
      }
    }
    const key = targetKey(target);
    const pending = this.#pendingRevocations.get(key) ?? { cut: 0, refs: 0 };
    pending.refs++;
    this.#pendingRevocations.set(key, pending);
    try {
      const record = await revokeTarget(this.revocationStore, target, until);
      // The store's listener normally cut the sockets already; this also covers stores that publish late.
      this.#cut(record);
      return { disconnected: pending.cut };
    } finally {
      if (--pending.refs === 0) this.#pendingRevocations.delete(key);
    }
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
    this.#failure(error, 'event', socket, event);
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
    this.#verifying++;
    const seenRevocations = this.#recentRevocations.length;
    try {
      // Nothing was decided about the credentials: the client should retry (e.g. on another node), not log in.
      if (this.#closed) throw new AuthUnavailableError('authentication is shut down');
      const token = extractToken(socket.handshake as unknown as HandshakeLike, this.#extraction);
      // Timed only when someone listens: no clock reads otherwise.
      const onVerify = this.#hooks.onVerify;
      const startedAt = onVerify === undefined ? 0 : performance.now();
      const verifying = ConnectionAuth.authenticate(token, this.#connection, this.#lifecycle, socket);
      const auth = onVerify === undefined ? await verifying : await this.#timed(verifying, stage, startedAt);
      const context = auth.context!;
      if (stage === 'recovery') {
        try {
          this.#recovery.assertSameIdentity(socket, context);
        } catch (error) {
          auth.close();
          throw error;
        }
      }
      // The store answered before these revocations reached it (or before its reply reached us): apply them.
      if (this.#recentRevocations.slice(seenRevocations).some((record) => revocationApplies(record, context))) {
        auth.close();
        throw new AuthRevokedError();
      }
      this.#wire(socket, auth, stage);
    } catch (error) {
      const authError = isAuthError(error) ? error : mapVerificationError(error);
      this.#failure(authError, stage, socket);
      throw authError;
    } finally {
      if (--this.#verifying === 0) this.#recentRevocations.length = 0;
    }
  }

  /** Awaits a verification and reports its duration and outcome to `onVerify`. */
  async #timed<T>(verifying: Promise<T>, stage: VerifyStage, startedAt: number): Promise<T> {
    try {
      const result = await verifying;
      const durationMs = performance.now() - startedAt;
      safely(() => this.#hooks.onVerify?.({ stage, durationMs, outcome: 'accepted' }));
      return result;
    } catch (error) {
      const durationMs = performance.now() - startedAt;
      const code = isAuthError(error) ? error.code : mapVerificationError(error).code;
      safely(() => this.#hooks.onVerify?.({ stage, durationMs, outcome: 'refused', code }));
      throw error;
    }
  }

  #wire(socket: Socket, auth: ConnectionAuth, stage: 'handshake' | 'recovery'): void {
    const previous = this.#states.get(socket);
    previous?.auth.close();
    const state: SocketState = { auth, queue: SETTLED, stage, live: false };
    this.#states.set(socket, state);
    (socket.data as SockAuthSocketData).auth = auth.context;
    // Indexed now, not once connected, so a revocation arriving before the connection event finds it.
    this.#registry.set(socket, auth.context!);
    if (previous === undefined) {
      useFirst(socket, this.#checkPacket.bind(socket));
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
    this.#log('debug', { sockauth: 'authenticated', ...this.#where(socket), stage: state.stage, subject: context.subject }, 'sockauth: socket authenticated');
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
      safely(() => this.#hooks.onRelease?.({ ...this.#where(socket), subject, reason }));
    }
    const data = socket.data as SockAuthSocketData | undefined;
    if (state.auth.context !== undefined && state.auth.state !== 'revoked') {
      this.#recovery.rememberIdentity(socket, state.auth.context);
    }
    state.auth.close();
    this.#states.delete(socket);
    this.#registry.delete(socket);
    const onClose = this.#awaitingConnection.get(socket);
    if (onClose !== undefined) {
      this.#awaitingConnection.delete(socket);
      socket.client.conn.off('close', onClose);
    }
    if (data !== undefined) delete data.auth;
  }

  /** Sends `auth:error` and disconnects: the client sees reason `io server disconnect` and the code. */
  #disconnect(socket: Socket, error: AuthError): void {
    this.#release(socket, RELEASE_REASONS[error.code] ?? 'disconnect');
    if (!socket.connected) return;
    cutSocket(socket, ERROR_EVENT, error.toJSON());
  }

  // --- events ------------------------------------------------------------------------------------------------

  #checkEvent(socket: Socket, packet: unknown[], next: (err?: Error) => void): void {
    const state = this.#states.get(socket);
    const event = packet[0];
    if (state === undefined) {
      // Released and disconnected (cut, expired, revoked, flooding): packets still in Socket.IO's pipeline are
      // dropped without a word, so a flood cannot turn into as many hook calls and log lines.
      if (!socket.connected) return;
      return this.#deny(socket, packet, new AuthMissingError(), 'event');
    }
    // Before anything else, auth:refresh included: a flood costs one bucket update per event, nothing more.
    if (this.#limiter !== undefined) {
      const verdict = this.#limiter.take(socket);
      if (verdict !== 'allow') return this.#rateLimited(socket, packet, event, verdict === 'disconnect');
    }
    if (event === REFRESH_EVENT) {
      this.#refresh(socket, state, packet);
      return;
    }
    if (typeof event !== 'string') {
      return this.#deny(socket, packet, new AuthForbiddenError('event name must be a string'), 'event');
    }
    let context: AuthContext;
    try {
      context = state.auth.current();
    } catch (error) {
      return this.#deny(socket, packet, error as AuthError, 'event', event);
    }
    let requirement = this.#policy.requirementFor(event);
    if (requirement === undefined) {
      // Guards check their own requirement and call `authorize` themselves.
      if (this.#guardedOnly(socket, event)) return this.#pass(socket, event, packet, context, next);
      if (this.#unlisted === 'deny') {
        return this.#deny(socket, packet, new AuthForbiddenError(`"${truncate(event)}" is not allowed`), 'event', event);
      }
      // unlistedEvents: 'authenticated' — still subject to the live `authorize` hook, like every event.
      requirement = AUTHENTICATED;
    }
    if (!satisfies(context, requirement)) {
      return this.#deny(socket, packet, new AuthForbiddenError(`"${truncate(event)}" is not allowed`), 'event', event);
    }
    if (this.#authorize === undefined) {
      // Synchronous path: no allocation beyond Socket.IO's own, order preserved.
      this.#pass(socket, event, packet, context, next);
      return;
    }
    const hook = this.#authorize;
    const checked = requirement;
    state.queue = state.queue.then(async () => {
      try {
        // Re-read the context: a re-auth may have replaced it while earlier events were being checked.
        const current = state.auth.current();
        await authorizeAction(current, checked, event, withoutAck(packet.slice(1)), hook);
        // The deadline may have passed during the hook.
        this.#pass(socket, event, packet, state.auth.current(), next);
      } catch (error) {
        this.#deny(socket, packet, mapVerificationError(error), 'event', event);
      }
    });
  }

  /** Lets an event that passed every check here through, by way of the `eventGate` when there is one. */
  #pass(socket: Socket, event: string, packet: unknown[], context: AuthContext, next: (err?: Error) => void): void {
    if (this.#gate === undefined) return next();
    this.#gate(socket, event, packet, context, next);
  }

  /** True when every listener of `event` on `socket` is a guard (guards do their own permission checks). */
  #guardedOnly(socket: Socket, event: string): boolean {
    if (this.#guards === 0) return false;
    const listeners = socket.listeners(event);
    return listeners.length > 0 && listeners.every((listener) => GUARD in listener);
  }

  #deny(socket: Socket, packet: unknown[], error: AuthError, stage: FailureStage, event?: string): void {
    this.#failure(error, stage, socket, event);
    ackPacket(packet, denied(error));
  }

  /** An event over the rate limit: refused before any check or handler; past the hard limit, the socket is cut. */
  #rateLimited(socket: Socket, packet: unknown[], event: unknown, cut: boolean): void {
    const error = new AuthUnavailableError('too many events, slow down', { cause: { name: 'RateLimited' } });
    this.#deny(socket, packet, error, 'event', typeof event === 'string' ? event : undefined);
    if (!cut) return;
    const subject = this.#states.get(socket)?.auth.context?.subject;
    this.#log(
      'warn',
      { sockauth: 'rate-limited', ...this.#where(socket), code: error.code, action: error.action, ...(subject !== undefined && { subject }) },
      'sockauth: event flood past the rate limit, socket disconnected',
    );
    this.#disconnect(socket, error);
  }

  #failure(error: AuthError, stage: FailureStage, socket: Socket, event?: string): void {
    safely(() =>
      this.#hooks.onAuthFailure?.({
        code: error.code,
        stage,
        socketId: socket.id,
        namespace: socket.nsp?.name ?? '/',
        ...(event !== undefined && { event: truncate(event) }),
      }),
    );
    if (this.#logger === undefined) return;
    const handshake = stage === 'handshake' || stage === 'recovery';
    // The subject of the context in force (event, re-auth), never anything read from a presented token.
    const subject = handshake ? undefined : this.#states.get(socket)?.auth.context?.subject;
    const cause = causeOf(error);
    const url = handshake ? this.#loggedUrl(socket) : undefined;
    this.#log(
      failureLevel(error, stage),
      {
        sockauth: 'refused',
        ...this.#where(socket),
        stage,
        code: error.code,
        action: error.action,
        ...(subject !== undefined && { subject }),
        ...(event !== undefined && { event: truncate(event) }),
        ...(url !== undefined && { url }),
        ...(cause !== undefined && { cause }),
      },
      `sockauth: ${stage} refused`,
    );
  }

  /** Socket id and namespace, for hooks and log records. */
  #where(socket: Socket): { socketId: string; namespace: string } {
    return { socketId: socket.id, namespace: socket.nsp?.name ?? '/' };
  }

  /**
   * The handshake URL for a log line: only Socket.IO's own transport parameters keep their values; every other
   * query parameter (the token one, whatever a custom extractor reads, engine.io's session id) is redacted.
   */
  #loggedUrl(socket: Socket): string | undefined {
    const url = socket.handshake?.url;
    if (typeof url !== 'string') return undefined;
    const queryStart = url.indexOf('?');
    if (queryStart === -1) return url;
    let names: string[];
    try {
      names = [...new URLSearchParams(url.slice(queryStart + 1).split('#')[0]).keys()];
    } catch {
      return '[unparseable url]';
    }
    return redactUrl(url, [this.#extraction.queryParam, ...names.filter((name) => !LOGGED_QUERY_PARAMS.has(name))]);
  }

  /** Hands a record to the logger, if any. A failing logger never breaks authentication. */
  #log(level: LogLevel, record: SockAuthLogRecord, message: string): void {
    const logger = this.#logger;
    if (logger === undefined) return;
    safely(() => logger[level](record, message));
  }

  // --- re-auth -----------------------------------------------------------------------------------------------

  #refresh(socket: Socket, state: SocketState, packet: unknown[]): void {
    const payload = packet[1];
    const token = typeof payload === 'object' && payload !== null ? (payload as { token?: unknown }).token : undefined;
    const previous = state.auth.context;
    const onVerify = this.#hooks.onVerify;
    const startedAt = onVerify === undefined ? 0 : performance.now();
    const verifying = state.auth.reauthenticate(token);
    (onVerify === undefined ? verifying : this.#timed(verifying, 'reauth', startedAt)).then(
      (current) => {
        if (this.#states.get(socket) !== state) return;
        (socket.data as SockAuthSocketData).auth = current;
        this.#registry.set(socket, current);
        safely(() => this.#hooks.onReauth?.({ socketId: socket.id, subject: current.subject, version: current.version }));
        this.#log(
          'info',
          { sockauth: 'reauthenticated', ...this.#where(socket), subject: current.subject, version: current.version },
          'sockauth: socket re-authenticated',
        );
        ackPacket(packet, { ok: true, expiresAt: current.expiresAt, version: current.version } satisfies RefreshAck);
        if (this.#onContextChange !== undefined && previous !== undefined) {
          const onChange = this.#onContextChange;
          Promise.resolve()
            .then(() => onChange(socket, { previous, current }))
            .catch(() => undefined);
        }
      },
      (error: unknown) => {
        const authError = mapVerificationError(error);
        this.#failure(authError, 'reauth', socket, REFRESH_EVENT);
        ackPacket(packet, { ok: false, error: authError.toJSON() } satisfies RefreshAck);
      },
    );
  }

  // --- revocation --------------------------------------------------------------------------------------------

  /** Sockets cut so far for revocations this node is making, so `revoke()` can report how many. */
  readonly #pendingRevocations = new Map<string, { cut: number; refs: number }>();

  /** Cuts the live sockets a revocation applies to. */
  #cut(record: RevocationRecord): void {
    if (this.#verifying > 0) this.#recentRevocations.push(record);
    const sockets = this.#registry.match(record);
    let cut = 0;
    for (const socket of sockets) {
      const state = this.#states.get(socket);
      if (state === undefined || !state.auth.revoke()) continue;
      const subject = this.#registry.get(socket)?.subject ?? '';
      cut++;
      safely(() => this.#hooks.onRevoke?.({ socketId: socket.id, subject, kind: record.kind }));
      this.#log('info', { sockauth: 'revoked', ...this.#where(socket), subject, revocation: record.kind }, 'sockauth: socket revoked');
      // Not connected yet (handshake accepted, connection event pending): #start cuts it once connected.
      if (socket.connected) this.#disconnect(socket, new AuthRevokedError());
    }
    const key = `${record.kind}\u0000${record.id}`;
    const pending = this.#pendingRevocations.get(key);
    if (pending !== undefined) pending.cut += cut;
  }

  #skipped(name: string): boolean {
    return this.#skip.some((rule) => (typeof rule === 'string' ? rule === name : rule.test(name)));
  }
}

/**
 * `socket.use(check)` for a socket with no middleware yet, at a fraction of the memory: Socket.IO 4 keeps a
 * socket's middlewares in an array that a first `push` grows to 17 slots (152 bytes, for one function); a
 * one-element array holds the same. Falls back to `socket.use` when the internals are not the expected ones.
 */
function useFirst(socket: Socket, check: (packet: unknown[], next: (err?: Error) => void) => void): void {
  const internals = socket as unknown as { fns?: unknown };
  if (Array.isArray(internals.fns) && internals.fns.length === 0) internals.fns = [check];
  else socket.use(check as Parameters<Socket['use']>[0]);
}

function targetKey(target: RevocationTarget): string {
  const { kind, id } = parseRevocationTarget(target);
  return `${kind}\u0000${id}`;
}

/** Why a socket cut with an error leaves the live set. */
const RELEASE_REASONS: Partial<Record<AuthError['code'], ReleaseReason>> = {
  AUTH_EXPIRED: 'expired',
  AUTH_REVOKED: 'revoked',
  AUTH_UNAVAILABLE: 'rate-limited',
};

/** Query parameters of Socket.IO's own protocol whose values are kept in logged URLs (engine.io `sid` is not). */
const LOGGED_QUERY_PARAMS: ReadonlySet<string> = new Set(['EIO', 'transport', 't', 'b64', 'j']);

/** Requirement of unlisted events allowed by `unlistedEvents: 'authenticated'`. */
const AUTHENTICATED = compileRequirement(null);

/** The initial per-socket check queue: one settled promise shared by every socket. */
const SETTLED: Promise<void> = Promise.resolve();

/** The event arguments the `authorize` hook sees: the payload, without Socket.IO's ack callback. */
function withoutAck(args: readonly unknown[]): unknown[] {
  return typeof args[args.length - 1] === 'function' ? args.slice(0, -1) : [...args];
}

function denied(error: AuthError): DeniedAck {
  return { error: error.toJSON() };
}

function safeCurrentError(auth: ConnectionAuth): AuthError {
  try {
    auth.current();
    return new AuthMissingError();
  } catch (error) {
    return error as AuthError;
  }
}

function truncate(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

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
export function createSockAuth(options: SockAuthOptions): SockAuth {
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
export function sockAuth(io: Server, options: SockAuthOptions): SockAuth {
  return new SockAuth(options).attach(io);
}
