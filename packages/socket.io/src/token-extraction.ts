import { AuthInvalidError, AuthMissingError, assertKnownKeys, assertPlainObject, redactUrl, type KnownKeys } from '@sockauth/core';
import { parse as parseCookie } from 'cookie';
import type { SockAuthOptions } from './options.js';
import { engineQueryOf } from './socket-io-internals.js';

/**
 * A custom handshake token source: returns the token found in `handshake`, or `undefined`/`null` when there is
 * none. It runs with the built-in sources (two different tokens still refuse the handshake), before redaction.
 * It is responsible for its own safety: never read a cookie here (use `cookie`, which checks the `Origin`), and
 * prefer headers to the query string.
 *
 * @example
 * ```ts
 * const fromApiKeyHeader: TokenExtractor = (handshake) => handshake.headers['x-access-token'];
 * sockAuth(io, { verifier, tokenSources: ['auth', fromApiKeyHeader] });
 * ```
 */
export type TokenExtractor = (handshake: Readonly<HandshakeLike>) => unknown;

/** Where a handshake token may come from. */
export type TokenSource = 'auth' | 'header' | 'cookie' | 'query' | TokenExtractor;

/** Cookie authentication: the cookie's name and the origins allowed to use it. */
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

/** Every option of {@link CookieTokenOptions}: the typecheck fails if the two drift apart. */
const COOKIE_OPTION_KEYS = { name: true, allowedOrigins: true } as const satisfies KnownKeys<CookieTokenOptions>;

/** Every option of the object form of `allowQueryToken`. */
const QUERY_TOKEN_OPTION_KEYS = { param: true } as const satisfies KnownKeys<
  Exclude<SockAuthOptions['allowQueryToken'], boolean | undefined>
>;

/** Resolved extraction settings. */
export interface TokenExtraction {
  readonly sources: readonly TokenSource[];
  readonly cookie: CookieTokenOptions | undefined;
  readonly queryParam: string;
}

/** The parts of a Socket.IO handshake the extraction reads (and redacts). */
export interface HandshakeLike {
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, unknown>;
  auth: Record<string, unknown>;
  url: string;
}

/**
 * The Engine.IO request a handshake came from (`socket.request`, shared by every socket of the connection). Its URL
 * and parsed query (Socket.IO 4 hands the very same query object to each handshake) carry a query token too.
 */
export interface EngineRequestLike {
  url?: string;
  _query?: Record<string, unknown>;
}

const REDACTED = '[redacted]';

/**
 * The URL and query of Engine.IO requests as they were before redaction, for the next handshakes over the same
 * connection (another namespace): they must find the token where the first one did. Only requests that had
 * something redacted are kept, for as long as the request lives.
 */
const originals = new WeakMap<EngineRequestLike, { readonly url: string | undefined; readonly query: Record<string, unknown> | undefined }>();

function bearer(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}

/**
 * The value of cookie `name` in a `Cookie` header, parsed by the `cookie` package (whitespace trimmed, percent-decoded
 * when valid, as it was set with `encodeURIComponent`). A name sent twice with different values is refused: a browser
 * sends every cookie the path and domain match, so a sibling subdomain or a more specific path can plant a second
 * `name` cookie ahead of the real one ("cookie tossing"); taking either one would let that cookie pick the identity.
 */
function readCookie(header: unknown, name: string): string | undefined {
  if (typeof header !== 'string') return undefined;
  let value: string | undefined;
  // `parse` keeps only the first of several same-named cookies: one pair per call, to see every occurrence.
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

/**
 * Finds the handshake token in the enabled sources. Refuses with `AUTH_INVALID` when two sources carry
 * different tokens (identities are never merged) or when a cookie token comes from a foreign origin; with
 * `AUTH_MISSING` when there is none. Afterwards the token is redacted from `handshake.auth`,
 * `handshake.query` and `handshake.url`, and from the URL and parsed query of `request` (the Engine.IO request,
 * `socket.request`), so application code that logs the handshake or the request cannot leak it.
 */
export function extractToken(handshake: HandshakeLike, extraction: TokenExtraction, request?: EngineRequestLike): string {
  const found: string[] = [];
  if (request !== undefined) ownCopies(handshake, request, extraction);
  try {
    collectTokens(handshake, extraction, found);
  } finally {
    // Also when a source refuses the handshake (foreign origin, a non-string token): whatever reads the
    // handshake afterwards (another middleware, a log line) must not find the token either.
    redactHandshake(handshake, extraction);
    if (request !== undefined) redactRequest(request, extraction);
  }
  if (found.length === 0) throw new AuthMissingError();
  const [token] = found;
  if (found.some((other) => other !== token)) {
    throw new AuthInvalidError('different tokens presented in one handshake');
  }
  return token!;
}

function collectTokens(handshake: HandshakeLike, extraction: TokenExtraction, found: string[]): void {
  for (const source of extraction.sources) {
    let token: unknown;
    if (typeof source === 'function') {
      token = source(handshake);
      if (token === undefined || token === null || token === '') continue;
      if (typeof token !== 'string') throw new AuthInvalidError('token must be a string');
      found.push(token);
      continue;
    }
    switch (source) {
      case 'auth':
        token = handshake.auth?.['token'];
        break;
      case 'header':
        token = bearer(handshake.headers['authorization']);
        break;
      case 'query':
        token = handshake.query?.[extraction.queryParam];
        break;
      case 'cookie': {
        const cookie = extraction.cookie!;
        token = readCookie(handshake.headers['cookie'], cookie.name);
        if (token !== undefined && !originAllowed(handshake.headers['origin'], cookie.allowedOrigins)) {
          throw new AuthInvalidError('cookie authentication from a foreign origin');
        }
        break;
      }
    }
    if (token === undefined || token === null || token === '') continue;
    if (typeof token !== 'string') throw new AuthInvalidError('token must be a string');
    found.push(token);
  }
}

function redactHandshake(handshake: HandshakeLike, extraction: TokenExtraction): void {
  if (handshake.auth && handshake.auth['token'] !== undefined && handshake.auth['token'] !== null) handshake.auth['token'] = REDACTED;
  if (handshake.query && handshake.query[extraction.queryParam] !== undefined) {
    handshake.query[extraction.queryParam] = REDACTED;
  }
  if (typeof handshake.url === 'string') handshake.url = redactUrl(handshake.url, [extraction.queryParam]);
}

/**
 * Gives `handshake` its own URL and query as the client sent them: the request's once it was redacted by an earlier
 * handshake over the same connection, and never the request's query object itself when a token is to be redacted
 * from it (redacting one must not redact the other behind its back). No copy when there is nothing to redact.
 */
function ownCopies(handshake: HandshakeLike, request: EngineRequestLike, extraction: TokenExtraction): void {
  const original = originals.get(request);
  if (original !== undefined) {
    if (original.url !== undefined) handshake.url = original.url;
    handshake.query = { ...original.query };
  } else if (handshake.query === engineQueryOf(request) && handshake.query?.[extraction.queryParam] !== undefined) {
    handshake.query = { ...handshake.query };
  }
}

/** Redacts the token from the Engine.IO request's URL and parsed query, keeping the path and every other value. */
function redactRequest(request: EngineRequestLike, extraction: TokenExtraction): void {
  if (originals.has(request)) return;
  const url = request.url;
  const query = engineQueryOf(request);
  const redactedUrl = typeof url === 'string' ? redactUrl(url, [extraction.queryParam]) : url;
  const inQuery = query !== undefined && query !== null && query[extraction.queryParam] !== undefined;
  if (redactedUrl === url && !inQuery) return;
  originals.set(request, { url, query: query && { ...query } });
  request.url = redactedUrl;
  if (inQuery) query[extraction.queryParam] = REDACTED;
}

/**
 * Validates the token-source options of `createSockAuth` and resolves the sources in order (default
 * `['auth', 'header']`, plus `'cookie'`/`'query'` when configured). Throws `TypeError` on a mistake, at start-up.
 */
export function resolveExtraction(options: Pick<SockAuthOptions, 'allowQueryToken' | 'cookie' | 'tokenSources'>): TokenExtraction {
  const query = options.allowQueryToken;
  // A truthy string such as 'false' must not switch query tokens on.
  if (query !== undefined && typeof query !== 'boolean') {
    assertPlainObject('sockAuth options.allowQueryToken (true, false or { param })', query as unknown);
    assertKnownKeys('sockAuth options.allowQueryToken', query, QUERY_TOKEN_OPTION_KEYS);
  }
  const queryParam = typeof query === 'object' && query !== null ? query.param : 'token';
  if (typeof queryParam !== 'string' || queryParam.length === 0) {
    throw new TypeError('sockauth: "allowQueryToken.param" must be a non-empty string');
  }
  const cookie = options.cookie;
  if (cookie !== undefined) {
    assertPlainObject('sockAuth options.cookie', cookie as unknown);
    assertKnownKeys('sockAuth options.cookie', cookie, COOKIE_OPTION_KEYS);
    if (typeof cookie.name !== 'string' || cookie.name.length === 0) {
      throw new TypeError('sockauth: "cookie.name" is required');
    }
    if (!Array.isArray(cookie.allowedOrigins) && typeof cookie.allowedOrigins !== 'function') {
      throw new TypeError('sockauth: "cookie.allowedOrigins" (a list or a predicate) is required with cookie auth');
    }
  }
  const defaults: TokenSource[] = ['auth', 'header'];
  if (cookie !== undefined) defaults.push('cookie');
  if (query) defaults.push('query');
  const sources = options.tokenSources ?? defaults;
  if (!Array.isArray(sources)) throw new TypeError('sockauth: "tokenSources" must be an array');
  for (const source of sources) {
    if (typeof source === 'function') continue;
    if (!['auth', 'header', 'cookie', 'query'].includes(source)) {
      throw new TypeError(`sockauth: unknown token source ${JSON.stringify(source)}`);
    }
    if (source === 'cookie' && cookie === undefined) throw new TypeError('sockauth: token source "cookie" needs "cookie" options');
    if (source === 'query' && !query) throw new TypeError('sockauth: token source "query" needs "allowQueryToken"');
  }
  return Object.freeze({ sources: Object.freeze([...sources]), cookie, queryParam });
}
