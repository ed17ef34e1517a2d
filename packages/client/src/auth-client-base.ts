import type { AuthClientState, AuthClientStatus } from './client-state.js';
import { requireRandomSource } from './idempotency.js';
import { emitIdempotent } from './idempotent-emit.js';
import { Lifecycle } from './lifecycle.js';
import type { ResolvedOptions } from './options.js';
import type { ClientTransport } from './transport.js';
import type { AckEmitter, AckResponse, AuthClientEvents, DefaultEventsMap, EmitArgs, EventNames, EventsMap } from './typed-events.js';

/**
 * What both flavours of the client are — {@link AuthClient} over Socket.IO and `WebSocketAuthClient` over a plain
 * WebSocket: the states, the status store, the client events, acked emits (denied ones rejected with their
 * `AuthError`), idempotent resends, `refreshNow`, `connect` and `close`. The lifecycle behind it (taxonomy, refresh
 * window, backoff) is the same object for both; only the transport differs.
 *
 * @example
 * ```ts
 * function showStatus(client: AuthClientBase) {
 *   return client.subscribe(({ state, expiresAt }) => render(state, expiresAt));
 * }
 * ```
 */
export class AuthClientBase<EmitEvents extends EventsMap = DefaultEventsMap> implements AckEmitter<EmitEvents> {
  /** Everything but the transport's glue: states, taxonomy, refresh, backoff. */
  readonly #lifecycle: Lifecycle;

  /** For the flavours: `options` validated by `resolveOptions`, `transport` not attached yet. */
  protected constructor(options: ResolvedOptions, transport: ClientTransport) {
    requireRandomSource();
    this.#lifecycle = new Lifecycle(options, transport);
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
