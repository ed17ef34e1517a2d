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
 * Works on relative URLs such as Socket.IO's `handshake.url`. Unparseable input becomes `[unparseable url]`.
 *
 * @example
 * ```ts
 * redactUrl('/socket.io/?EIO=4&token=eyJ...'); // '/socket.io/?EIO=4&token=[redacted]'
 * ```
 */
export function redactUrl(url: string, extraParams: readonly string[] = []): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return url;
  const hashStart = url.indexOf('#', queryStart);
  const query = url.slice(queryStart + 1, hashStart === -1 ? undefined : hashStart);
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
