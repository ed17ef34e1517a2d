import { isAuthError, authErrorFromPayload, type AuthError } from '@sockauth/core/errors';
import { io, type Socket } from 'socket.io-client';
import { backoffDelay } from './backoff.js';
import { EmitError } from './emit-error.js';
import { idempotencyKey } from './idempotency.js';
import { resolveOptions, type AuthClientOptions, type ResolvedOptions, type TokenResult } from './options.js';
import {
  ERROR_EVENT,
  EXPIRING_EVENT,
  REFRESH_EVENT,
  connectError,
  deniedError,
  parseExpiring,
  parseRefreshAck,
} from './protocol.js';
import { ServerClock, pickRefreshLead } from './schedule.js';
import { readTokenTimes } from './token.js';

/**
 * Where the client stands:
 * - `connecting`: a handshake is under way, or a reconnection is waiting for its backoff delay (`retryAt`).
 * - `authenticated`: connected, the server accepted the token.
 * - `refreshing`: connected, getting a fresh token and re-authenticating in band (`auth:refresh`).
 * - `expired`: the token expired (the server cut or refused it); the client is getting a fresh one before
 *   reconnecting — or, with `autoRefresh: false`, waits for {@link AuthClient.refreshNow}.
 * - `unauthenticated`: the server said `login` (revoked, invalid, missing…): no more reconnects; the app must log
 *   the user in again, then call {@link AuthClient.connect}.
 * - `forbidden`: the server refused the connection itself by policy (`AUTH_FORBIDDEN`, action `none`, at the
 *   handshake or as the reason of a cut: a suspended tenant, a banned user, too many sockets). The identity is
 *   fine, so neither a new login nor a fresh token helps: no more reconnects, no refresh; the app tells the user
 *   and calls {@link AuthClient.connect} once something changed.
 * - `disconnected`: not started (`autoConnect: false`), gave up after `maxAttempts`, or disconnected by the app or
 *   by the server without an auth reason. {@link AuthClient.connect} starts again.
 * - `closed`: {@link AuthClient.close} was called. Final.
 */
export type AuthClientState =
  | 'connecting'
  | 'authenticated'
  | 'refreshing'
  | 'expired'
  | 'unauthenticated'
  | 'forbidden'
  | 'disconnected'
  | 'closed';

/** A snapshot of the client, as {@link AuthClient.subscribe} delivers it. Times are ms since the epoch. */
export interface AuthClientStatus {
  readonly state: AuthClientState;
  /** The socket id while connected. It stays the same across in-band refreshes. */
  readonly socketId: string | undefined;
  /** When the token in force expires (server clock), when known. */
  readonly expiresAt: number | undefined;
  /** The server's context version: 1 after a handshake, +1 per in-band re-auth. */
  readonly version: number | undefined;
  /** Local time of the next scheduled refresh, if one is scheduled. */
  readonly refreshAt: number | undefined;
  /** Failed attempts in the current retry sequence (reset once a connection stays up for 10 s). */
  readonly attempt: number;
  /** Local time of the next reconnection attempt, while waiting for one. */
  readonly retryAt: number | undefined;
  /** Server clock minus local clock, in ms, as measured (see `clockSource`). */
  readonly clockOffsetMs: number;
  /** How the clock offset is known: from `auth:expiring` (`server`), a fresh token's `iat` (`token`), or not. */
  readonly clockSource: 'none' | 'token' | 'server';
  /** The auth error behind the current state: why the socket was cut or refused, or why a refresh failed. */
  readonly error: AuthError | undefined;
  /** Socket.IO's reason for the last disconnection (`io server disconnect`, `transport close`, …). */
  readonly disconnectReason: string | undefined;
}

/** Events of {@link AuthClient.on}. */
export interface AuthClientEvents {
  /** The session is over (action `login`): show the login. Emitted once; the client no longer reconnects. */
  unauthenticated: (error: AuthError) => void;
  /**
   * The server refused this connection by policy (`AUTH_FORBIDDEN`, action `none`): tell the user (suspended
   * tenant, banned, too many sockets). Emitted once; the client no longer reconnects until {@link AuthClient.connect}.
   */
  forbidden: (error: AuthError) => void;
  /** A fresh token was accepted in band: same socket, new expiry, `version` + 1. */
  refreshed: (info: { readonly expiresAt: number; readonly version: number }) => void;
  /** Every auth error the client met and handled: refused handshakes, cuts (`auth:error`), failed refreshes. */
  error: (error: AuthError) => void;
}

/** Socket.IO event maps (the same shape as socket.io-client's). */
export interface EventsMap {
  [event: string]: any;
}
/** The untyped default: any event, any arguments. */
export interface DefaultEventsMap {
  [event: string]: (...args: any[]) => void;
}
type EventNames<M extends EventsMap> = keyof M & string;
type EventParams<M extends EventsMap, E extends EventNames<M>> = M[E] extends (...args: infer P) => any ? P : never;
type AllButLast<T extends unknown[]> = T extends [...infer Head, unknown] ? Head : any[];
type Last<T extends unknown[]> = T extends [...unknown[], infer Tail] ? Tail : any;
type FirstArg<T> = T extends (arg: infer P) => unknown ? P : any;
/** Arguments of `event`, without the ack callback. */
export type EmitArgs<M extends EventsMap, E extends EventNames<M>> = AllButLast<EventParams<M, E>>;
/** What the ack of `event` is called with. */
export type AckResponse<M extends EventsMap, E extends EventNames<M>> = FirstArg<Last<EventParams<M, E>>>;

/** Something that can emit with an ack: the client itself, or {@link AuthClient.idempotent}'s wrapper. */
export interface AckEmitter<EmitEvents extends EventsMap> {
  emitWithAck<E extends EventNames<EmitEvents>>(event: E, ...args: EmitArgs<EmitEvents, E>): Promise<AckResponse<EmitEvents, E>>;
}

/** A token the client knows, with its lifetime as far as it can tell. */
interface TokenInfo {
  readonly token: string;
  readonly expiresAt: number | undefined;
  readonly issuedAtSec: number | undefined;
}

type Listener<K extends keyof AuthClientEvents> = AuthClientEvents[K];
type Timer = ReturnType<typeof setTimeout>;
/** The socket as the client drives it (untyped events). */
type RawSocket = Socket<DefaultEventsMap, DefaultEventsMap>;

/** States after which nothing happens without the app. */
const RESTING: ReadonlySet<AuthClientState> = new Set(['unauthenticated', 'forbidden', 'disconnected', 'closed']);
/** Resting states the server decided: only the app can change the outcome (a new login, a policy change). */
const STOPPED: ReadonlySet<AuthClientState> = new Set(['unauthenticated', 'forbidden', 'closed']);
/** A connection that stays up this long ends the current retry sequence (a flapping server still hits the bound). */
const STABLE_AFTER_MS = 10_000;

function toTokenInfo(value: unknown, source: string): TokenInfo | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') {
    const times = readTokenTimes(value);
    return { token: value, expiresAt: times.expiresAt, issuedAtSec: times.issuedAtSec };
  }
  if (typeof value === 'object' && typeof (value as { token?: unknown }).token === 'string') {
    const { token, expiresAt } = value as { token: string; expiresAt?: unknown };
    if (token === '') return undefined;
    const times = readTokenTimes(token);
    const given = typeof expiresAt === 'number' && Number.isFinite(expiresAt) ? expiresAt : undefined;
    return { token, expiresAt: given ?? times.expiresAt, issuedAtSec: times.issuedAtSec };
  }
  throw new TypeError(`sockauth client: ${source} must return a token string or { token, expiresAt? }`);
}

/** An error thrown by the app's `refresh()`, as an AuthError when it carries a sockauth code. */
function toAuthError(error: unknown): AuthError | undefined {
  if (isAuthError(error)) return error;
  return authErrorFromPayload(error);
}

/** Calls a listener; an exception is reported asynchronously (like RxJS) so it cannot break the client's state. */
function invoke(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/**
 * A Socket.IO client that keeps its connection authenticated for its whole life: it presents the newest token at
 * every handshake, refreshes before expiry (at a jittered point, on the server's clock), re-authenticates in band
 * without reconnecting, follows the sockauth error taxonomy (`refresh`, `retry` with capped full-jitter backoff,
 * `login` → one `unauthenticated` event, `none` → the caller's promise, or one `forbidden` event when it is the
 * connection itself that was refused), and never retries without bound.
 *
 * Create it with {@link createAuthClient}. Listen to app events on {@link AuthClient.socket}.
 *
 * @example
 * ```ts
 * const client = createAuthClient({
 *   url: 'https://chat.example.com',
 *   getToken: () => session.accessToken,
 *   refresh: async () => (session = await api.refresh(session.refreshToken)).accessToken,
 * });
 * client.on('unauthenticated', (error) => showLogin(error.code));
 * client.on('forbidden', (error) => showBlocked(error.message)); // e.g. tenant suspended: no retry loop
 * client.socket.on('chat:message', render);
 * await client.emitWithAck('chat:send', { room: 'lobby', text: 'hi' });
 * ```
 */
export class AuthClient<ListenEvents extends EventsMap = DefaultEventsMap, EmitEvents extends EventsMap = DefaultEventsMap>
  implements AckEmitter<EmitEvents>
{
  /** The underlying socket.io-client socket: listen to app events here. Do not connect or disconnect it yourself. */
  readonly socket: Socket<ListenEvents, EmitEvents>;

  readonly #options: ResolvedOptions;
  readonly #clock = new ServerClock(() => Date.now());
  readonly #subscribers = new Set<(status: AuthClientStatus) => void>();
  readonly #listeners: { [K in keyof AuthClientEvents]: Set<Listener<K>> } = {
    unauthenticated: new Set(),
    forbidden: new Set(),
    refreshed: new Set(),
    error: new Set(),
  };
  /** Every pending timer, with what to do when it is cancelled (settle a pause). */
  readonly #timers = new Map<Timer, () => void>();
  readonly #detach: () => void;
  #status: AuthClientStatus;
  /** Bumped whenever pending work must be abandoned: close, unauthenticated, forbidden, a restart by connect(). */
  #epoch = 0;
  /** Attempts in the current reconnection sequence. */
  #attempt = 0;
  /** Bumped at every connect and disconnect: an in-band refresh belongs to one connection. */
  #connection = 0;
  #refreshTimer: Timer | undefined;
  #stableTimer: Timer | undefined;
  /** Server time at which the next pre-expiry refresh is due (kept so a new clock offset can re-arm it). */
  #refreshDueAt: number | undefined;
  /** The `auth:error` received before the server's disconnect: why we were cut. */
  #cutError: AuthError | undefined;
  #inBand: Promise<boolean> | undefined;
  #fetching: Promise<TokenInfo> | undefined;
  /** The last token `refresh()` returned. */
  #fresh: TokenInfo | undefined;
  /** The token presented at the last handshake. */
  #presented: TokenInfo | undefined;
  /** The token the server holds for this connection (handshake or last accepted `auth:refresh`). */
  #inForce: TokenInfo | undefined;

  constructor(options: AuthClientOptions) {
    this.#options = resolveOptions(options);
    const socket = options.socket ?? createSocket(options);
    if (options.socket !== undefined) {
      if (typeof socket.connect !== 'function' || typeof socket.io?.reconnection !== 'function') {
        throw new TypeError('sockauth client: "socket" must be a socket.io-client Socket');
      }
      if (socket.active) throw new TypeError('sockauth client: pass a socket created with { autoConnect: false }');
      socket.io.reconnection(false);
    }
    this.socket = socket as unknown as Socket<ListenEvents, EmitEvents>;
    socket.auth = (send: (data: object) => void) => this.#handshakeAuth(send);

    const raw = socket as unknown as RawSocket;
    const handlers: Array<[string, (...args: any[]) => void]> = [
      ['connect', () => this.#onConnect()],
      ['connect_error', (error: unknown) => this.#onConnectError(error)],
      ['disconnect', (reason: string) => this.#onDisconnect(reason)],
      [EXPIRING_EVENT, (payload: unknown) => this.#onExpiring(payload)],
      [ERROR_EVENT, (payload: unknown) => this.#onCut(payload)],
    ];
    for (const [event, handler] of handlers) raw.on(event, handler);
    this.#detach = () => {
      for (const [event, handler] of handlers) raw.off(event, handler);
    };

    this.#status = Object.freeze({
      state: 'disconnected',
      socketId: undefined,
      expiresAt: undefined,
      version: undefined,
      refreshAt: undefined,
      attempt: 0,
      retryAt: undefined,
      clockOffsetMs: 0,
      clockSource: 'none',
      error: undefined,
      disconnectReason: undefined,
    });
    if (this.#options.autoConnect) this.connect();
  }

  /** The current state. */
  get state(): AuthClientState {
    return this.#status.state;
  }

  /** The current status snapshot (immutable). */
  get status(): AuthClientStatus {
    return this.#status;
  }

  /**
   * Subscribes to status changes. The listener is called at once with the current status, then on every change
   * (the Svelte store contract). Returns the unsubscribe function.
   *
   * @example
   * ```ts
   * const unsubscribe = client.subscribe(({ state, version, expiresAt }) => render(state, version, expiresAt));
   * ```
   */
  subscribe(listener: (status: AuthClientStatus) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('sockauth client: subscribe(listener) needs a function');
    this.#subscribers.add(listener);
    invoke(() => listener(this.#status));
    return () => this.unsubscribe(listener);
  }

  /** Removes a listener added with {@link subscribe}. */
  unsubscribe(listener: (status: AuthClientStatus) => void): void {
    this.#subscribers.delete(listener);
  }

  /**
   * Listens to a client event. Returns a function that removes the listener.
   *
   * @example
   * ```ts
   * client.on('unauthenticated', (error) => showLogin(`session ended: ${error.code}`));
   * client.on('forbidden', (error) => showBlocked(error.message));
   * client.on('refreshed', ({ version, expiresAt }) => console.log('re-authenticated', version, expiresAt));
   * ```
   */
  on<K extends keyof AuthClientEvents>(event: K, listener: AuthClientEvents[K]): () => void {
    const listeners = this.#listeners[event] as Set<AuthClientEvents[K]> | undefined;
    if (listeners === undefined) throw new TypeError(`sockauth client: unknown event ${JSON.stringify(event)}`);
    listeners.add(listener);
    return () => this.off(event, listener);
  }

  /** Removes a listener added with {@link on}. */
  off<K extends keyof AuthClientEvents>(event: K, listener: AuthClientEvents[K]): void {
    (this.#listeners[event] as Set<AuthClientEvents[K]> | undefined)?.delete(listener);
  }

  /**
   * Connects (or reconnects after `unauthenticated`/`forbidden`/`disconnected`, e.g. once the user logged in again
   * or the refusing policy changed), with a fresh retry budget. Does nothing while connecting or connected.
   */
  connect(): this {
    const state = this.#status.state;
    if (state === 'closed') throw new Error('sockauth client: connect() after close()');
    if (!this.#resting()) return this;
    this.#restart();
    this.#update({ state: 'connecting', error: undefined, attempt: 0, retryAt: undefined });
    this.socket.connect();
    return this;
  }

  /**
   * Gets a fresh token now: re-authenticates in band when connected, otherwise (state `expired` or
   * `disconnected`) reconnects with it. Resolves `true` once the new token is in force, `false` otherwise (the
   * status says why). Never rejects. In `unauthenticated`, `forbidden` and `closed` it does nothing (a token cannot
   * fix what the server refused there) and resolves `false`.
   */
  async refreshNow(): Promise<boolean> {
    const state = this.#status.state;
    if (STOPPED.has(state)) return false;
    if (this.socket.connected) return this.#refreshInBand();
    // A reconnection is under way (or due): it presents the newest token; report how it ends.
    if (!this.#resting()) return this.#authenticated();
    const epoch = this.#restart();
    this.#update({ state: 'expired', retryAt: undefined });
    try {
      await this.#fetchToken();
    } catch (error) {
      if (epoch === this.#epoch) this.#refreshFailed(error, state === 'expired' ? 'expired' : 'disconnected');
      return false;
    }
    if (epoch !== this.#epoch) return false;
    this.#update({ state: 'connecting', error: undefined, attempt: 0 });
    this.socket.connect();
    return this.#authenticated();
  }

  /**
   * Emits `event` and resolves with its ack. A denied event (`{ error: { code, action, message } }` with a
   * sockauth code) rejects with the matching `AuthError` — `AUTH_FORBIDDEN` for a missing permission, the socket
   * staying connected. No ack in time, or a disconnection first, rejects with an {@link EmitError}. While the
   * client reconnects, the event is buffered and sent once connected.
   *
   * @example
   * ```ts
   * try {
   *   const { id } = await client.emitWithAck('chat:send', { room: 'lobby', text: 'hi' });
   * } catch (err) {
   *   if (isAuthError(err) && err.code === 'AUTH_FORBIDDEN') showNotAllowed();
   * }
   * ```
   */
  emitWithAck<E extends EventNames<EmitEvents>>(event: E, ...args: EmitArgs<EmitEvents, E>): Promise<AckResponse<EmitEvents, E>> {
    const { state, error } = this.#status;
    // Refused by the server: the reason itself, rather than the `closed` a closed client gets.
    if ((state === 'unauthenticated' || state === 'forbidden') && error !== undefined) return Promise.reject(error);
    // Nothing would ever send it: fail now rather than at the ack timeout.
    if (this.#resting()) return Promise.reject(new EmitError('closed', event));
    return this.#ack(event, args as unknown[]).then((response) => {
      const denied = deniedError(response);
      if (denied === undefined) return response as AckResponse<EmitEvents, E>;
      // The deadline passed before the server cut us: get a fresh token now rather than at the cut.
      if (denied.action === 'refresh' && this.#options.autoRefresh && this.socket.connected) void this.#refreshInBand();
      throw denied;
    });
  }

  /**
   * An emitter that makes events safe to resend: the first argument (an object) gets an `id` (a UUID v4, unless it
   * has one), and when the ack is lost to a timeout or a disconnection the same payload — same `id` — is sent again
   * once the client is authenticated, up to `attempts` times in all. The server must treat a repeated `id` as a
   * duplicate (the demo's `chat:send` does). Denied events are not resent.
   *
   * @example
   * ```ts
   * const { id } = await client.idempotent().emitWithAck('chat:send', { room: 'lobby', text: 'hi' });
   * ```
   */
  idempotent(options: { readonly attempts?: number } = {}): AckEmitter<EmitEvents> {
    const attempts = options.attempts ?? 3;
    if (!Number.isSafeInteger(attempts) || attempts < 1) {
      throw new TypeError('sockauth client: "attempts" must be a positive integer');
    }
    return {
      emitWithAck: (event, ...args) => this.#emitIdempotent(event, args as unknown[], attempts) as Promise<never>,
    };
  }

  /**
   * Stops everything: clears every timer, abandons pending refreshes and retries, disconnects the socket and
   * removes the client's listeners from it. The state becomes `closed`. Idempotent.
   */
  close(): void {
    if (this.#status.state === 'closed') return;
    this.#restart();
    this.#update({ state: 'closed', socketId: undefined, refreshAt: undefined, retryAt: undefined });
    this.#detach();
    this.socket.disconnect();
    this.#subscribers.clear();
    for (const listeners of Object.values(this.#listeners)) listeners.clear();
  }

  // --- handshake and connection -------------------------------------------------------------------------------

  /** socket.io-client's `auth` callback: runs at every (re)connection, so each one presents the newest token. */
  #handshakeAuth(send: (data: object) => void): void {
    const epoch = this.#epoch;
    this.#handshakeToken().then(
      (info) => {
        if (epoch !== this.#epoch) return;
        this.#presented = info;
        send(info === undefined ? {} : { token: info.token });
      },
      // No token could be had: the server refuses with AUTH_MISSING and the taxonomy takes it from there.
      () => {
        if (epoch !== this.#epoch) return;
        this.#presented = undefined;
        send({});
      },
    );
  }

  /**
   * The token for a handshake: the app's (`getToken()`), unless `refresh()` returned a later one that the app did
   * not store; `refresh()` itself when there is neither.
   */
  async #handshakeToken(): Promise<TokenInfo | undefined> {
    const getToken = this.#options.getToken;
    const fromApp = getToken === undefined ? undefined : toTokenInfo(await getToken(), 'getToken()');
    const fresh = this.#fresh;
    if (fresh !== undefined) {
      if (fromApp === undefined || fresh.token === fromApp.token) return fresh;
      if (fresh.expiresAt !== undefined && fromApp.expiresAt !== undefined && fresh.expiresAt > fromApp.expiresAt) return fresh;
    }
    if (fromApp !== undefined || getToken !== undefined) return fromApp;
    return this.#fetchToken();
  }

  #onConnect(): void {
    if (RESTING.has(this.#status.state)) return;
    this.#connection++;
    this.#inForce = this.#presented;
    this.#clearTimer(this.#stableTimer);
    this.#stableTimer = this.#setTimer(STABLE_AFTER_MS, () => {
      this.#stableTimer = undefined;
      this.#attempt = 0;
      this.#update({ attempt: 0 });
    });
    this.#update({
      state: 'authenticated',
      socketId: this.socket.id,
      expiresAt: this.#inForce?.expiresAt,
      version: 1,
      retryAt: undefined,
      error: undefined,
      disconnectReason: undefined,
    });
    this.#scheduleRefresh();
  }

  #onConnectError(error: unknown): void {
    if (RESTING.has(this.#status.state)) return;
    const authError = connectError(error);
    if (authError !== undefined) this.#emit('error', authError);
    this.#recover(authError, this.#presented?.token);
  }

  /** `auth:error`: the server is about to disconnect us, and says why. */
  #onCut(payload: unknown): void {
    const error = authErrorFromPayload(payload);
    if (error === undefined || RESTING.has(this.#status.state)) return;
    this.#cutError = error;
    this.#update({ error });
    this.#emit('error', error);
  }

  #onDisconnect(reason: string): void {
    this.#connection++;
    this.#inBand = undefined;
    this.#clearTimer(this.#refreshTimer);
    this.#clearTimer(this.#stableTimer);
    this.#refreshTimer = this.#stableTimer = this.#refreshDueAt = undefined;
    const cut = this.#cutError;
    this.#cutError = undefined;
    if (STOPPED.has(this.#status.state)) return;
    this.#update({ socketId: undefined, refreshAt: undefined, disconnectReason: reason });
    if (cut !== undefined) return this.#recover(cut, this.#inForce?.token);
    if (reason === 'io client disconnect' || reason === 'io server disconnect') {
      // The app disconnected the socket itself, or the server did without an auth reason: Socket.IO does not
      // reconnect in either case, and neither do we.
      this.#update({ state: 'disconnected' });
      return;
    }
    this.#recover(undefined, undefined);
  }

  /**
   * Follows the taxonomy after a refused handshake or a cut. `rejected` is the token the server turned down.
   * `none` here means the connection itself was refused by policy: terminal, like `login`, but nothing a new login
   * or token can fix. An error the client does not know (no `data`, or a code of a newer server) is a transport
   * failure: bounded retries.
   */
  #recover(error: AuthError | undefined, rejected: string | undefined): void {
    switch (error?.action) {
      case 'login':
        return this.#stop('unauthenticated', error);
      case 'none':
        return this.#stop('forbidden', error);
      case 'refresh':
        if (!this.#options.autoRefresh) {
          this.#update({ state: 'expired', error, retryAt: undefined });
          return;
        }
        void this.#reconnect(error, rejected);
        return;
      default:
        // `retry` and transport failures: back off and try again.
        void this.#reconnect(error, undefined);
    }
  }

  /**
   * One reconnection attempt, after a backoff delay (none before the first attempt after an expiry, whose fix is a
   * fresh token, not waiting). With `rejected`, a fresh token is fetched first unless a newer one is at hand.
   */
  async #reconnect(error: AuthError | undefined, rejected: string | undefined): Promise<void> {
    const epoch = this.#epoch;
    const expired = error?.action === 'refresh';
    const attempt = this.#attempt++;
    const { maxAttempts } = this.#options.backoff;
    if (attempt >= maxAttempts) {
      this.#giveUp(error);
      return;
    }
    const delay = expired && attempt === 0 ? 0 : backoffDelay(attempt, this.#options.backoff, this.#options.random);
    this.#update({ state: expired ? 'expired' : 'connecting', error, attempt: attempt + 1, retryAt: Date.now() + delay });
    if (!(await this.#pause(delay, epoch))) return;
    if (expired) {
      try {
        const needed = this.#fresh === undefined || this.#fresh.token === rejected;
        const pending = this.#fetching ?? (needed ? this.#fetchToken() : undefined);
        if (pending !== undefined) await pending;
      } catch (refreshError) {
        if (epoch !== this.#epoch) return;
        const authError = toAuthError(refreshError);
        if (authError !== undefined) this.#emit('error', authError);
        // The backend ended the session (`login`) or refuses this user a token by policy (`none`): no reconnection.
        if (authError?.action === 'login' || authError?.action === 'none') return this.#recover(authError, undefined);
        return this.#reconnect(error, rejected);
      }
      if (epoch !== this.#epoch) return;
    }
    this.#update({ state: 'connecting', retryAt: undefined });
    this.socket.connect();
  }

  #giveUp(error: AuthError | undefined): void {
    this.#update({ state: 'disconnected', error, retryAt: undefined });
    // Detach from the Manager too, so another socket sharing it cannot reconnect this one behind our back.
    this.socket.disconnect();
  }

  /**
   * Ends up in a state only the app can leave (`connect()`): abandons every timer and pending refresh, drops the
   * socket and tells the app, once. `unauthenticated` also forgets the fresh token: it belongs to the ended session.
   */
  #stop(state: 'unauthenticated' | 'forbidden', error: AuthError): void {
    if (STOPPED.has(this.#status.state)) return;
    this.#restart();
    if (state === 'unauthenticated') this.#fresh = undefined;
    this.#update({ state, error, socketId: undefined, refreshAt: undefined, retryAt: undefined });
    this.socket.disconnect();
    this.#emit(state, error);
  }

  /** Abandons pending work (timers, pauses, in-flight continuations) and resets the retry budget. */
  #restart(): number {
    this.#epoch++;
    for (const [timer, cancel] of this.#timers) {
      clearTimeout(timer);
      cancel();
    }
    this.#timers.clear();
    this.#refreshTimer = this.#stableTimer = this.#refreshDueAt = undefined;
    this.#cutError = undefined;
    this.#inBand = undefined;
    this.#attempt = 0;
    return this.#epoch;
  }

  // --- refresh ------------------------------------------------------------------------------------------------

  /**
   * Schedules the pre-expiry refresh at a random point of the window before `expiresAt`, on the server's clock.
   * When the local estimate says the token already expired although the server just accepted it, the clock offset
   * is wrong: nothing is scheduled and the server's `auth:expiring` (which measures the offset) drives the refresh.
   */
  #scheduleRefresh(): void {
    this.#clearTimer(this.#refreshTimer);
    this.#refreshTimer = this.#refreshDueAt = undefined;
    const { expiresAt, state } = this.#status;
    if (!this.#options.autoRefresh || state !== 'authenticated' || expiresAt === undefined) {
      this.#update({ refreshAt: undefined });
      return;
    }
    const remaining = expiresAt - this.#clock.serverNow();
    if (remaining <= 0) {
      this.#update({ refreshAt: undefined });
      return;
    }
    this.#armRefresh(expiresAt - pickRefreshLead(remaining, this.#options.window, this.#options.random));
  }

  /** Arms the refresh timer for server time `dueAt`, converted with the current clock offset. */
  #armRefresh(dueAt: number): void {
    this.#clearTimer(this.#refreshTimer);
    this.#refreshDueAt = dueAt;
    const localAt = this.#clock.toLocal(dueAt);
    this.#refreshTimer = this.#setTimer(Math.max(0, localAt - Date.now()), () => {
      this.#refreshTimer = this.#refreshDueAt = undefined;
      this.#update({ refreshAt: undefined });
      void this.#refreshInBand();
    });
    this.#update({ refreshAt: localAt });
  }

  /** `auth:expiring`: measures the clock offset, then keeps, re-arms or (if late) re-draws the refresh. */
  #onExpiring(payload: unknown): void {
    const expiring = parseExpiring(payload);
    const state = this.#status.state;
    if (expiring === undefined || RESTING.has(state)) return;
    const now = Date.now();
    const inGrace = expiring.graceEndsAt !== undefined || expiring.inMs <= 0;
    if (!inGrace) this.#clock.observeServerTime(expiring.expiresAt - expiring.inMs, now);
    this.#update({ expiresAt: expiring.expiresAt });
    if (!this.#options.autoRefresh || this.#inBand !== undefined || !this.socket.connected) return;
    if (inGrace) {
      void this.#refreshInBand();
      return;
    }
    const due = this.#refreshDueAt;
    if (due !== undefined && due < expiring.expiresAt && this.#clock.toLocal(due) > now) {
      // Still ahead: keep the jittered point (so 10k clients warned at once do not refresh at once), re-armed
      // with the measured offset.
      this.#armRefresh(due);
      return;
    }
    this.#armRefresh(expiring.expiresAt - pickRefreshLead(expiring.inMs, this.#options.window, this.#options.random));
  }

  /** Refreshes in band once at a time; concurrent triggers share the same attempt. */
  #refreshInBand(): Promise<boolean> {
    if (this.#inBand !== undefined) return this.#inBand;
    const running: Promise<boolean> = this.#runInBand(this.#epoch, this.#connection).finally(() => {
      if (this.#inBand === running) this.#inBand = undefined;
    });
    this.#inBand = running;
    return running;
  }

  /** Fresh token from `refresh()`, then `auth:refresh` on the live socket; bounded retries with backoff. */
  async #runInBand(epoch: number, connection: number): Promise<boolean> {
    this.#clearTimer(this.#refreshTimer);
    this.#refreshTimer = this.#refreshDueAt = undefined;
    const { backoff, random } = this.#options;
    // Abandoned on close/unauthenticated (epoch) and when this connection ends (the handshake takes over).
    const live = (): boolean => epoch === this.#epoch && connection === this.#connection && this.socket.connected;
    // The token to present: kept across a lost ack or a `retry` refusal (the token was fine, the server was not);
    // fetched again only when the server says `refresh` (stale or already expired).
    let info: TokenInfo | undefined;
    for (let failures = 0; ; ) {
      if (!live()) return false;
      this.#update({ state: 'refreshing', refreshAt: undefined });
      try {
        info ??= await this.#fetchToken();
      } catch (error) {
        if (!live()) return false;
        const authError = toAuthError(error);
        if (authError?.action === 'login' || authError?.action === 'none' || ++failures > backoff.maxAttempts) {
          return this.#refreshFailed(error, 'authenticated');
        }
        if (authError !== undefined) this.#emit('error', authError);
        if (!(await this.#pause(backoffDelay(failures - 1, backoff, random), epoch))) return false;
        continue;
      }
      // Disconnected meanwhile: the reconnection presents this token at its handshake.
      if (!live()) return false;
      let response: unknown;
      try {
        response = await this.#ack(REFRESH_EVENT, [{ token: info.token }]);
      } catch {
        if (!live()) return false;
        if (++failures > backoff.maxAttempts) return this.#refreshFailed(undefined, 'authenticated');
        if (!(await this.#pause(backoffDelay(failures - 1, backoff, random), epoch))) return false;
        continue;
      }
      if (!live()) return false;
      const ack = parseRefreshAck(response);
      if (ack?.ok === true) {
        this.#inForce = { ...info, expiresAt: ack.expiresAt };
        this.#update({ state: 'authenticated', expiresAt: ack.expiresAt, version: ack.version, error: undefined });
        this.#scheduleRefresh();
        this.#emit('refreshed', { expiresAt: ack.expiresAt, version: ack.version });
        return true;
      }
      // A refusal leaves the context in force untouched (the server never downgrades a valid one).
      const error = ack === undefined ? undefined : authErrorFromPayload(ack.error);
      if (error?.action === 'login') {
        this.#emit('error', error);
        this.#stop('unauthenticated', error);
        return false;
      }
      // `refresh` (stale or already expired token: get another), `retry` (store down, rate limit), malformed.
      if (error?.action === 'none' || ++failures > backoff.maxAttempts) return this.#refreshFailed(error, 'authenticated');
      if (error?.action === 'refresh') info = undefined;
      if (error !== undefined) this.#emit('error', error);
      if (!(await this.#pause(backoffDelay(failures - 1, backoff, random), epoch))) return false;
    }
  }

  /**
   * A refresh gave up or was told `login` or `none`. With `login`, the session ends; with `none` while not
   * connected, the token that a reconnection needs was refused by policy (`forbidden`); otherwise the state returns
   * to `restState` with the error visible, and (when connected) the token in force simply runs until the server's
   * expiry cut, whose recovery has its own bounded budget.
   */
  #refreshFailed(error: unknown, restState: 'authenticated' | 'expired' | 'disconnected'): false {
    const authError = toAuthError(error);
    if (authError !== undefined) this.#emit('error', authError);
    if (authError?.action === 'login' || (authError?.action === 'none' && restState !== 'authenticated')) {
      this.#recover(authError, undefined);
      return false;
    }
    const state = restState === 'authenticated' && !this.socket.connected ? 'disconnected' : restState;
    this.#update({ state, refreshAt: undefined, ...(authError !== undefined && { error: authError }) });
    return false;
  }

  /** Calls the app's `refresh()`, never twice at once (rotating refresh tokens would be seen as reused). */
  #fetchToken(): Promise<TokenInfo> {
    if (this.#fetching !== undefined) return this.#fetching;
    const fetching: Promise<TokenInfo> = Promise.resolve()
      .then(() => this.#options.refresh())
      .then((result) => {
        const info = toTokenInfo(result, 'refresh()');
        if (info === undefined) throw new TypeError('sockauth client: refresh() returned no token');
        if (info.issuedAtSec !== undefined) {
          this.#clock.observeIssuedAt(info.issuedAtSec);
          this.#update({});
        }
        this.#fresh = info;
        return info;
      })
      .finally(() => {
        if (this.#fetching === fetching) this.#fetching = undefined;
      });
    this.#fetching = fetching;
    return fetching;
  }

  // --- emitting -----------------------------------------------------------------------------------------------

  #ack(event: string, args: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      (this.socket as unknown as RawSocket)
        .timeout(this.#options.ackTimeoutMs)
        .emit(event, ...args, (error: Error | null, response: unknown) => {
          if (error) reject(new EmitError(this.socket.connected ? 'timeout' : 'disconnected', event));
          else resolve(response);
        });
    });
  }

  async #emitIdempotent(event: string, args: unknown[], attempts: number): Promise<unknown> {
    const [first, ...rest] = args;
    if (typeof first !== 'object' || first === null || Array.isArray(first)) {
      throw new TypeError('sockauth client: idempotent() needs an object as the first argument (it gets the id)');
    }
    const payload = (first as { id?: unknown }).id === undefined ? { ...first, id: idempotencyKey() } : first;
    const emit = this.emitWithAck.bind(this) as (event: string, ...args: unknown[]) => Promise<unknown>;
    for (let attempt = 1; ; attempt++) {
      try {
        return await emit(event, payload, ...rest);
      } catch (error) {
        if (!(error instanceof EmitError) || error.reason === 'closed' || attempt >= attempts) throw error;
        if (!(await this.#authenticated())) throw error;
      }
    }
  }

  /** Resolves `true` once authenticated, `false` if the client comes to rest first. */
  #authenticated(): Promise<boolean> {
    return new Promise((resolve) => {
      this.#watch((status) => {
        if (status.state === 'authenticated') resolve(true);
        else if (this.#resting(status.state)) resolve(false);
        else return false;
        return true;
      });
    });
  }

  /** True when nothing will happen without the app (connect(), refreshNow(), a new login). */
  #resting(state: AuthClientState = this.#status.state): boolean {
    return RESTING.has(state) || (state === 'expired' && !this.#options.autoRefresh);
  }

  /** Calls `check` with the status now and on every change until it returns `true`. */
  #watch(check: (status: AuthClientStatus) => boolean): void {
    let done = check(this.#status);
    if (done) return;
    const listener = (status: AuthClientStatus): void => {
      if (!done && check(status)) {
        done = true;
        this.#subscribers.delete(listener);
      }
    };
    this.#subscribers.add(listener);
  }

  // --- plumbing -----------------------------------------------------------------------------------------------

  #update(patch: Partial<AuthClientStatus>): void {
    const next: AuthClientStatus = {
      ...this.#status,
      ...patch,
      clockOffsetMs: this.#clock.offsetMs,
      clockSource: this.#clock.source,
    };
    const current = this.#status as unknown as Record<string, unknown>;
    const changed = (Object.keys(next) as (keyof AuthClientStatus)[]).some((key) => !Object.is(next[key], current[key]));
    if (!changed) return;
    this.#status = Object.freeze(next);
    for (const listener of [...this.#subscribers]) invoke(() => listener(next));
  }

  #emit<K extends keyof AuthClientEvents>(event: K, ...args: Parameters<AuthClientEvents[K]>): void {
    for (const listener of [...this.#listeners[event]]) {
      invoke(() => (listener as (...a: Parameters<AuthClientEvents[K]>) => void)(...args));
    }
  }

  #setTimer(ms: number, run: () => void): Timer {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, ms);
    this.#timers.set(timer, () => undefined);
    return timer;
  }

  #clearTimer(timer: Timer | undefined): void {
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#timers.delete(timer);
  }

  /** Waits `ms`. Resolves `false` (at once) if the client restarts or closes meanwhile. */
  #pause(ms: number, epoch: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve(epoch === this.#epoch);
      }, ms);
      this.#timers.set(timer, () => resolve(false));
    });
  }
}

function createSocket(options: AuthClientOptions): Socket {
  const url = options.url;
  if (url !== undefined && typeof url !== 'string') throw new TypeError('sockauth client: "url" must be a string');
  if (url === undefined && typeof (globalThis as { location?: unknown }).location === 'undefined') {
    throw new TypeError('sockauth client: "url" is required outside a browser page');
  }
  const ioOptions = {
    forceNew: true,
    ...options.io,
    autoConnect: false,
    reconnection: false,
  };
  return url === undefined ? io(ioOptions) : io(url, ioOptions);
}

/**
 * Creates an {@link AuthClient}. Type the socket's events with the two type parameters, as with socket.io-client.
 *
 * @example
 * ```ts
 * interface ServerToClient { 'chat:message': (msg: { room: string; text: string; from: string }) => void }
 * interface ClientToServer { 'chat:send': (msg: { room: string; text: string; id?: string }, ack: (res: { ok: true; id: string }) => void) => void }
 *
 * const client = createAuthClient<ServerToClient, ClientToServer>({
 *   url: 'https://chat.example.com',
 *   getToken: () => tokens.access,
 *   refresh: async () => {
 *     const res = await fetch('/auth/refresh', { method: 'POST', body: JSON.stringify({ refreshToken: tokens.refresh }) });
 *     if (res.status === 401) throw (await res.json()).error; // { code: 'AUTH_REVOKED', ... } → unauthenticated
 *     tokens = await res.json();
 *     return tokens.access;
 *   },
 * });
 * ```
 */
export function createAuthClient<ListenEvents extends EventsMap = DefaultEventsMap, EmitEvents extends EventsMap = DefaultEventsMap>(
  options: AuthClientOptions,
): AuthClient<ListenEvents, EmitEvents> {
  return new AuthClient<ListenEvents, EmitEvents>(options);
}


