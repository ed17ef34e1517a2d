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
  type AuthContext,
  type AuthError,
  type ConnectionAuthEvents,
  type ConnectionAuthOptions,
  type PermissionRequirement,
  type RevocationStore,
  type RevocationTarget,
  type Verifier,
} from '@sockauth/core';
import type { Namespace, Server, Socket } from 'socket.io';
import { ConnectionRecovery } from './connection-recovery.js';
import { cutSocket } from './cut.js';
import { EventCheck } from './event-check.js';
import { EventPolicy } from './event-policy.js';
import { EventRateLimiter } from './event-rate-limit.js';
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
import { extractToken, resolveExtraction, type HandshakeLike, type TokenExtraction } from './token-extraction.js';

/** A Socket.IO middleware `(socket, next) => void`. */
export type SocketMiddleware = (socket: Socket, next: (err?: Error) => void) => void;

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
  readonly #hooks: SockAuthHooks;
  readonly #reporter: Reporter;
  /** Per-event checks: rate limit, re-auth, event map, guards, `authorize`, `eventGate`. */
  readonly #events: EventCheck;
  readonly #revocations: RevocationCuts;
  readonly #skip: readonly (string | RegExp)[];
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

  constructor(options: SockAuthOptions) {
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
    this.#skip = validateSkipNamespaces(options.skipNamespaces);
    const states = this.#states;
    const registry = this.#registry;
    const reporter = (this.#reporter = new Reporter(hooks, logger, this.#extraction.queryParam, states));
    const disconnect = (socket: Socket, error: AuthError): void => this.#disconnect(socket, error);
    const reauth = new Reauth({ states, registry, reporter, hooks, onContextChange: options.onContextChange });
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
    this.#revocations = new RevocationCuts({
      store: this.revocationStore,
      verifier: this.verifier,
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
    const seenRevocations = this.#revocations.verificationStarted();
    try {
      // Nothing was decided about the credentials: the client should retry (e.g. on another node), not log in.
      if (this.#closed) throw new AuthUnavailableError('authentication is shut down');
      const token = extractToken(socket.handshake as unknown as HandshakeLike, this.#extraction);
      // Timed only when someone listens: no clock reads otherwise.
      const onVerify = this.#hooks.onVerify;
      const startedAt = onVerify === undefined ? 0 : performance.now();
      const verifying = ConnectionAuth.authenticate(token, this.#connection, this.#lifecycle, socket);
      const auth = onVerify === undefined ? await verifying : await this.#reporter.timed(verifying, stage, startedAt);
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
      if (this.#revocations.revokedSince(seenRevocations, context)) {
        auth.close();
        throw new AuthRevokedError();
      }
      this.#wire(socket, auth, stage);
    } catch (error) {
      const authError = isAuthError(error) ? error : mapVerificationError(error);
      this.#reporter.failure(authError, stage, socket);
      throw authError;
    } finally {
      this.#revocations.verificationEnded();
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

  #skipped(name: string): boolean {
    return this.#skip.some((rule) => (typeof rule === 'string' ? rule === name : rule.test(name)));
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

/**
 * `skipNamespaces`: an array of names and patterns. A lone string (`'/admin'`) is refused, not read as a list of
 * one-letter names; a name must start with `/`, as Socket.IO's do, or it would never match and skip nothing.
 */
function validateSkipNamespaces(skip: SockAuthOptions['skipNamespaces']): readonly (string | RegExp)[] {
  if (skip === undefined) return [];
  if (!Array.isArray(skip)) throw new TypeError('sockauth: "skipNamespaces" must be an array of names and RegExps');
  for (const rule of skip) {
    if (rule instanceof RegExp) continue;
    if (typeof rule !== 'string' || !rule.startsWith('/')) {
      throw new TypeError(`sockauth: "skipNamespaces" entries must be RegExps or names starting with "/" (got ${JSON.stringify(rule)})`);
    }
  }
  return Object.freeze([...skip]);
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
