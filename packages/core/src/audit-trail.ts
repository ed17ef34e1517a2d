import type { AuthErrorCode } from './errors.js';
import { assertKnownKeys, assertPlainObject, type KnownKeys } from './option-keys.js';
import { redactTokenLike } from './redaction.js';
import type { RevocationKind } from './revocation.js';
import type { ConnectionIdentity, ConnectionWhere, SessionHooks } from './session-hooks.js';

/** The version of {@link AuditRecord}'s schema, in every record: bumped when a field changes meaning or goes away. */
export const AUDIT_SCHEMA_VERSION = 1;

/**
 * What an audit record is about. Every authenticated socket has one `*.accepted` record, then exactly one
 * `released` record when it stops being authenticated (whatever the reason); cuts, re-auths, refusals, lost
 * permissions and room evictions come in between.
 */
export type AuditEvent =
  | 'handshake.accepted'
  | 'handshake.refused'
  | 'recovery.accepted'
  | 'recovery.refused'
  | 'reauth.accepted'
  | 'reauth.refused'
  | 'event.refused'
  | 'join.refused'
  | 'room.left'
  | 'permissions.lost'
  | 'cut.expired'
  | 'cut.revoked'
  | 'released';

/**
 * One auth decision that changed what a socket may do, as an audit trail records it. Built field by field from
 * the identifiers the hook payloads carry: never a token, a header, a cookie or a claim value other than the
 * identifiers below. Optional fields are absent (not `undefined`) when they do not apply or are unknown.
 */
export interface AuditRecord {
  /** Always `'sockauth'`: filter your log stream on it. */
  readonly audit: 'sockauth';
  /** {@link AUDIT_SCHEMA_VERSION}. */
  readonly schemaVersion: typeof AUDIT_SCHEMA_VERSION;
  readonly event: AuditEvent;
  /**
   * When it was decided (ms since the epoch). Set for a function sink; a logger sink stamps its own `time` (pino
   * does, in ms by default), so the record does not carry a second one.
   */
  readonly time?: number;
  /** The socket (Socket.IO: `socket.id`, unique per socket and namespace). */
  readonly socketId: string;
  readonly namespace?: string;
  /** The subject of the verified context in force: never read from a refused token (absent on a refused handshake). */
  readonly subject?: string;
  /** The context's session id (`sid`). */
  readonly sessionId?: string;
  /** The context's token id (`jti`): after `reauth.accepted`, the new token's. */
  readonly tokenId?: string;
  /** The refusal or cut code. */
  readonly code?: AuthErrorCode;
  /**
   * For `released`: why the socket stopped being authenticated (`disconnect`, `expired`, `revoked`…). For
   * `permissions.lost`: what replaced the context (`reauth`, `reevaluate`).
   */
  readonly reason?: string;
  /** For `cut.revoked`: what the revocation matched. */
  readonly revocation?: RevocationKind;
  /** For `cut.revoked`: when the revocation was recorded (ms since the epoch). */
  readonly revokedAt?: number;
  /** For `*.accepted`: when the context ends (ms since the epoch). */
  readonly expiresAt?: number;
  /** For `reauth.accepted`: the context's new version (1 at the handshake, +1 per re-auth). */
  readonly contextVersion?: number;
  /** For `event.refused`: the refused event's name. Client-chosen, so passed through `redactTokenLike`. */
  readonly eventName?: string;
  /** For `room.left` and `join.refused`: the room (client-chosen: passed through `redactTokenLike`). */
  readonly room?: string;
  /**
   * For `permissions.lost`: the permissions the previous context granted and the new one does not (wildcards
   * count as themselves), sorted; each cut at 256 characters, at most 64.
   */
  readonly permissionsLost?: readonly string[];
}

/** The identifiers every payload carries (the hooks give what they have). */
type Identified = ConnectionWhere & Partial<ConnectionIdentity>;

/** The hooks an audit trail implements: core's {@link SessionHooks}, the same on every adapter. */
export type AuditHooks = SessionHooks;

/** A pino-compatible logger: the audit trail calls one method (`info` unless `level` says otherwise) as `(obj, msg)`. */
export interface AuditLogger {
  info(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
  warn?(obj: object, msg?: string): void;
  error?(obj: object, msg?: string): void;
}

/** Where audit records go: a pino-compatible logger, or a function. */
export type AuditSink = AuditLogger | ((record: AuditRecord) => void);

/** Options of {@link createAuditTrail}. */
export interface AuditTrailOptions {
  /** The logger method records are written with (default `'info'`); ignored for a function sink. */
  readonly level?: 'debug' | 'info' | 'warn' | 'error';
  /** The clock stamping `time` for a function sink (default `Date.now`). */
  readonly now?: () => number;
}

const AUDIT_TRAIL_OPTION_KEYS = { level: true, now: true } as const satisfies KnownKeys<AuditTrailOptions>;
const LEVELS: readonly string[] = ['debug', 'info', 'warn', 'error'];

/** Identifiers sockauth got from a verified token or the transport: bounded, never inspected further. */
const MAX_IDENTIFIER_LENGTH = 256;
/** Permission names a `permissions.lost` record lists at most (a token's grants are the issuer's, not bounded). */
const MAX_LOST_PERMISSIONS = 64;

/** A client-chosen name (event, room), fingerprinted when token-shaped. */
function clientName(value: unknown): string | undefined {
  return typeof value === 'string' ? redactTokenLike(value) : undefined;
}

function identifier(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return value.length > MAX_IDENTIFIER_LENGTH ? `${value.slice(0, MAX_IDENTIFIER_LENGTH)}…` : value;
}

function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Creates the hooks of an audit trail: each auth decision that changes what a socket may do (handshake accepted
 * or refused, re-auth, refused event or join, permissions lost, room eviction, expiry and revocation cuts, release) becomes ONE
 * {@link AuditRecord} handed to `sink`, a pino-compatible logger (`info(record, 'sockauth audit: <event>')`) or a
 * function. Records carry identifiers only (socket, namespace, subject, session and token ids, codes), copied
 * field by field from the hook payloads; client-chosen names are fingerprinted when token-shaped. A sink that
 * throws never breaks authentication. Combine it with other hooks (metrics) with `combineHooks`.
 *
 * @throws TypeError at creation when `sink` is neither a function nor a logger with the chosen method, or when
 * an option is unknown or invalid.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * import { createAuditTrail } from '@sockauth/core';
 * import { combineHooks, prometheusHooks } from '@sockauth/metrics';
 *
 * const audit = pino({ name: 'sockauth-audit' });
 * sockAuth(io, { verifier, hooks: combineHooks(prometheusHooks({ client, registry }), createAuditTrail(audit)) });
 * // {"level":30,"time":…,"audit":"sockauth","schemaVersion":1,"event":"handshake.accepted","socketId":"…",
 * //  "namespace":"/","subject":"alice","sessionId":"s-1","tokenId":"j-1","msg":"sockauth audit: handshake.accepted"}
 * ```
 */
export function createAuditTrail(sink: AuditSink, options: AuditTrailOptions = {}): AuditHooks {
  const given: unknown = options;
  assertPlainObject('createAuditTrail options', given);
  assertKnownKeys('createAuditTrail options', given, AUDIT_TRAIL_OPTION_KEYS);
  const level = options.level ?? 'info';
  if (typeof level !== 'string' || !LEVELS.includes(level)) throw new TypeError('sockauth: createAuditTrail option "level" must be debug, info, warn or error');
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new TypeError('sockauth: createAuditTrail option "now" must be a function');
  const write = sinkWriter(sink, level, now);

  const record = (event: AuditEvent, info: Identified, fields: Partial<Mutable<AuditRecord>> = {}): void => {
    const out: Mutable<AuditRecord> = { audit: 'sockauth', schemaVersion: AUDIT_SCHEMA_VERSION, event, socketId: identifier(info.socketId) ?? '' };
    const namespace = identifier(info.namespace);
    const subject = identifier(info.subject);
    const sessionId = identifier(info.sessionId);
    const tokenId = identifier(info.tokenId);
    if (namespace !== undefined) out.namespace = namespace;
    if (subject !== undefined && subject !== '') out.subject = subject;
    if (sessionId !== undefined) out.sessionId = sessionId;
    if (tokenId !== undefined) out.tokenId = tokenId;
    for (const [key, value] of Object.entries(fields)) if (value !== undefined) (out as Record<string, unknown>)[key] = value;
    try {
      write(out);
    } catch {
      // An audit sink that fails must not break authentication (the adapter would swallow it too).
    }
  };

  return {
    onAuthenticated: (info) =>
      record(info.stage === 'recovery' ? 'recovery.accepted' : 'handshake.accepted', info, { expiresAt: finite(info.expiresAt) }),
    onAuthFailure: (info) =>
      record(`${info.stage}.refused` as AuditEvent, info, {
        code: info.code,
        eventName: info.stage === 'event' ? clientName(info.event) : undefined,
        room: clientName(info.room),
      }),
    onReauth: (info) =>
      record('reauth.accepted', info, { contextVersion: finite(info.version), expiresAt: finite(info.expiresAt) }),
    onRoomLeft: (info) => record('room.left', info, { room: clientName(info.room), code: info.code }),
    onDowngrade: (info) =>
      record('permissions.lost', info, {
        reason: identifier(info.reason),
        contextVersion: finite(info.version),
        permissionsLost: Array.isArray(info.lost) ? info.lost.slice(0, MAX_LOST_PERMISSIONS).flatMap((p) => identifier(p) ?? []) : undefined,
      }),
    onExpire: (info) => record('cut.expired', info, { code: 'AUTH_EXPIRED' }),
    onRevoke: (info) => record('cut.revoked', info, { code: 'AUTH_REVOKED', revocation: info.kind, revokedAt: finite(info.revokedAt) }),
    onRelease: (info) => record('released', info, { reason: identifier(info.reason) }),
  };
}

/** Checks the sink once, at creation, and returns how one record is written. */
function sinkWriter(sink: AuditSink, level: string, now: () => number): (record: Mutable<AuditRecord>) => void {
  if (typeof sink === 'function') {
    return (record) => {
      record.time = now();
      sink(record);
    };
  }
  const method = typeof sink === 'object' && sink !== null ? (sink as unknown as Record<string, unknown>)[level] : undefined;
  if (typeof method !== 'function') {
    throw new TypeError(`sockauth: createAuditTrail "sink" must be a function or a pino-compatible logger with a ${level}(obj, msg) method`);
  }
  return (record) => method.call(sink, record, `sockauth audit: ${record.event}`);
}
