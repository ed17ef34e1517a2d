export {
  AUTH_ACTIONS,
  AUTH_ERROR_CODES,
  AuthError,
  AuthExpiredError,
  AuthForbiddenError,
  AuthIdentityMismatchError,
  AuthInvalidError,
  AuthMissingError,
  AuthNotYetValidError,
  AuthRevokedError,
  AuthStaleError,
  AuthUnavailableError,
  authErrorFromPayload,
  createAuthError,
  isAuthError,
  isAuthErrorCode,
} from './errors.js';
export type { AuthAction, AuthErrorCause, AuthErrorCode, AuthErrorOptions, AuthErrorPayload } from './errors.js';

export { createVerifier, isVerifier } from './verifier.js';
export type { VerifiedToken, Verifier } from './verifier.js';
export { DEFAULT_CLOCK_TOLERANCE_SEC, DEFAULT_MAX_TOKEN_BYTES, MAX_CLOCK_TOLERANCE_SEC } from './verifier-options.js';
export type { Algorithm, AsymmetricAlgorithm, CustomVerifyFunction, SymmetricAlgorithm, VerifierOptions } from './verifier-options.js';
export { mapVerificationError } from './verification-errors.js';
export type { RemoteJwksOptions } from './remote-key-set.js';
export { DEFAULT_CACHE_MAX_AGE_SEC, DEFAULT_CACHE_MAX_ENTRIES } from './verified-token-cache.js';
export type { VerifiedTokenCacheOptions } from './verified-token-cache.js';

export { createAuthContext, defaultMapClaims, describe, describeContext } from './auth-context.js';
export type { AuthContext, ClaimsMapper, ContextDescription, MappedIdentity } from './auth-context.js';
/** jose's claims type, the bound of every claims generic (`AuthContext<TClaims>`): extend it for your own claims. */
export type { JWTPayload } from 'jose';

export { PermissionSet } from './permission-set.js';
export { allOf, anyOf, authorizeAction, compileRequirement, satisfies } from './permissions.js';
export type { AuthorizeArgs, AuthorizeHook, CompiledRequirement, PermissionRequirement } from './permissions.js';

export {
  DEFAULT_MAX_ROOM_NAME_LENGTH,
  ROOM_JOIN_ACTION,
  ROOM_STAY_ACTION,
  compileRoomPolicies,
} from './room-policy.js';
export type {
  RoomActionData,
  RoomLeave,
  RoomPolicies,
  RoomPolicy,
  RoomPolicyOptions,
  RoomRequirement,
  UnlistedRoomPolicy,
} from './room-policy.js';

export { ConnectionAuth, authenticateToken, outlivesRetention } from './connection-auth.js';
export type { ConnectionAuthEvents, ConnectionAuthOptions, ConnectionState } from './connection-auth.js';
export { ConnectionRegistry } from './connection-registry.js';

export {
  MAX_REEVALUATION_TARGETS,
  assertRevocationTime,
  parseReevaluationTargets,
  parseRevocationTarget,
  reevaluationTimeoutMs,
  revocationApplies,
  revokeTarget,
  runReevaluationHandlers,
} from './revocation.js';
export type {
  ReevaluationHandler,
  ReevaluationRequestOptions,
  ReevaluationResult,
  ReevaluationTargets,
  RevocationKind,
  RevocationListener,
  RevocationRecord,
  RevocationStore,
  RevocationSubject,
  RevocationTarget,
} from './revocation.js';
export { MemoryRevocationStore } from './memory-revocation-store.js';
export type { MemoryRevocationStoreOptions } from './memory-revocation-store.js';

export { assertKnownKeys, assertPlainObject, isPlainObject } from './option-keys.js';
export type { KnownKeys } from './option-keys.js';

export { SENSITIVE_QUERY_PARAMS, redactToken, redactTokenLike, redactUrl } from './redaction.js';

export { ERROR_EVENT, EXPIRING_EVENT, REFRESH_EVENT, ROOM_LEFT_EVENT, deniedAck, roomLeftPayload } from './protocol.js';
export type { ConnectErrorData, DeniedAck, ExpiringPayload, RefreshAck, RoomLeftPayload } from './protocol.js';

export { AuthSessions } from './auth-sessions.js';
export type { SessionTransport } from './session-transport.js';
export { SESSION_OPTION_KEYS } from './session-options.js';
export { adapterSessionOptions } from './adapter-session-options.js';
export type { AdapterSessionInput } from './adapter-session-options.js';
export type { EventGate, EventGateVerdict, OnContextChange, SessionOptions } from './session-options.js';
export { SESSION_HOOK_KEYS } from './session-hooks.js';
export type {
  AnonymousInfo,
  AuthFailureInfo,
  AuthenticatedInfo,
  ConnectionWhere,
  DowngradeInfo,
  DowngradeReason,
  ExpireInfo,
  FailureStage,
  ReauthInfo,
  ReleaseInfo,
  ReleaseReason,
  RevokeInfo,
  RoomLeftInfo,
  SessionHooks,
  VerifyInfo,
  VerifyStage,
} from './session-hooks.js';
export { causeOf } from './auth-logger.js';
export type { AuthLogRecord, AuthLogger, LogLevel } from './auth-logger.js';
export type { EventPermissions, UnlistedEventPolicy } from './event-policy.js';
export type { EventRateLimitOptions } from './event-rate-limit.js';
export { AUDIT_SCHEMA_VERSION, createAuditTrail } from './audit-trail.js';
export type { AuditEvent, AuditHooks, AuditLogger, AuditRecord, AuditSink, AuditTrailOptions } from './audit-trail.js';

export { bearerToken, cookieToken, pickToken, queryToken, resolveRequestTokenOptions, tokenValue } from './request-token.js';
export type { CookieTokenOptions, QueryTokenOption, RequestHeaders, RequestTokenOptions } from './request-token.js';

export { MAX_CLOSE_REASON_BYTES, WS_CLOSE_CODES, closeCodeAction, closeCodeFor, closeReason } from './ws-close-codes.js';
export {
  ACK_TYPE,
  BAD_REQUEST,
  DEFAULT_MAX_PAYLOAD_BYTES,
  badRequest,
  decodeFrame,
  encodeAck,
  encodeFrame,
  isEnvelopeId,
} from './ws-envelope.js';
export type { AckEnvelope, BadRequestAck, DecodedFrame, Envelope, EnvelopeId } from './ws-envelope.js';
export {
  BEARER_SUBPROTOCOL_PREFIX,
  PROBE_ANSWER_CODE,
  PROBE_FRAME,
  PROBE_ID,
  SUBPROTOCOL,
  bearerSubprotocols,
} from './ws-subprotocol.js';
