export { WsAuth, createWsAuth } from './ws-auth.js';
export type { WsRoom } from './ws-auth.js';
export { WS_AUTH_OPTION_KEYS } from './options.js';
export type {
  WsAuthOptions,
  WsCheckResult,
  WsConnectionHandler,
  WsMessageHandler,
  WsMessageInfo,
  WsServerOptions,
} from './options.js';
export { UnsupportedWsInternalsError } from './ws-internals.js';
export type { WsProtocolSelector } from './subprotocol.js';
export { DEFAULT_HEARTBEAT_INTERVAL_MS, resolveHeartbeat } from './heartbeat.js';
export type { WsHeartbeatOptions } from './heartbeat.js';
export type { WsTokenExtractor, WsTokenSource } from './upgrade-token.js';
// The wire protocol, from core (browser-safe in @sockauth/core/protocol): re-exported for convenience.
export { BEARER_SUBPROTOCOL_PREFIX, PROBE_ID, SUBPROTOCOL, WS_CLOSE_CODES, closeCodeFor, closeReason } from '@sockauth/core';
export type { AckEnvelope, Envelope, EnvelopeId } from '@sockauth/core';
