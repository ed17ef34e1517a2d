import { createHash } from 'node:crypto';

/**
 * A log-safe stand-in for a token: its length and a short, non-reversible fingerprint (first 8 hex characters
 * of its SHA-256), so log lines about the same token can be correlated without revealing any of it.
 *
 * @example
 * ```ts
 * redactToken(token); // '[token sha256:1f2e3d4c, 187 bytes]'
 * ```
 */
export function redactToken(token: unknown): string {
  if (typeof token !== 'string' || token.length === 0) return '[no token]';
  const fingerprint = createHash('sha256').update(token).digest('hex').slice(0, 8);
  return `[token sha256:${fingerprint}, ${Buffer.byteLength(token)} bytes]`;
}

/** Names longer than this are fingerprinted, never cut: a cut name could still hold part of a token. */
const MAX_NAME_LENGTH = 100;
/** A run of base64url characters this long that mixes cases and digits is token-shaped (any part of a JWT is). */
const TOKEN_RUN = /[A-Za-z0-9_-]{24,}/g;
/** `eyJ` starts every JSON header or payload in base64url; control and format characters never belong in a name. */
const NEVER_IN_A_NAME = /eyJ[A-Za-z0-9_-]|[\p{Cc}\p{Cf}]/u;

function tokenShaped(text: string): boolean {
  if (NEVER_IN_A_NAME.test(text)) return true;
  for (const [run] of text.matchAll(TOKEN_RUN)) if (/[A-Z]/.test(run) && /[a-z]/.test(run) && /\d/.test(run)) return true;
  return false;
}

/**
 * A name the client chose (an event name, a room) made fit for a log: as is when it is short and name-like; its
 * {@link redactToken} fingerprint when it is longer than 100 characters, contains `eyJ` or a control character,
 * or has a run of 24 or more base64url characters mixing upper case, lower case and digits. A client that names
 * an event with its token therefore cannot write the token, or a piece of it, to the logs. Decided on the whole
 * name, before any truncation.
 *
 * @example
 * ```ts
 * redactTokenLike('chat:send');           // 'chat:send'
 * redactTokenLike('staff-engineering');   // 'staff-engineering'
 * redactTokenLike('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOi…'); // '[token sha256:1f2e3d4c, 187 bytes]'
 * ```
 */
export function redactTokenLike(text: string): string {
  return text.length > MAX_NAME_LENGTH || tokenShaped(text) ? redactToken(text) : text;
}

/** Query parameters whose values are always redacted by {@link redactUrl}. */
export const SENSITIVE_QUERY_PARAMS: readonly string[] = Object.freeze([
  'token',
  'access_token',
  'id_token',
  'refresh_token',
  'jwt',
  'auth',
  'authorization',
]);

/**
 * Redacts the values of sensitive query parameters (`token`, `access_token`, …) in a URL or path.
 * Works on relative URLs such as Socket.IO's `handshake.url`. The fragment is dropped. A URL with nothing to
 * redact comes back unchanged (same string); otherwise the query is re-encoded.
 *
 * @example
 * ```ts
 * redactUrl('/socket.io/?EIO=4&token=eyJ...'); // '/socket.io/?EIO=4&token=[redacted]'
 * ```
 */
export function redactUrl(url: string, extraParams: readonly string[] = []): string {
  // A fragment never reaches a server but may carry a token (OAuth's implicit flow puts `access_token` there).
  const hashStart = url.indexOf('#');
  const base = hashStart === -1 ? url : url.slice(0, hashStart);
  const queryStart = base.indexOf('?');
  if (queryStart === -1) return base;
  const query = base.slice(queryStart + 1);
  // Every handshake URL passes here: without '%' or '+' the parsed names are the raw text, so a query that does not
  // contain any sensitive name has nothing to redact and is returned as is, without parsing it.
  if (!query.includes('%') && !query.includes('+') && !mentionsAny(query.toLowerCase(), extraParams)) return base;
  const sensitive = new Set([...SENSITIVE_QUERY_PARAMS, ...extraParams.map((p) => p.toLowerCase())]);
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(query);
  } catch {
    return '[unparseable url]';
  }
  const parts: string[] = [];
  for (const [key, value] of params) {
    const safeValue = sensitive.has(key.toLowerCase()) ? '[redacted]' : encodeURIComponent(value);
    parts.push(`${encodeURIComponent(key)}=${safeValue}`);
  }
  return `${url.slice(0, queryStart)}?${parts.join('&')}`;
}

function mentionsAny(lowerQuery: string, extraParams: readonly string[]): boolean {
  for (const name of SENSITIVE_QUERY_PARAMS) if (lowerQuery.includes(name)) return true;
  for (const name of extraParams) if (lowerQuery.includes(name.toLowerCase())) return true;
  return false;
}
