/**
 * Tokens in an HTTP upgrade request, the sources every transport shares: the `Authorization: Bearer` header, a
 * cookie (only from allowed origins, a name sent twice with different values refused) and a query parameter (off
 * by default, redacted afterwards). An adapter collects what its enabled sources found, its own ones included
 * (Socket.IO's `auth` payload, the WebSocket subprotocol), and {@link pickToken} decides: one token, or a refusal.
 * Identities are never merged.
 */
import { parse as parseCookie } from 'cookie';
import { AuthInvalidError, AuthMissingError } from './errors.js';
import { assertKnownKeys, assertPlainObject, type KnownKeys } from './option-keys.js';

/**
 * Cookie authentication: the cookie's name and the origins allowed to use it.
 *
 * @example
 * ```ts
 * const cookie: CookieTokenOptions = { name: 'access_token', allowedOrigins: ['https://app.example.com'] };
 * ```
 */
export interface CookieTokenOptions {
  /** Name of the cookie holding the token. */
  readonly name: string;
  /**
   * Origins (`https://app.example.com`) allowed to authenticate with the cookie, or a predicate. A handshake
   * that would use the cookie from any other origin, or with no `Origin` header, is refused: browsers attach
   * cookies to cross-site WebSocket handshakes, so this is what prevents cross-site WebSocket hijacking.
   */
  readonly allowedOrigins: readonly string[] | ((origin: string) => boolean);
}

/**
 * Query tokens: `true` for `?token=`, `{ param }` for another name. Off by default: URLs end up in proxy and server
 * logs.
 */
export type QueryTokenOption = boolean | { readonly param: string };

/** Every option of {@link CookieTokenOptions}: the typecheck fails if the two drift apart. */
const COOKIE_OPTION_KEYS = { name: true, allowedOrigins: true } as const satisfies KnownKeys<CookieTokenOptions>;

/** Every option of the object form of {@link QueryTokenOption}. */
const QUERY_TOKEN_OPTION_KEYS = { param: true } as const satisfies KnownKeys<Exclude<QueryTokenOption, boolean>>;

/** Request headers as Node parses them (`IncomingMessage['headers']`). */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Resolved cookie and query settings of a transport, from {@link resolveRequestTokenOptions}. */
export interface RequestTokenOptions {
  readonly cookie: CookieTokenOptions | undefined;
  /** Query tokens are accepted. */
  readonly query: boolean;
  /** Their parameter name (`token` unless configured): also the one redacted. */
  readonly queryParam: string;
}

/**
 * Validates the `cookie` and `allowQueryToken` options of a transport (a `TypeError` naming the option on a
 * mistake, at start-up). `where` names the options object in messages (`createWsAuth options`).
 *
 * @example
 * ```ts
 * const tokens = resolveRequestTokenOptions('createWsAuth options', { allowQueryToken: { param: 'access_token' } });
 * ```
 */
export function resolveRequestTokenOptions(
  where: string,
  options: { readonly cookie?: CookieTokenOptions | undefined; readonly allowQueryToken?: QueryTokenOption | undefined },
): RequestTokenOptions {
  const query = options.allowQueryToken;
  // A truthy string such as 'false' must not switch query tokens on.
  if (query !== undefined && typeof query !== 'boolean') {
    assertPlainObject(`${where}.allowQueryToken (true, false or { param })`, query as unknown);
    assertKnownKeys(`${where}.allowQueryToken`, query, QUERY_TOKEN_OPTION_KEYS);
  }
  const queryParam = typeof query === 'object' && query !== null ? query.param : 'token';
  if (typeof queryParam !== 'string' || queryParam.length === 0) {
    throw new TypeError('sockauth: "allowQueryToken.param" must be a non-empty string');
  }
  const cookie = options.cookie;
  if (cookie !== undefined) {
    assertPlainObject(`${where}.cookie`, cookie as unknown);
    assertKnownKeys(`${where}.cookie`, cookie, COOKIE_OPTION_KEYS);
    if (typeof cookie.name !== 'string' || cookie.name.length === 0) {
      throw new TypeError('sockauth: "cookie.name" is required');
    }
    if (!Array.isArray(cookie.allowedOrigins) && typeof cookie.allowedOrigins !== 'function') {
      throw new TypeError('sockauth: "cookie.allowedOrigins" (a list or a predicate) is required with cookie auth');
    }
  }
  return Object.freeze({ cookie, query: query !== undefined && query !== false, queryParam });
}

/**
 * The token of an `Authorization: Bearer <token>` header, or `undefined`.
 *
 * @example
 * ```ts
 * bearerToken(req.headers.authorization); // 'eyJ…' for 'Bearer eyJ…'
 * ```
 */
export function bearerToken(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}

/**
 * The token in cookie `cookie.name`, or `undefined`. Refuses (`AUTH_INVALID`) a cookie token from an origin the
 * options do not allow, or with no `Origin` header, and a name sent twice with different values: a browser sends
 * every cookie the path and domain match, so a sibling subdomain or a more specific path can plant a second cookie
 * of that name ahead of the real one ("cookie tossing"); taking either one would let that cookie pick the identity.
 *
 * @example
 * ```ts
 * cookieToken(req.headers, { name: 'access_token', allowedOrigins: ['https://app.example.com'] });
 * ```
 */
export function cookieToken(headers: RequestHeaders, cookie: CookieTokenOptions): string | undefined {
  const token = readCookie(headers['cookie'], cookie.name);
  if (token !== undefined && !originAllowed(headers['origin'], cookie.allowedOrigins)) {
    throw new AuthInvalidError('cookie authentication from a foreign origin');
  }
  return token;
}

/**
 * The token in query parameter `param` of a request URL (`/ws?token=…`), or `undefined`. The parameter given twice
 * with different values is refused (`AUTH_INVALID`), like two different tokens anywhere else.
 *
 * @example
 * ```ts
 * queryToken('/ws?room=lobby&token=eyJ…', 'token'); // 'eyJ…'
 * ```
 */
export function queryToken(url: string | undefined, param: string): string | undefined {
  if (typeof url !== 'string') return undefined;
  const start = url.indexOf('?');
  if (start === -1) return undefined;
  const end = url.indexOf('#', start);
  const values = new URLSearchParams(url.slice(start + 1, end === -1 ? undefined : end)).getAll(param);
  return pickToken(values.filter((value) => value !== ''), true);
}

/**
 * A token source's raw value as a token: `undefined` for nothing (`undefined`, `null`, `''`), the string itself,
 * and a refusal (`AUTH_INVALID`) for anything else.
 *
 * @example
 * ```ts
 * tokenValue(handshake.auth.token); // throws AuthInvalidError for { token: 42 }
 * ```
 */
export function tokenValue(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new AuthInvalidError('token must be a string');
  return value;
}

/**
 * The one token among those the sources found: `AUTH_MISSING` when there is none (unless `optional`, then
 * `undefined`), `AUTH_INVALID` when two differ (identities are never merged).
 *
 * @example
 * ```ts
 * const token = pickToken([bearerToken(req.headers.authorization), subprotocolToken].filter(Boolean));
 * ```
 */
export function pickToken(found: readonly string[], optional: true): string | undefined;
export function pickToken(found: readonly string[], optional?: false): string;
export function pickToken(found: readonly string[], optional = false): string | undefined {
  const [token] = found;
  if (token === undefined) {
    if (optional) return undefined;
    throw new AuthMissingError();
  }
  if (found.some((other) => other !== token)) throw new AuthInvalidError('different tokens presented in one handshake');
  return token;
}

/** `parse` keeps only the first of several same-named cookies: one pair per call, to see every occurrence. */
function readCookie(header: unknown, name: string): string | undefined {
  if (typeof header !== 'string') return undefined;
  let value: string | undefined;
  for (const pair of header.split(';')) {
    const found = parseCookie(pair)[name];
    if (found === undefined) continue;
    if (value !== undefined && found !== value) throw new AuthInvalidError('cookie sent twice with different values');
    value = found;
  }
  return value;
}

function originAllowed(origin: unknown, allowed: CookieTokenOptions['allowedOrigins']): boolean {
  if (typeof origin !== 'string' || origin.length === 0) return false;
  return typeof allowed === 'function' ? allowed(origin) === true : allowed.includes(origin);
}
