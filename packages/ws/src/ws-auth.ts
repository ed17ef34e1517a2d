import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  AuthExpiredError,
  AuthForbiddenError,
  AuthMissingError,
  AuthRevokedError,
  AuthSessions,
  AuthUnavailableError,
  REFRESH_EVENT,
  adapterSessionOptions,
  badRequest,
  deniedAck,
  encodeAck,
  encodeFrame,
  isAuthError,
  mapVerificationError,
  type AuthContext,
  type AuthError,
  type EventGate,
  type JWTPayload,
  type OnContextChange,
  type ReleaseReason,
  type RevocationStore,
  type ReevaluationTargets,
  type RevocationTarget,
  type SessionOptions,
  type SessionTransport,
  type Verifier,
} from '@sockauth/core';
import type { RawData, WebSocket, WebSocketServer } from 'ws';
import { decodeWsFrame } from './frames.js';
import {
  WS_AUTH_OPTION_KEYS,
  resolveWsOptions,
  type WsAuthOptions,
  type WsCheckResult,
  type WsConnectionHandler,
  type WsMessageHandler,
  type WsServerOptions,
} from './options.js';
import { Heartbeat } from './heartbeat.js';
import { RoomIndex } from './room-index.js';
import { protocolSelector } from './subprotocol.js';
import { extractUpgradeToken, resolveUpgradeTokens, type UpgradeTokenExtraction } from './upgrade-token.js';
import { WsConnection } from './ws-connection.js';
import { closeWith, sendText, wsTransport, type WsMessage } from './ws-transport.js';
import { keptServerOptions } from './ws-internals.js';

/** Why a connection released before it was admitted is refused, by release reason. */
const REFUSALS: Readonly<Record<ReleaseReason, () => AuthError>> = {
  revoked: () => new AuthRevokedError(),
  expired: () => new AuthExpiredError(),
  forbidden: () => new AuthForbiddenError(),
  'rate-limited': () => new AuthUnavailableError(),
  closed: () => new AuthUnavailableError('authentication is shut down'),
  disconnect: () => new AuthUnavailableError(),
};

/**
 * The recipients of a room, from {@link WsAuth.to}.
 *
 * @example
 * ```ts
 * wsAuth.to('lobby').send('chat:message', { text: 'hi' });
 * ```
 */
export interface WsRoom {
  /** Sends `{ type, data }` to every open connection in the room (encoded once); resolves nothing, never throws. */
  send(type: string, data: unknown): void;
  /** How many connections are in the room. */
  readonly size: number;
}

/**
 * JWT authentication for `ws` servers over the whole life of each connection. Create it with
 * {@link createWsAuth}; `TClaims` is the claims type of its contexts, inferred from your `mapClaims`.
 *
 * @example
 * ```ts
 * const wsAuth = createWsAuth({ verifier, events: { whoami: null } });
 * const wss = new WebSocketServer({ server, path: '/ws', ...wsAuth.serverOptions });
 * wsAuth.attach(wss);
 * wsAuth.on('whoami', (_data, { context }) => ({ subject: context.subject }));
 * ```
 */
export class WsAuth<TClaims extends JWTPayload = JWTPayload> {
  /**
   * What to spread into `new WebSocketServer({ ... })`: `verifyClient` (the token is verified during the upgrade,
   * before the 101 response; a refused one still completes the upgrade, to be closed with its code),
   * `handleProtocols` (`sockauth` selected, the token never echoed) and `maxPayload`.
   */
  readonly serverOptions: WsServerOptions;
  /** The verifier in use. */
  readonly verifier: Verifier;
  /** The revocation store in use. */
  readonly revocationStore: RevocationStore;

  readonly #sessions: AuthSessions<WsConnection, WsMessage, TClaims>;
  readonly #extraction: UpgradeTokenExtraction;
  readonly #envelope: boolean;
  readonly #maxPayload: number;
  readonly #rooms = new RoomIndex<WsConnection>();
  /** Pings the open connections, terminating half-open ones (`undefined`: heartbeat off). */
  readonly #heartbeat: Heartbeat<WsConnection> | undefined;
  readonly #handlers = new Map<string, WsMessageHandler<never, TClaims>>();
  readonly #connectionHandlers = new Set<WsConnectionHandler<TClaims>>();
  /**
   * What the verification of each upgrade decided, until `ws` hands its socket over: the connection, or the
   * `AuthError` refusing it. Keyed by the request's TCP socket (one upgrade per socket), so the shared
   * {@link #onSocketGone} finds the connection from the socket it is called on.
   */
  readonly #upgrades = new WeakMap<object, WsConnection | AuthError>();
  /** Every socket seen, admitted (its connection) or refused (`null`): admitting is idempotent. */
  readonly #sockets = new WeakMap<WebSocket, WsConnection | null>();
  /** Admitted connections not yet closed, for `close()` and the heartbeat. */
  readonly #open = new Set<WsConnection>();
  /**
   * Why the session released a connection (read when one released before admission is refused): kept beside the
   * connection rather than in a field of each, since a live one never needs it.
   */
  readonly #released = new WeakMap<WsConnection, ReleaseReason>();
  readonly #attached = new WeakSet<WebSocketServer>();
  readonly #onConnectionEvent = (ws: WebSocket, req: IncomingMessage): void => {
    this.#admit(ws, req);
  };
  /**
   * One 'close' and one 'message' listener function for every admitted socket (`ws` calls them with the socket as
   * `this`): per-socket closures would cost a function object and a context each, per connection, and `once` a
   * wrapper, a bound function and a state object more. `ws` emits 'close' once; releasing is idempotent.
   */
  readonly #onSocketClose = ((self: WsAuth<TClaims>) =>
    function (this: WebSocket): void {
      const connection = self.#sockets.get(this);
      if (connection === undefined || connection === null || !self.#open.delete(connection)) return;
      self.#rooms.leaveAll(connection);
      self.#sessions.release(connection, 'disconnect');
    })(this);
  readonly #onSocketFrame = ((self: WsAuth<TClaims>) =>
    function (this: WebSocket, data: RawData, isBinary: boolean): void {
      const connection = self.#sockets.get(this);
      if (connection !== undefined && connection !== null) self.#onFrame(connection, data, isBinary);
    })(this);
  /**
   * The TCP socket's 'close' while `ws` has not handed the socket over yet (a client that leaves then is never
   * handed over): releases the connection. One function for every upgrade (`this` is the TCP socket), instead of a
   * closure and a `once` wrapper per upgrade; removed at admission.
   */
  readonly #onSocketGone = ((self: WsAuth<TClaims>) =>
    function (this: object): void {
      const verified = self.#upgrades.get(this);
      if (verified instanceof WsConnection && verified.ws === undefined) self.#sessions.release(verified, 'disconnect');
    })(this);
  #closed = false;
  /** Anonymous connections reported so far: their ids (`ws-anon-…`) in `onAnonymous`. */
  #anonymousCount = 0;

  constructor(typedOptions: WsAuthOptions<TClaims>) {
    // TClaims only types what the application's hooks see; inside, claims are handled as plain JWTPayload.
    const options = typedOptions as unknown as WsAuthOptions;
    const base = adapterSessionOptions<WsConnection>('createWsAuth options', options, WS_AUTH_OPTION_KEYS);
    this.verifier = base.verifier;
    this.revocationStore = base.revocationStore;
    this.#extraction = resolveUpgradeTokens(options);
    const { maxPayload, envelope, heartbeatMs } = resolveWsOptions(options);
    this.#maxPayload = maxPayload;
    this.#envelope = envelope;
    this.#heartbeat = heartbeatMs === undefined ? undefined : new Heartbeat(heartbeatMs, this.#open);
    const { eventGate, onContextChange, handleProtocols } = options;
    // The application's hooks take the WebSocket, the session's the connection that holds it.
    const session: SessionOptions<WsConnection> = {
      ...base,
      ...(eventGate !== undefined && { eventGate: onSocket(eventGate, 'eventGate') as EventGate<WsConnection> }),
      ...(onContextChange !== undefined && { onContextChange: onSocket(onContextChange, 'onContextChange') as OnContextChange<WsConnection> }),
    };
    this.#sessions = new AuthSessions<WsConnection, WsMessage, TClaims>(
      session as SessionOptions<WsConnection, TClaims>,
      this.#transport(),
      'createWsAuth options',
    );
    this.serverOptions = Object.freeze({
      verifyClient: (info: { req: IncomingMessage }, done: (verified: boolean) => void): void => {
        void this.#verify(info.req, done);
      },
      handleProtocols: protocolSelector(handleProtocols),
      maxPayload,
    });
  }

  /**
   * Wires `wss`, which must have been created with {@link serverOptions} (else a `TypeError` says which is missing:
   * without them tokens would not be verified during the upgrade, the token subprotocol could be echoed, or frames
   * could be larger than `maxPayload`), and an `UnsupportedWsInternalsError` when the `ws` in use keeps no options on
   * its servers (sockauth could not check them). Every upgrade it accepts is admitted by sockauth before the application's
   * own `'connection'` listeners run; a refused one is closed with its code at once (its `contextOf` is
   * `undefined`; use {@link onConnection} to run code for authenticated connections only). Idempotent.
   *
   * @example
   * ```ts
   * const wss = new WebSocketServer({ server, path: '/ws', ...wsAuth.serverOptions });
   * wsAuth.attach(wss);
   * ```
   */
  attach(wss: WebSocketServer): this {
    this.#assertConfigured(wss, 'attach(wss)');
    if (this.#attached.has(wss)) return this;
    this.#attached.add(wss);
    wss.prependListener('connection', this.#onConnectionEvent);
    return this;
  }

  /**
   * `wss.handleUpgrade` for `noServer` servers (several servers on one HTTP server, routed by path): `callback`
   * runs only for an authenticated connection; a refused one is closed with its code and never reaches it.
   *
   * @example
   * ```ts
   * const chat = new WebSocketServer({ noServer: true, ...wsAuth.serverOptions });
   * server.on('upgrade', (req, socket, head) => {
   *   if (new URL(req.url!, 'http://x').pathname !== '/chat') return socket.destroy();
   *   wsAuth.handleUpgrade(chat, req, socket, head, (ws) => chat.emit('connection', ws, req));
   * });
   * ```
   */
  handleUpgrade(
    wss: WebSocketServer,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback: (ws: WebSocket, req: IncomingMessage) => void,
  ): void {
    this.#assertConfigured(wss, 'handleUpgrade(wss, …)');
    wss.handleUpgrade(req, socket, head, (ws, request) => {
      if (this.#admit(ws, request)) callback(ws, request);
    });
  }

  /**
   * Handles messages of `type` (envelope mode): `handler(data, { ws, context, type, id })` runs only for a message
   * that passed every check (event map, `authorize`, `eventGate`, rate limit) with the context in force; what it
   * returns is the ack. One handler per type (a second one replaces the first). Returns a function removing it.
   *
   * @example
   * ```ts
   * wsAuth.on('chat:send', ({ room, text }: { room: string; text: string }, { context }) => {
   *   wsAuth.to(room).send('chat:message', { room, text, from: context.subject });
   *   return { ok: true };
   * });
   * ```
   */
  on<TData = unknown>(type: string, handler: WsMessageHandler<TData, TClaims>): () => void {
    if (!this.#envelope) throw new TypeError('sockauth: on(type, handler) needs the envelope (createWsAuth options.envelope is false: use check())');
    if (typeof type !== 'string' || type.length === 0) throw new TypeError('sockauth: on(type, handler) needs a non-empty type');
    if (typeof handler !== 'function') throw new TypeError('sockauth: on(type, handler) needs a function');
    if (type === REFRESH_EVENT) throw new TypeError(`sockauth: "${REFRESH_EVENT}" is handled by sockauth (in-band re-auth), not by on()`);
    const stored = handler as WsMessageHandler<never, TClaims>;
    this.#handlers.set(type, stored);
    return () => {
      if (this.#handlers.get(type) === stored) this.#handlers.delete(type);
    };
  }

  /**
   * Runs `handler(ws, context, req)` for every authenticated connection once it is live. Returns a function
   * removing it.
   *
   * @example
   * ```ts
   * wsAuth.onConnection((ws, context) => presence.add(context.subject, ws));
   * ```
   */
  onConnection(handler: WsConnectionHandler<TClaims>): () => void {
    if (typeof handler !== 'function') throw new TypeError('sockauth: onConnection(handler) needs a function');
    this.#connectionHandlers.add(handler);
    return () => void this.#connectionHandlers.delete(handler);
  }

  /**
   * For applications with their own protocol (`envelope: false`): checks one inbound message of type `type` with
   * `data` (what `authorize` and the event gate see as `[data]`) against the context in force. `{ ok: true,
   * context }`: handle it. `{ ok: false, reply }`: do not; send `reply` in your protocol (the denied ack
   * `{ error }`, or, for `auth:refresh` with `{ token }`, the re-auth's ack, sockauth having handled it). Messages of
   * one connection are decided in the order they were checked.
   *
   * @example
   * ```ts
   * ws.on('message', async (raw) => {
   *   const [type, data] = myDecode(raw);
   *   const verdict = await wsAuth.check(ws, type, data);
   *   if (verdict.ok) route(ws, type, data, verdict.context);
   *   else ws.send(myEncode('reply', verdict.reply));
   * });
   * ```
   */
  check(ws: WebSocket, type: string, data?: unknown): Promise<WsCheckResult<TClaims>> {
    const connection = this.#sockets.get(ws);
    if (connection === undefined || connection === null || !this.#sessions.has(connection)) {
      return Promise.resolve({ ok: false, reply: deniedAck(new AuthMissingError()) });
    }
    return new Promise((resolve) => {
      const message: WsMessage = { type, id: undefined, data, respond: (reply) => resolve({ ok: false, reply }) };
      this.#sessions.check(connection, message, type, () => {
        const context = this.#sessions.contextOf(connection);
        resolve(context === undefined ? { ok: false, reply: deniedAck(new AuthMissingError()) } : { ok: true, context });
      });
    });
  }

  /**
   * Pushes `{ type, data }` to `ws` if it is authenticated and open. Returns whether it was sent.
   *
   * @example
   * ```ts
   * wsAuth.send(ws, 'notice', { text: 'maintenance at 18:00' });
   * ```
   */
  send(ws: WebSocket, type: string, data: unknown): boolean {
    const connection = this.#sockets.get(ws);
    if (connection === undefined || connection === null || this.#sessions.contextOf(connection) === undefined) return false;
    return sendText(ws, encodeFrame(type, data));
  }

  /**
   * Joins `room` if the room policy (`rooms`) and `authorize` (action `auth:room-join`) allow it for the context in
   * force; rejects with the `AuthError` otherwise (`AUTH_FORBIDDEN`; reported like every refusal). Throw it from a
   * handler and the message is acked `{ error }`.
   *
   * @example
   * ```ts
   * wsAuth.on('chat:join', async ({ room }: { room: string }, { ws }) => {
   *   await wsAuth.join(ws, room);
   *   return { ok: true };
   * });
   * ```
   */
  join(ws: WebSocket, room: string): Promise<void> {
    const connection = this.#sockets.get(ws);
    if (connection === undefined || connection === null) return Promise.reject(new AuthMissingError());
    return this.#sessions.join(connection, room);
  }

  /**
   * Leaves `room`: once it returns, nothing sent to the room reaches `ws`.
   *
   * @example
   * ```ts
   * wsAuth.leave(ws, 'lobby');
   * ```
   */
  leave(ws: WebSocket, room: string): void {
    const connection = this.#sockets.get(ws);
    if (connection !== undefined && connection !== null) this.#rooms.leave(connection, room);
  }

  /**
   * The rooms `ws` is in.
   *
   * @example
   * ```ts
   * wsAuth.roomsOf(ws); // ['lobby']
   * ```
   */
  roomsOf(ws: WebSocket): string[] {
    const connection = this.#sockets.get(ws);
    return connection === undefined || connection === null ? [] : this.#rooms.roomsOf(connection);
  }

  /**
   * The connections in `room`, to send them a message.
   *
   * @example
   * ```ts
   * wsAuth.to('lobby').send('chat:message', { room: 'lobby', text: 'hi', from: 'alice' });
   * ```
   */
  to(room: string): WsRoom {
    const rooms = this.#rooms;
    return {
      send(type: string, data: unknown): void {
        const members = rooms.membersOf(room);
        if (members.size === 0) return;
        const text = encodeFrame(type, data);
        for (const member of [...members]) sendText(member.ws, text);
      },
      get size(): number {
        return rooms.membersOf(room).size;
      },
    };
  }

  /**
   * The context in force for `ws` now, or `undefined` (refused, expired, revoked, closed). Never throws.
   *
   * @example
   * ```ts
   * wsAuth.contextOf(ws)?.permissions.has('chat:admin');
   * ```
   */
  contextOf(ws: WebSocket): AuthContext<TClaims> | undefined {
    const connection = this.#sockets.get(ws);
    return connection === undefined || connection === null ? undefined : this.#sessions.contextOf(connection);
  }

  /**
   * Reports a refusal decided outside this adapter (a framework guard, e.g. `@sockauth/nestjs`'s `WsAuthGuard` on
   * `@nestjs/platform-ws`) to the `onAuthFailure` hook and the logger, exactly like the refusals decided here. A
   * socket this adapter did not authenticate is ignored.
   *
   * @example
   * ```ts
   * wsAuth.reportEventFailure(ws, new AuthForbiddenError(), 'doc:delete');
   * ```
   */
  reportEventFailure(ws: WebSocket, error: AuthError, event: string): void {
    const connection = this.#sockets.get(ws);
    if (connection === undefined || connection === null) return;
    this.#sessions.reportFailure(error, 'event', connection, event);
  }

  /**
   * Reports `ws`, a connection its framework admitted without authentication on purpose (a Nest `@Public()`
   * gateway's path, served by a server this adapter is not attached to), to the `onAnonymous` hook: `connected`
   * now, `disconnected` when it closes. Nothing else is tracked; no-op without the hook.
   *
   * @example
   * ```ts
   * publicServer.on('connection', (ws) => wsAuth.reportAnonymous(ws, '/status'));
   * ```
   */
  reportAnonymous(ws: WebSocket, path: string): void {
    const sessions = this.#sessions;
    if (!sessions.watchesAnonymous) return;
    const where = { socketId: `ws-anon-${(this.#anonymousCount = (this.#anonymousCount + 1) % Number.MAX_SAFE_INTEGER).toString(36)}`, namespace: path };
    sessions.reportAnonymous(where, 'connected');
    ws.once('close', () => sessions.reportAnonymous(where, 'disconnected'));
  }

  /** Number of authenticated connections on this node. */
  get size(): number {
    return this.#sessions.size;
  }

  /**
   * Revokes a subject, session or token: matching connections get `auth:error` (`AUTH_REVOKED`) and are closed
   * with 4102; later upgrades and re-auths with a matching token are refused. Resolves with the number cut on this
   * node (every node sharing the store cuts its own).
   *
   * @example
   * ```ts
   * await wsAuth.revoke({ subject: 'alice' }); // { disconnected: 2 }
   * ```
   */
  revoke(target: RevocationTarget): Promise<{ disconnected: number }> {
    return this.#sessions.revoke(target);
  }

  /**
   * Re-evaluates the live connections of a subject, session or token after a policy change, or of a list of them
   * in one call (`mapClaims` runs again on the claims in force, then their rooms are re-checked and left at once:
   * `auth:room-left` for each one left, written in chunks that yield to the event loop). Resolves with the number
   * re-evaluated (on every node sharing a store that supports it).
   *
   * @example
   * ```ts
   * restrictions.set('alice', ['chat:read']);
   * await wsAuth.reevaluate({ subject: 'alice' }); // { affected: 1 }
   * await wsAuth.reevaluate([{ subject: 'alice' }, { subject: 'bob' }]);
   * ```
   */
  reevaluate(target: ReevaluationTargets): Promise<{ affected: number }> {
    return this.#sessions.reevaluate(target);
  }

  /**
   * Shuts authentication down: later upgrades are refused (`AUTH_UNAVAILABLE`, 4301), open connections are closed
   * with 4301 (nothing would check their messages any more), timers and store subscriptions stop. The servers
   * themselves are yours to close (sockauth stays attached to them, refusing every upgrade). Idempotent.
   *
   * @example
   * ```ts
   * wsAuth.close();
   * wss.close();
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#heartbeat?.stop();
    this.#sessions.close();
    const error = new AuthUnavailableError('authentication is shut down');
    for (const connection of [...this.#open]) {
      this.#rooms.leaveAll(connection);
      if (connection.ws !== undefined) closeWith(connection.ws, error);
    }
  }

  // --- upgrade ----------------------------------------------------------------------------------------------

  #assertConfigured(wss: WebSocketServer, where: string): void {
    const options = keptServerOptions(wss, where);
    const missing =
      options.verifyClient !== this.serverOptions.verifyClient
        ? 'verifyClient'
        : options.handleProtocols !== this.serverOptions.handleProtocols
          ? 'handleProtocols'
          : !(typeof options.maxPayload === 'number' && options.maxPayload <= this.#maxPayload)
            ? 'maxPayload'
            : undefined;
    if (missing !== undefined) {
      throw new TypeError(
        `sockauth: ${where} needs a WebSocketServer created with ...wsAuth.serverOptions (its "${missing}" is not sockauth's)`,
      );
    }
  }

  /**
   * Verifies the upgrade's token (the request is redacted whatever happens), keeps the outcome for `#admit`, and
   * completes the upgrade with `done(true)` either way: a refused upgrade is closed with its code once ws hands the
   * socket over, and one with no verification on record (an internal failure here) is refused AUTH_UNAVAILABLE there.
   */
  async #verify(req: IncomingMessage, done: (verified: boolean) => void): Promise<void> {
    try {
      const connection = new WsConnection(req);
      const socket = req.socket;
      let verified: WsConnection | AuthError = connection;
      try {
        if (this.#closed) throw new AuthUnavailableError('authentication is shut down');
        let token: string;
        try {
          token = extractUpgradeToken(req, this.#extraction);
        } catch (refusal) {
          const authError = isAuthError(refusal) ? refusal : mapVerificationError(refusal);
          this.#sessions.reportFailure(authError, 'handshake', connection);
          throw authError;
        }
        await this.#sessions.authenticate(connection, token, 'handshake');
        // The client may leave before `ws` hands the socket over (then it never does): release it then.
        if (socket.destroyed) this.#sessions.release(connection, 'disconnect');
        else socket.on('close', this.#onSocketGone);
      } catch (refusal) {
        // authenticate() reported its own refusals; the ones above were reported before they were thrown.
        verified = isAuthError(refusal) ? refusal : mapVerificationError(refusal);
      }
      // Every refusal of this upgrade was reported above (with its URL): the connection need not keep the request.
      connection.forgetRequest();
      this.#upgrades.set(socket, verified);
    } finally {
      done(true);
    }
  }

  /**
   * `ws` created the socket of an upgrade: a refused one is closed at once with its code (no listener of sockauth's
   * is installed on it, so nothing of it is ever handled); an accepted one becomes live. True when admitted.
   */
  #admit(ws: WebSocket, req: IncomingMessage): boolean {
    const seen = this.#sockets.get(ws);
    if (seen !== undefined) return seen !== null && this.#sessions.has(seen);
    // ws emits 'error' before it closes a connection for a protocol violation (a frame over maxPayload: 1009,
    // invalid UTF-8: 1007); with no listener that would crash the process. ws closes the connection itself.
    ws.on('error', ignoreError);
    const socket = req.socket;
    const verified = this.#upgrades.get(socket);
    this.#upgrades.delete(socket);
    if (!(verified instanceof WsConnection)) {
      this.#sockets.set(ws, null);
      // No verification on record: an upgrade that bypassed serverOptions.verifyClient. Refused, never let through.
      closeWith(ws, verified ?? new AuthUnavailableError('upgrade not verified'));
      return false;
    }
    // From now on the socket's own 'close' releases the connection: the TCP socket's listener would only hold it.
    socket.removeListener('close', this.#onSocketGone);
    const connection = verified;
    this.#sockets.set(ws, connection);
    // Shut down while this upgrade was being verified: nothing would check its messages.
    if (this.#closed) this.#sessions.release(connection, 'closed');
    // Admitted from here on (a release before this line kept its reason for the refusal below).
    connection.ws = ws;
    this.#open.add(connection);
    ws.on('close', this.#onSocketClose);
    if (!this.#sessions.has(connection)) {
      // Released between the verification and now (revoked, shut down): told why, like a refused upgrade.
      closeWith(ws, REFUSALS[this.#released.get(connection) ?? 'disconnect']());
      return false;
    }
    if (this.#envelope) ws.on('message', this.#onSocketFrame);
    this.#heartbeat?.watch();
    const context = this.#sessions.start(connection);
    if (context === undefined) return false;
    for (const handler of this.#connectionHandlers) {
      try {
        handler(ws, context, req);
      } catch (error) {
        this.#sessions.log(
          'error',
          { sockauth: 'handler-error', socketId: connection.id, namespace: connection.path, cause: { name: nameOf(error) } },
          'sockauth: an onConnection handler threw',
        );
      }
    }
    return true;
  }

  // --- messages ---------------------------------------------------------------------------------------------

  #onFrame(connection: WsConnection, data: RawData, isBinary: boolean): void {
    const frame = decodeWsFrame(data, isBinary);
    if (!frame.ok) {
      if (frame.id !== undefined) sendText(connection.ws, encodeAck(frame.id, badRequest(frame.message)));
      return;
    }
    const { type, id, data: payload } = frame.envelope;
    const message: WsMessage = { type, id, data: payload };
    this.#sessions.check(connection, message, type, () => this.#dispatch(connection, message));
  }

  /** Runs the handler of a message that passed every check, and acks what it returns. */
  #dispatch(connection: WsConnection, message: WsMessage): void {
    const handler = this.#handlers.get(message.type);
    const ws = connection.ws;
    if (handler === undefined || ws === undefined) {
      if (message.id !== undefined) sendText(ws, encodeAck(message.id, badRequest('no handler for this type')));
      return;
    }
    const context = this.#sessions.contextOf(connection);
    if (context === undefined) return;
    let result: unknown;
    try {
      result = handler(message.data as never, { ws, context, type: message.type, id: message.id });
    } catch (error) {
      return this.#handlerFailed(connection, message, error);
    }
    if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
      (result as PromiseLike<unknown>).then(
        (value) => this.#ack(connection, message, value),
        (error: unknown) => this.#handlerFailed(connection, message, error),
      );
    } else {
      this.#ack(connection, message, result);
    }
  }

  #ack(connection: WsConnection, message: WsMessage, value: unknown): void {
    if (message.id !== undefined) sendText(connection.ws, encodeAck(message.id, value === undefined ? null : value));
  }

  /** An `AuthError` is the handler's refusal: acked `{ error }`. Anything else stays on the server (logged). */
  #handlerFailed(connection: WsConnection, message: WsMessage, error: unknown): void {
    if (isAuthError(error)) return this.#ack(connection, message, deniedAck(error));
    this.#sessions.log(
      'error',
      { sockauth: 'handler-error', socketId: connection.id, namespace: connection.path, event: message.type.slice(0, 100), cause: { name: nameOf(error) } },
      'sockauth: a message handler threw',
    );
  }

  /** How the session reaches the connections, with the release reason kept for connections not yet admitted. */
  #transport(): SessionTransport<WsConnection, WsMessage> {
    const transport = wsTransport(this.#rooms);
    return {
      ...transport,
      onRelease: (connection, _context, reason) => {
        // Read only for a connection not admitted yet (an admitted one closes with its own code): every close of a
        // live connection passes here, and would add an entry to the map for nothing.
        if (connection.ws === undefined) this.#released.set(connection, reason);
        this.#rooms.leaveAll(connection);
      },
    };
  }
}

/** ws closes the connection after its 'error' (see `#admit`): nothing more to do, and nothing to crash. */
function ignoreError(): void {}

/** The class name of a thrown value (never its message, which may carry anything). */
function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/** Adapts a hook the application wrote for sockets to the session's handle (the connection). */
function onSocket<F extends (handle: WebSocket, ...rest: never[]) => unknown>(hook: F, name: string) {
  if (typeof hook !== 'function') throw new TypeError(`sockauth: createWsAuth options.${name} must be a function`);
  return (connection: WsConnection, ...rest: never[]) => hook(connection.ws as WebSocket, ...rest);
}

/**
 * Creates the authentication of a `ws` server. Options are validated at once (a `TypeError` naming the option
 * for every mistake). See {@link WsAuthOptions}.
 *
 * @example
 * ```ts
 * const wsAuth = createWsAuth({
 *   verifier: { algorithms: ['HS256'], secret: process.env.JWT_SECRET!, issuer: 'my-idp', audience: 'chat' },
 *   events: { whoami: null, 'chat:send': 'chat:write' },
 *   rooms: { '*': 'chat:read' },
 * });
 * ```
 */
export function createWsAuth<TClaims extends JWTPayload = JWTPayload>(options: WsAuthOptions<TClaims>): WsAuth<TClaims> {
  return new WsAuth<TClaims>(options);
}
