export { AuthClient, createAuthClient } from './auth-client.js';
export type { AuthClientState, AuthClientStatus } from './client-state.js';
export type { AckEmitter, AckResponse, AuthClientEvents, DefaultEventsMap, EmitArgs, EventsMap } from './typed-events.js';
export { EmitError, type EmitFailure } from './emit-error.js';
export { idempotencyKey } from './idempotency.js';
export {
  DEFAULT_ACK_TIMEOUT_MS,
  DEFAULT_BACKOFF,
  DEFAULT_REFRESH_WINDOW,
  type AuthClientOptions,
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
