export { SockAuth, createSockAuth, sockAuth } from './sock-auth.js';
export type { SocketMiddleware } from './sock-auth.js';
export { SOCK_AUTH_OPTION_KEYS } from './options.js';
export type { EventGate, SockAuthHooks, SockAuthOptions, SockAuthSocketData } from './options.js';
export { eventArgs } from './event-args.js';
export { matchesAnyNamespace, matchesNamespace } from './namespace-rules.js';
export { onEveryNamespace } from './socket-io-internals.js';
export type { NamespaceRule } from './namespace-rules.js';
export type { CookieTokenOptions, HandshakeLike, TokenExtractor, TokenSource } from './token-extraction.js';
// Shared with every adapter, defined in core; re-exported so 0.1 imports keep working.
export { ERROR_EVENT, EXPIRING_EVENT, REFRESH_EVENT } from './protocol.js';
export type { ConnectErrorData, DeniedAck, ExpiringPayload, RefreshAck } from './protocol.js';
export type {
  AuthLogRecord as SockAuthLogRecord,
  AuthLogger as SockAuthLogger,
  EventGateVerdict,
  EventPermissions,
  EventRateLimitOptions,
  FailureStage,
  LogLevel,
  ReleaseReason,
  UnlistedEventPolicy,
  VerifyStage,
} from '@sockauth/core';
