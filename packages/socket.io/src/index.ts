export { SockAuth, createSockAuth, sockAuth } from './sock-auth.js';
export type { SocketMiddleware } from './sock-auth.js';
export { SOCK_AUTH_OPTION_KEYS } from './options.js';
export type {
  EventGate,
  EventGateVerdict,
  FailureStage,
  ReleaseReason,
  SockAuthHooks,
  SockAuthOptions,
  SockAuthSocketData,
  VerifyStage,
} from './options.js';
export type { EventRateLimitOptions } from './event-rate-limit.js';
export type { LogLevel, SockAuthLogRecord, SockAuthLogger } from './logging.js';
export { eventArgs } from './event-args.js';
export { EventPolicy } from './event-policy.js';
export { matchesAnyNamespace, matchesNamespace } from './namespace-rules.js';
export type { NamespaceRule } from './namespace-rules.js';
export type { EventPermissions, UnlistedEventPolicy } from './event-policy.js';
export type { CookieTokenOptions, HandshakeLike, TokenExtractor, TokenSource } from './token-extraction.js';
export { ERROR_EVENT, EXPIRING_EVENT, REFRESH_EVENT } from './protocol.js';
export type { ConnectErrorData, DeniedAck, ExpiringPayload, RefreshAck } from './protocol.js';
