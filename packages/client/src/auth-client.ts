import type { Socket } from 'socket.io-client';
import { AuthClientBase } from './auth-client-base.js';
import { resolveOptions } from './options.js';
import { AUTH_CLIENT_OPTION_KEYS, type AuthClientOptions } from './socket-io-options.js';
import { SocketIoTransport } from './socket-io-transport.js';
import type { DefaultEventsMap, EventsMap } from './typed-events.js';

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
export class AuthClient<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = DefaultEventsMap,
> extends AuthClientBase<EmitEvents> {
  /** The underlying socket.io-client socket: listen to app events here. Do not connect or disconnect it yourself. */
  readonly socket: Socket<ListenEvents, EmitEvents>;

  constructor(options: AuthClientOptions) {
    const resolved = resolveOptions(options, AUTH_CLIENT_OPTION_KEYS, 'createAuthClient options');
    const transport = new SocketIoTransport(options);
    super(resolved, transport);
    this.socket = transport.socket as unknown as Socket<ListenEvents, EmitEvents>;
    if (resolved.autoConnect) this.connect();
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


