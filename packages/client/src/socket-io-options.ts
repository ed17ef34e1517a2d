import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import type { KnownKeys } from '@sockauth/core/option-keys';
import { BASE_OPTION_KEYS, type AuthClientBaseOptions } from './options.js';

// The Socket.IO flavour's options, apart from the common ones so that the WebSocket entry
// (`@sockauth/client/websocket`) never references socket.io-client, not even in its type declarations.

/** Options of {@link createAuthClient}. */
export interface AuthClientOptions extends AuthClientBaseOptions {
  /** Server URL, e.g. `https://chat.example.com` or `https://chat.example.com/admin` (namespace). Default in
   * browsers: the page's origin. Ignored when `socket` is given. */
  readonly url?: string;
  /**
   * socket.io-client options. The client owns `auth` (the token), `autoConnect` and reconnection (its own
   * backoff), so those three are overridden; `forceNew` defaults to `true` (the client sets its Manager's
   * reconnection off).
   */
  readonly io?: Partial<ManagerOptions & SocketOptions>;
  /**
   * Bring your own socket (e.g. `manager.socket('/admin')` to multiplex namespaces), created with
   * `autoConnect: false`. The client takes over its `auth`, turns its Manager's reconnection off and closes it in
   * {@link AuthClient.close}.
   */
  readonly socket?: Socket;
}

/** Every option of {@link AuthClientOptions}: the typecheck fails if the two drift apart. */
export const AUTH_CLIENT_OPTION_KEYS = { ...BASE_OPTION_KEYS, url: true, io: true, socket: true } as const satisfies KnownKeys<AuthClientOptions>;
