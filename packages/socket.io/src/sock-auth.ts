import {
  AuthForbiddenError,
  AuthSessions,
  AuthUnavailableError,
  adapterSessionOptions,
  isAuthError,
  mapVerificationError,
  type AuthContext,
  type AuthError,
  type JWTPayload,
  type PermissionRequirement,
  type ReevaluationTargets,
  type RevocationStore,
  type RevocationTarget,
  type SessionOptions,
  type SessionTransport,
  type Verifier,
} from '@sockauth/core';
import type { Namespace, Server, Socket } from 'socket.io';
import { ConnectionRecovery } from './connection-recovery.js';
import { ConnectionSockets, DEFAULT_MAX_SOCKETS_PER_CONNECTION } from './connection-sockets.js';
import { cutSocket } from './cut.js';
import { emitToSockets } from './emit-to-sockets.js';
import { eventArgs } from './event-args.js';
import { guardHandler, guardedOnly } from './guard.js';
import { matchesAnyNamespace, validateNamespaceRules, type NamespaceRule } from './namespace-rules.js';
import { SOCK_AUTH_OPTION_KEYS, type SockAuthOptions, type SockAuthSocketData } from './options.js';
import { ERROR_EVENT, ackPacket, toConnectError } from './protocol.js';
import {
  assertSupportedInternals,
  guardRoomJoins,
  isChildNamespace,
  isRoomGuarded,
  isSocketIdRoom,
  namespacesOf,
  onSocketRemoved,
  prependMiddleware,
  useOnlyPacketMiddleware,
} from './socket-io-internals.js';
import { extractToken, resolveExtraction, type EngineRequestLike, type HandshakeLike, type TokenExtraction } from './token-extraction.js';

/** A Socket.IO middleware `(socket, next) => void`. */
export type SocketMiddleware = (socket: Socket, next: (err?: Error) => void) => void;

/** Query parameters of Socket.IO's own protocol whose values are kept in logged URLs (engine.io `sid` is not). */
const SOCKET_IO_QUERY_PARAMS = ['EIO', 'transport', 't', 'b64', 'j'] as const;

/**
 * JWT authentication for a Socket.IO server over the whole life of each socket: handshake verification,
 * per-event permissions, rooms that follow the current authorization, expiry, in-band re-auth and revocation.
 * Create it with {@link createSockAuth} or {@link sockAuth}. `TClaims` is the claims type of its contexts (see
 * {@link SockAuthOptions}).
 *
 * Everything it decides is decided by core's transport-agnostic session (`AuthSessions`); this class translates
 * Socket.IO's handshake, packets, rooms, connection state recovery and disconnects into it.
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

  readonly #sessions: AuthSessions<Socket, unknown[], TClaims>;
  readonly #extraction: TokenExtraction;
  readonly #skip: readonly NamespaceRule[];
  readonly #attached = new WeakSet<object>();
  /** Namespaces left open (`skipNamespaces`) whose sockets are reported to `onAnonymous`. */
  readonly #anonymous = new WeakSet<Namespace>();
  /** Guards made so far: while there are none, events need not look for them. */
  #guards = 0;
  /** Re-verification of sockets restored by connection state recovery. */
  readonly #recovery = new ConnectionRecovery({
    isAuthenticated: (socket) => this.#sessions.has(socket),
    authenticate: (socket) => this.#authenticate(socket, 'recovery'),
    release: (socket) => this.#release(socket),
  });
  /**
   * One listener function for every socket's 'disconnecting' (Socket.IO calls it with the socket as `this`): a
   * per-socket `once` wrapper would cost a closure per connection. 'disconnecting' fires once per socket.
   */
  readonly #onDisconnecting = ((self: SockAuth) =>
    function (this: Socket): void {
      self.#release(this);
    })(this);
  /**
   * The per-packet check every socket installs with `socket.use`, bound to its socket: a bound function is half
   * the size of a closure and its context.
   */
  readonly #checkPacket = ((self: SockAuth) =>
    function (this: Socket, packet: unknown[], next: (err?: Error) => void): void {
      self.#sessions.check(this, packet, packet[0], next as () => void);
    })(this);
  /** Namespaces whose 'connection' event starts the sockets authenticated for them. */
  readonly #watched = new WeakSet<Namespace>();
  /** One 'connection' listener per namespace: arms the deadline of the socket that just connected. */
  readonly #onConnection = (socket: Socket): void => {
    this.#connections.settled(socket);
    this.#sessions.start(socket);
  };
  /** Sockets held per Engine.IO connection: the bound, and the sockets awaiting their connection. */
  readonly #connections: ConnectionSockets;
  /** A tick after the handshake middleware let `socket` through. */
  readonly #checkConnected = (socket: Socket): void => {
    if (!this.#sessions.has(socket) || socket.connected) return;
    // The client left before Socket.IO could connect the socket: it never will.
    if (socket.client.conn.readyState !== 'open') return this.#release(socket);
    // A later middleware holds it. Refused, or let through after its client left, Socket.IO forgets it (see
    // attach); a middleware that never answers is covered by the connection's close.
    this.#connections.await(socket);
  };
  /** Socket.IO forgot a socket of an attached namespace (refused by a later middleware, or its client left). */
  readonly #onForgotten = (socket: Socket): void => {
    if (!socket.connected) this.#release(socket);
  };
  /** Whether the warning about an optimisation's private member was logged (once per controller). */
  #warnedInternals = false;

  /**
   * @deprecated Create it with {@link createSockAuth} (or {@link sockAuth}, which also attaches it): one way to build
   * the controller. The constructor stays public for 0.1 code and for subclasses.
   */
  constructor(typedOptions: SockAuthOptions<TClaims>) {
    // TClaims only types what the application's hooks see; inside, claims are handled as plain JWTPayload.
    const options = typedOptions as unknown as SockAuthOptions;
    const session = adapterSessionOptions<Socket>('sockAuth options', options, SOCK_AUTH_OPTION_KEYS);
    this.verifier = session.verifier;
    this.revocationStore = session.revocationStore;
    this.#extraction = resolveExtraction(options);
    this.#skip = validateNamespaceRules(options.skipNamespaces);
    const maxSockets = options.maxSocketsPerConnection ?? DEFAULT_MAX_SOCKETS_PER_CONNECTION;
    if (!Number.isSafeInteger(maxSockets) || maxSockets < 1) {
      throw new TypeError('sockauth: "maxSocketsPerConnection" must be a positive integer');
    }
    this.#connections = new ConnectionSockets(maxSockets, (socket) => this.#release(socket));
    this.#sessions = new AuthSessions<Socket, unknown[], TClaims>(
      session as SessionOptions<Socket, TClaims>,
      this.#transport(),
      'sockAuth options',
    );
    this.middleware = (socket, next) => this.#handshake(socket, next);
  }

  /** How the session reaches Socket.IO: one object for every socket (the socket comes back as the handle). */
  #transport(): SessionTransport<Socket, unknown[]> {
    const logged = new Set<string>(SOCKET_IO_QUERY_PARAMS);
    // A token query parameter named like one of Socket.IO's own is still redacted.
    logged.delete(this.#extraction.queryParam);
    return {
      describe: (socket) => ({ socketId: socket.id, namespace: socket.nsp?.name ?? '/' }),
      handshakeUrl: (socket) => socket.handshake?.url,
      loggedQueryParams: logged,
      isOpen: (socket) => socket.connected,
      send: (socket, event, payload) => {
        socket.emit(event, payload);
      },
      sendMany: emitToSockets,
      cut: (socket, error) => cutSocket(socket, ERROR_EVENT, error.toJSON()),
      reply: (_socket, packet, payload) => ackPacket(packet, payload),
      args: (packet) => eventArgs(packet.slice(1)),
      checksItself: (socket, event) => this.#guards > 0 && guardedOnly(socket, event),
      rooms: (socket) => roomsOf(socket),
      join: (socket, room) => {
        void socket.join(room);
      },
      leave: (socket, room) => {
        void socket.leave(room);
      },
      wire: (socket, first) => {
        if (!first) {
          // Authenticated twice (the middleware installed twice): one slot is enough.
          this.#connections.release(socket);
          return;
        }
        if (!useOnlyPacketMiddleware(socket, this.#checkPacket.bind(socket))) this.#warnInternals(socket, 'Socket#fns');
        // 'disconnecting' fires before connection state recovery persists socket.data: the context is not saved.
        socket.on('disconnecting', this.#onDisconnecting);
      },
      onContext: (socket, context) => {
        (socket.data as SockAuthSocketData).auth = context;
      },
      onRelease: (socket, context) => {
        if (context !== undefined) this.#recovery.rememberIdentity(socket, context);
        this.#connections.settled(socket);
        this.#connections.release(socket);
        const data = socket.data as SockAuthSocketData | undefined;
        if (data !== undefined) delete data.auth;
      },
    };
  }

  /** Number of live authenticated sockets on this node. */
  get size(): number {
    return this.#sessions.size;
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
      if (this.#attached.has(nsp)) return;
      if (matchesAnyNamespace(this.#skip, nsp.name)) return this.#watchAnonymous(nsp);
      this.#attached.add(nsp);
      if (first) prependMiddleware(nsp, this.middleware);
      else nsp.use(this.middleware);
      onSocketRemoved(nsp, this.#onForgotten);
      this.#watchConnections(nsp);
      this.#recovery.guard(nsp);
      this.#guardRooms(nsp);
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
    return this.#sessions.contextOf(socket);
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
    const guarded = guardHandler(this.#sessions as AuthSessions<Socket, unknown[]>, requirement, handler);
    this.#guards++;
    return guarded;
  }

  /**
   * Joins `room` through the room policy (option `rooms`) and the live `authorize` hook (action `auth:room-join`,
   * args `[{ room }]`), with the socket's context in force. Resolves once the socket is in the room; rejects with
   * the `AuthError` (`AUTH_FORBIDDEN`: ack it to the client, the socket stays connected). After every change of
   * the socket's context, the rooms it may no longer be in are left and the client is sent `auth:room-left`.
   *
   * @example
   * ```ts
   * socket.on('chat:join', async ({ room }, ack) => {
   *   try { await auth.join(socket, room); ack({ ok: true }); }
   *   catch (error) { ack({ error: (error as AuthError).toJSON() }); }
   * });
   * ```
   */
  join(socket: Socket, room: string): Promise<void> {
    // Not a socket this controller authenticated (or no longer): the session refuses it (AUTH_MISSING).
    if (!this.#sessions.has(socket)) return this.#sessions.join(socket, room);
    if (this.#sessions.roomPolicy !== undefined) {
      this.#guardRooms(socket.nsp);
      if (typeof room === 'string' && room !== socket.id && isSocketIdRoom(socket.nsp, room)) {
        const error = new AuthForbiddenError("another socket's own room", { cause: { name: 'SocketIdRoom' } });
        this.#sessions.reportFailure(error, 'join', socket, undefined, room);
        return Promise.reject(error);
      }
    }
    return this.#sessions.join(socket, room);
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
    return this.#sessions.revoke(target);
  }

  /**
   * Re-evaluates the live sockets of a subject, session or token after a policy change, or of a list of them in one
   * call (every subject of a tenant; one store request across nodes): `mapClaims` runs again on the claims in
   * force, so a live restriction behind it takes effect now; rooms the new context may not be in are left at once
   * (`auth:room-left` follows, in chunks that yield to the event loop); a socket `mapClaims` now refuses is cut
   * with its error. Resolves with the number of sockets re-evaluated, once every `auth:room-left` was written.
   *
   * @example
   * ```ts
   * restrictions.set('alice', ['chat:read']);
   * const { affected } = await auth.reevaluate({ subject: 'alice' });
   * // every socket of tenant T, in one call:
   * await auth.reevaluate(subjectsOfTenant('T').map((subject) => ({ subject })));
   * ```
   */
  reevaluate(target: ReevaluationTargets): Promise<{ affected: number }> {
    return this.#sessions.reevaluate(target);
  }

  /** Stops listening to the revocation store and releases every socket's timers. Sockets stay connected. */
  close(): void {
    this.#sessions.close();
  }

  /**
   * Reports a refusal decided outside this controller (e.g. by a framework guard such as `@sockauth/nestjs`'s
   * `WsAuthGuard`) to the `onAuthFailure` hook and the logger, exactly like the refusals decided here: for
   * framework integrations whose own pipeline decides some events (a guard), so that every refusal is counted once
   * and in one place.
   *
   * @example
   * ```ts
   * auth.reportEventFailure(socket, new AuthForbiddenError(), 'doc:delete');
   * ```
   */
  reportEventFailure(socket: Socket, error: AuthError, event: string): void {
    this.#sessions.reportFailure(error, 'event', socket, event);
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
    const sessions = this.#sessions;
    let token: string;
    let slot = false;
    try {
      // Nothing was decided about the credentials: the client should retry (e.g. on another node), not log in.
      if (sessions.closed) throw new AuthUnavailableError('authentication is shut down');
      // Extracted (and redacted) first, so even a refused handshake no longer carries the token.
      token = extractToken(socket.handshake as unknown as HandshakeLike, this.#extraction, socket.request as EngineRequestLike);
      // An adapter the application set after attach (`io.adapter(...)` replaces them) is guarded before any join.
      this.#guardRooms(socket.nsp);
      // Before any verification work: a flood of CONNECT packets on one connection is refused cheaply.
      if (!(slot = this.#connections.acquire(socket))) {
        throw new AuthUnavailableError('too many sockets on this connection', { cause: { name: 'RateLimited' } });
      }
    } catch (error) {
      if (slot) this.#connections.release(socket);
      const authError = isAuthError(error) ? error : mapVerificationError(error);
      sessions.reportFailure(authError, stage, socket);
      throw authError;
    }
    try {
      // Recovered sockets are checked whether the middleware runs for them (`skipMiddlewares: false`) or not.
      await sessions.authenticate(socket, token, stage, (context) => this.#recovery.assertSameIdentity(socket, context));
    } catch (error) {
      this.#connections.release(socket);
      throw error;
    }
    if (stage === 'recovery') this.#dropRestoredRooms(socket);
    // Started by the namespace's 'connection' event (see #onConnection) unless already connected (recovery).
    if (socket.connected) sessions.start(socket);
    else this.#watchConnections(socket.nsp);
  }

  /** Reports the sockets of `nsp`, a namespace left open, to `onAnonymous` (connected, then disconnected), if it is set. */
  #watchAnonymous(nsp: Namespace): void {
    const sessions = this.#sessions;
    if (!sessions.watchesAnonymous || this.#anonymous.has(nsp)) return;
    this.#anonymous.add(nsp);
    nsp.on('connection', (socket: Socket) => {
      const where = { socketId: socket.id, namespace: nsp.name };
      sessions.reportAnonymous(where, 'connected');
      socket.once('disconnect', () => sessions.reportAnonymous(where, 'disconnected'));
    });
  }

  /**
   * With room policies (option `rooms`), every join into `nsp`'s rooms goes through them, not only
   * {@link join}: a plain `socket.join(room)` (or a server-side `socketsJoin`) that the static policy does not
   * admit for the socket's context in force is left out and reported (`onAuthFailure`, stage `join`), and no socket
   * may join another socket's own-id room. Without room policies, joins are the application's business.
   */
  #guardRooms(nsp: Namespace | undefined): void {
    const policy = this.#sessions.roomPolicy;
    if (policy === undefined || nsp === undefined || isRoomGuarded(nsp)) return;
    const sessions = this.#sessions;
    guardRoomJoins(
      nsp,
      (socket, room) => {
        // Restored by connection state recovery before the socket is verified: re-checked once it is.
        if (socket === undefined) return true;
        if (isSocketIdRoom(nsp, room)) return false;
        const context = sessions.contextOf(socket);
        return context !== undefined && policy.allows(context, room);
      },
      (socket, room) => {
        if (socket === undefined) return;
        const error = new AuthForbiddenError('socket.join refused: the room policy does not admit this room for the context in force', {
          cause: { name: 'RoomNotAdmitted' },
        });
        sessions.reportFailure(error, 'join', socket, undefined, room);
      },
    );
  }

  /** A recovered socket keeps only the restored rooms its verified context may be in. */
  #dropRestoredRooms(socket: Socket): void {
    const policy = this.#sessions.roomPolicy;
    const context = this.#sessions.contextOf(socket);
    if (policy === undefined) return;
    for (const room of roomsOf(socket)) {
      if (context !== undefined && !isSocketIdRoom(socket.nsp, room) && policy.allows(context, room)) continue;
      void socket.leave(room);
      this.#sessions.reportFailure(new AuthForbiddenError('restored room not admitted', { cause: { name: 'RoomNotAdmitted' } }), 'join', socket, undefined, room);
    }
  }

  /** Says once per controller that an optimisation's private member was not the expected one (its fallback is safe). */
  #warnInternals(socket: Socket, member: string): void {
    if (this.#warnedInternals) return;
    this.#warnedInternals = true;
    this.#sessions.log(
      'warn',
      { sockauth: 'internals-unsupported', socketId: socket.id, namespace: socket.nsp?.name ?? '/', member },
      `sockauth: socket.io's ${member} is not the expected one: sockets take the ordinary path (safe, more memory per connection)`,
    );
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

  /** The socket is gone (or will never connect): the session releases it (and tells `onRelease` above). */
  #release(socket: Socket): void {
    if (this.#sessions.has(socket)) return this.#sessions.release(socket, 'disconnect');
    // Already released (a cut releases before Socket.IO's 'disconnecting' comes back here), or never wired.
    const data = socket.data as SockAuthSocketData | undefined;
    if (data?.auth !== undefined) delete data.auth;
  }
}

/**
 * The rooms `socket` is in, except the room of its own id (Socket.IO puts every socket in it), as a new array: a
 * snapshot the caller may leave rooms while reading, and cheaper than a generator on a whole tenant's eviction.
 */
function roomsOf(socket: Socket): string[] {
  const rooms: string[] = [];
  for (const room of socket.rooms) if (room !== socket.id) rooms.push(room);
  return rooms;
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
