import type { IncomingMessage } from 'node:http';
import {
  BEARER_SUBPROTOCOL_PREFIX,
  bearerToken,
  cookieToken,
  pickToken,
  queryToken,
  redactUrl,
  resolveRequestTokenOptions,
  tokenValue,
  type CookieTokenOptions,
  type QueryTokenOption,
} from '@sockauth/core';

/**
 * A custom token source: returns the token found in the upgrade request, or `undefined`/`null` when there is none.
 * It runs with the built-in sources (two different tokens still refuse the upgrade), before redaction. It is
 * responsible for its own safety: never read a cookie here (use `cookie`, which checks the `Origin`).
 *
 * @example
 * ```ts
 * const fromApiKeyHeader: WsTokenExtractor = (req) => req.headers['x-access-token'];
 * createWsAuth({ verifier, tokenSources: ['header', 'subprotocol', fromApiKeyHeader] });
 * ```
 */
export type WsTokenExtractor = (req: Readonly<IncomingMessage>) => unknown;

/**
 * Where an upgrade token may come from: `header` (`Authorization: Bearer`), `subprotocol`
 * (`sockauth.bearer.<token>`, for browsers), `cookie`, `query`, or a {@link WsTokenExtractor}.
 */
export type WsTokenSource = 'header' | 'subprotocol' | 'cookie' | 'query' | WsTokenExtractor;

/** Resolved token settings. */
export interface UpgradeTokenExtraction {
  readonly sources: readonly WsTokenSource[];
  readonly cookie: CookieTokenOptions | undefined;
  readonly queryParam: string;
  /** The query parameters `redactUrl` removes besides its own list (the query token's): one array for every upgrade. */
  readonly redactedParams: readonly string[];
}

const BUILT_IN = ['header', 'subprotocol', 'cookie', 'query'];

/**
 * Validates the token options (a `TypeError` naming the option on a mistake) and resolves the sources in order:
 * by default `['header', 'subprotocol']`, plus `cookie` / `query` when configured.
 */
export function resolveUpgradeTokens(options: {
  readonly tokenSources?: readonly WsTokenSource[] | undefined;
  readonly cookie?: CookieTokenOptions | undefined;
  readonly allowQueryToken?: QueryTokenOption | undefined;
}): UpgradeTokenExtraction {
  const { cookie, query, queryParam } = resolveRequestTokenOptions('createWsAuth options', options);
  const defaults: WsTokenSource[] = ['header', 'subprotocol'];
  if (cookie !== undefined) defaults.push('cookie');
  if (query) defaults.push('query');
  const sources = options.tokenSources ?? defaults;
  if (!Array.isArray(sources) || sources.length === 0) {
    throw new TypeError('sockauth: createWsAuth options.tokenSources must be a non-empty array');
  }
  for (const source of sources) {
    if (typeof source === 'function') continue;
    if (!BUILT_IN.includes(source)) throw new TypeError(`sockauth: unknown token source ${JSON.stringify(source)} in createWsAuth options.tokenSources`);
    if (source === 'cookie' && cookie === undefined) throw new TypeError('sockauth: token source "cookie" needs createWsAuth options.cookie');
    if (source === 'query' && !query) throw new TypeError('sockauth: token source "query" needs createWsAuth options.allowQueryToken');
  }
  return Object.freeze({ sources: Object.freeze([...sources]), cookie, queryParam, redactedParams: Object.freeze([queryParam]) });
}

/**
 * The upgrade request's token. Refuses with `AUTH_INVALID` when two sources (or two bearer subprotocols, or two
 * query parameters) carry different tokens, or a cookie token comes from a foreign origin; with `AUTH_MISSING` when
 * there is none. Afterwards, whatever happened, the token is gone from `req.url` (query) and from the
 * `Sec-WebSocket-Protocol` header (`req.headers` and `req.rawHeaders`), so code that logs the request cannot leak it.
 */
export function extractUpgradeToken(req: IncomingMessage, extraction: UpgradeTokenExtraction): string {
  const found: string[] = [];
  try {
    for (const source of extraction.sources) {
      let token: string | undefined;
      if (typeof source === 'function') token = tokenValue(source(req));
      else if (source === 'header') token = bearerToken(req.headers.authorization);
      else if (source === 'subprotocol') token = subprotocolToken(req.headers['sec-websocket-protocol']);
      else if (source === 'query') token = queryToken(req.url, extraction.queryParam);
      else token = tokenValue(cookieToken(req.headers, extraction.cookie!));
      if (token !== undefined) found.push(token);
    }
  } finally {
    redactRequest(req, extraction.redactedParams);
  }
  return pickToken(found);
}

/** The token of the `sockauth.bearer.<token>` entries of a `Sec-WebSocket-Protocol` header (two different: refused). */
function subprotocolToken(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const tokens: string[] = [];
  for (const entry of header.split(',')) {
    const protocol = entry.trim();
    if (protocol.startsWith(BEARER_SUBPROTOCOL_PREFIX) && protocol.length > BEARER_SUBPROTOCOL_PREFIX.length) {
      tokens.push(protocol.slice(BEARER_SUBPROTOCOL_PREFIX.length));
    }
  }
  return pickToken(tokens, true);
}

/** Removes the bearer entries from a `Sec-WebSocket-Protocol` value (`undefined` when none is left). */
function withoutBearer(value: string): string | undefined {
  const kept = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0 && !entry.startsWith(BEARER_SUBPROTOCOL_PREFIX));
  return kept.length === 0 ? undefined : kept.join(', ');
}

function redactRequest(req: IncomingMessage, redactedParams: readonly string[]): void {
  if (typeof req.url === 'string') req.url = redactUrl(req.url, redactedParams);
  const protocol = req.headers['sec-websocket-protocol'];
  if (typeof protocol !== 'string' || !protocol.includes(BEARER_SUBPROTOCOL_PREFIX)) return;
  const kept = withoutBearer(protocol);
  if (kept === undefined) delete req.headers['sec-websocket-protocol'];
  else req.headers['sec-websocket-protocol'] = kept;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === 'sec-websocket-protocol') raw[i + 1] = withoutBearer(raw[i + 1]!) ?? '';
  }
}
