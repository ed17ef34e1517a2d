import type { Socket } from 'socket.io-client';
import type { AuthClientState, AuthClientStatus } from './client-state.js';
import { requireRandomSource } from './idempotency.js';
import { emitIdempotent } from './idempotent-emit.js';
import { Lifecycle } from './lifecycle.js';
import { resolveOptions, type AuthClientOptions } from './options.js';
import { SocketIoTransport } from './socket-io-transport.js';
import type { AckEmitter, AckResponse, AuthClientEvents, DefaultEventsMap, EmitArgs, EventNames, EventsMap } from './typed-events.js';

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

  /** Everything but the Socket.IO glue: states, taxonomy, refresh, backoff. */
  readonly #lifecycle: Lifecycle;

  constructor(options: AuthClientOptions) {
    const resolved = resolveOptions(options);
    requireRandomSource();
    const transport = new SocketIoTransport(options);
    this.socket = transport.socket as unknown as Socket<ListenEvents, EmitEvents>;
    this.#lifecycle = new Lifecycle(resolved, transport);
    if (resolved.autoConnect) this.connect();
  }

  /** The current state. */
  get state(): AuthClientState {
    return this.#lifecycle.status.state;
  }

  /** The current status snapshot (immutable). */
  get status(): AuthClientStatus {
    return this.#lifecycle.status.current;
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
    return this.#lifecycle.status.subscribe(listener);
  }

  /** Removes a listener added with {@link subscribe}. */
  unsubscribe(listener: (status: AuthClientStatus) => void): void {
    this.#lifecycle.status.unsubscribe(listener);
  }

  /**
   * Listens to a client event. Returns a function that removes the listener.
   *
   * @example
   * ```ts
   * client.on('unauthenticated', (error) => showLogin(`session ended: ${error.code}`));
   * client.on('forbidden', (error) => showBlocked(error.message));
   * client.on('refreshed', ({ version, expiresAt }) => console.log('re-authenticated', version, expiresAt));
   * client.on('roomLeft', ({ room, code }) => ui.markLeft(room, code)); // auth:room-left: no longer allowed in
   * ```
   */
  on<K extends keyof AuthClientEvents>(event: K, listener: AuthClientEvents[K]): () => void {
    this.#lifecycle.events.on(event, listener);
    return () => this.off(event, listener);
  }

  /** Removes a listener added with {@link on}. */
  off<K extends keyof AuthClientEvents>(event: K, listener: AuthClientEvents[K]): void {
    this.#lifecycle.events.off(event, listener);
  }

  /**
   * Connects (or reconnects after `unauthenticated`/`forbidden`/`disconnected`, e.g. once the user logged in again
   * or the refusing policy changed), with a fresh retry budget. Does nothing while connecting or connected.
   */
  connect(): this {
    this.#lifecycle.connect();
    return this;
  }

  /**
   * Gets a fresh token now: re-authenticates in band when connected, otherwise (state `expired` or
   * `disconnected`) reconnects with it. Resolves `true` once the new token is in force, `false` otherwise (the
   * status says why). Never rejects. In `unauthenticated`, `forbidden` and `closed` it does nothing (a token cannot
   * fix what the server refused there) and resolves `false`.
   */
  refreshNow(): Promise<boolean> {
    return this.#lifecycle.refreshNow();
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
    return this.#lifecycle.emitWithAck(event, args as unknown[]) as Promise<AckResponse<EmitEvents, E>>;
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
    const emit = (event: string, ...args: unknown[]): Promise<unknown> => this.emitWithAck(event, ...(args as never));
    const status = this.#lifecycle.status;
    return {
      emitWithAck: (event, ...args) => emitIdempotent(emit, () => status.settled(), event, args as unknown[], attempts) as Promise<never>,
    };
  }

  /**
   * Stops everything: clears every timer, abandons pending refreshes and retries, disconnects the socket and
   * removes the client's listeners from it. The state becomes `closed`. Idempotent.
   */
  close(): void {
    this.#lifecycle.close();
  }
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


