import {
  bearerToken,
  cookieToken,
  pickToken,
  redactUrl,
  resolveRequestTokenOptions,
  tokenValue,
  type CookieTokenOptions,
} from '@sockauth/core';
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

export type { CookieTokenOptions };

/** The options the extraction reads (a part of `SockAuthOptions`, declared here so neither file imports the other). */
export interface TokenSourceOptions {
  readonly tokenSources?: readonly TokenSource[];
  readonly cookie?: CookieTokenOptions;
  readonly allowQueryToken?: boolean | { readonly param: string };
}

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
  return pickToken(found);
}

function collectTokens(handshake: HandshakeLike, extraction: TokenExtraction, found: string[]): void {
  for (const source of extraction.sources) {
    let token: string | undefined;
    if (typeof source === 'function') token = tokenValue(source(handshake));
    else if (source === 'auth') token = tokenValue(handshake.auth?.['token']);
    else if (source === 'header') token = bearerToken(handshake.headers['authorization']);
    else if (source === 'query') token = tokenValue(handshake.query?.[extraction.queryParam]);
    else token = tokenValue(cookieToken(handshake.headers, extraction.cookie!));
    if (token !== undefined) found.push(token);
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
export function resolveExtraction(options: TokenSourceOptions): TokenExtraction {
  const { cookie, query, queryParam } = resolveRequestTokenOptions('sockAuth options', options);
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
