import { parseRevocationTarget, type AuthErrorCode, type RevocationTarget } from '@sockauth/core';

/**
 * The rules of the demos' HTTP API (DEMO-CONTRACT "HTTP") that do not depend on how a server parses requests:
 * limits, the admin permission and the error codes of `{ error: { code, message } }` bodies. Each demo enforces
 * them its own way (plain `node:http` parsing, Nest DTOs and pipes).
 */

/** Request bodies larger than this get 413. */
export const MAX_BODY_BYTES = 16 * 1024;
/** Longest accepted user name (`POST /auth/login`). */
export const MAX_USER_LENGTH = 64;
/** Longest accepted refresh token (`POST /auth/refresh`); the demo's are much shorter. */
export const MAX_REFRESH_TOKEN_LENGTH = 512;
/** The permission `POST /auth/revoke` needs. */
export const ADMIN_PERMISSION = 'chat:admin';

/** Error codes of the HTTP API: the sockauth taxonomy for authentication, plain HTTP names otherwise. */
export type HttpErrorCode =
  | AuthErrorCode
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'INTERNAL';

/** The HTTP status of a sockauth error on an HTTP endpoint: 503 when nothing was decided, else 401. */
export function authErrorStatus(code: AuthErrorCode): 401 | 503 {
  return code === 'AUTH_UNAVAILABLE' ? 503 : 401;
}

/**
 * The target of a `POST /auth/revoke` body: exactly one of `subject`, `sessionId`, `tokenId`, by core's own rule
 * (`parseRevocationTarget`), so the demos cannot drift from what `revoke()` accepts. Throws a `TypeError` whose
 * message the demos send back with their 400.
 *
 * @example
 * ```ts
 * revocationTargetOf({ subject: 'alice' }); // → { subject: 'alice' }
 * ```
 */
export function revocationTargetOf(body: Readonly<Record<string, unknown>>): RevocationTarget {
  let parsed: ReturnType<typeof parseRevocationTarget>;
  try {
    parsed = parseRevocationTarget({ subject: body['subject'], sessionId: body['sessionId'], tokenId: body['tokenId'] });
  } catch (error) {
    throw new TypeError((error as Error).message.replace(/^revoke: /, ''));
  }
  const { kind, id } = parsed;
  return kind === 'subject' ? { subject: id } : kind === 'session' ? { sessionId: id } : { tokenId: id };
}
