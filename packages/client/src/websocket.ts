/**
 * `@sockauth/client/websocket`: the plain-WebSocket flavour of the client alone, with everything both flavours
 * share (options, states, typed events, the protocol's events, the error taxonomy). It never imports
 * socket.io-client, not even in its type declarations, so a WebSocket-only app does not install it (an optional
 * peer dependency). The root entry `@sockauth/client` adds the Socket.IO flavour to these.
 *
 * @example
 * ```ts
 * import { createWebSocketAuthClient } from '@sockauth/client/websocket';
 * const client = createWebSocketAuthClient({ url: '/ws', getToken: () => tokens.access, refresh });
 * ```
 */
export { AuthClientBase } from './auth-client-base.js';
export { WebSocketAuthClient, createWebSocketAuthClient, type WebSocketAuthClientOptions } from './websocket-auth-client.js';
export type { WebSocketConstructor, WebSocketCredentials, WebSocketLike } from './websocket-transport.js';
export type { AuthClientState, AuthClientStatus } from './client-state.js';
export type { AckEmitter, AckResponse, AuthClientEvents, DefaultEventsMap, EmitArgs, EventsMap } from './typed-events.js';
export { EmitError, type EmitFailure } from './emit-error.js';
export { idempotencyKey } from './idempotency.js';
export {
  DEFAULT_ACK_TIMEOUT_MS,
  DEFAULT_BACKOFF,
  DEFAULT_REFRESH_WINDOW,
  type AuthClientBaseOptions,
  type BackoffOptions,
  type RefreshWindowOptions,
  type TokenResult,
} from './options.js';
export {
  ERROR_EVENT,
  EXPIRING_EVENT,
  REFRESH_EVENT,
  ROOM_LEFT_EVENT,
  type ExpiringPayload,
  type RefreshAck,
  type RoomLeftPayload,
} from './protocol.js';
// The error taxonomy, re-exported so browser apps need no direct dependency on @sockauth/core.
export {
  AuthError,
  isAuthError,
  type AuthAction,
  type AuthErrorCode,
  type AuthErrorPayload,
} from '@sockauth/core/errors';
