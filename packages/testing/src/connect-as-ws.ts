import { authErrorFromPayload } from '@sockauth/core/errors';
import { PROBE_FRAME, PROBE_ID, bearerSubprotocols } from '@sockauth/core/protocol';

export { PROBE_ID };
import { observe, recordRefusal } from './auth-observations.js';
import { closeAfterTest } from './auto-close.js';
import type { MintClaims, TestIssuer } from './test-issuer.js';
import { WsClientSocket, type RawWebSocket, type WsClose } from './ws-client-socket.js';

/** The URL of a plain-WebSocket server: `connectAs` connects a `ws` client to it. */
export type WsUrl = `ws://${string}` | `wss://${string}`;

/**
 * Where `connectAs` puts the token for a plain-WebSocket server:
 * - `'subprotocol'` (default): the subprotocols `["sockauth", "sockauth.bearer.<token>"]`, what browsers and
 *   `@sockauth/client` send.
 * - `'header'`: `Authorization: Bearer <token>`.
 * - `'query'` or `{ query: 'param' }`: the query parameter `token` (or `param`); the server must allow it.
 */
export type WsTokenPlacement = 'subprotocol' | 'header' | 'query' | { readonly query: string };

/** Options of `connectAs` for a `ws://` URL. */
export interface WsConnectAsOptions {
  /** Mints the token when `connectAs` is given claims instead of a token. */
  readonly issuer?: TestIssuer;
  /** Where the token goes (default `'subprotocol'`). */
  readonly tokenIn?: WsTokenPlacement;
  /** More subprotocols to offer (after `sockauth` and the token's), e.g. a second token sent on purpose. */
  readonly protocols?: readonly string[];
  /** More request headers (a second token sent on purpose, an `Origin`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Give up after this many milliseconds (default 5 000). */
  readonly timeoutMs?: number;
}

/** The upgrade request that presents `token` as `tokenIn` says: URL, subprotocols and headers. */
export function wsHandshake(
  url: string,
  token: string | undefined,
  tokenIn: WsTokenPlacement,
): { url: string; protocols: string[]; headers: Record<string, string> } {
  const target = new URL(url);
  const protocols = bearerSubprotocols(tokenIn === 'subprotocol' ? token : undefined);
  const headers: Record<string, string> = {};
  if (token !== undefined && tokenIn !== 'subprotocol') {
    if (tokenIn === 'header') headers['authorization'] = `Bearer ${token}`;
    else target.searchParams.set(tokenIn === 'query' ? 'token' : tokenIn.query, token);
  }
  return { url: target.href, protocols, headers };
}

/** The JSON reason of a close code in 4000–4999 (sockauth's `{ code, action }`), or `undefined`. */
export function closeReasonData({ code, reason }: WsClose): unknown {
  if (code < 4000 || code > 4999) return undefined;
  try {
    return JSON.parse(reason) as unknown;
  } catch {
    return undefined;
  }
}

/** True for a `ws://` or `wss://` URL. */
export function isWsUrl(target: unknown): target is WsUrl {
  return typeof target === 'string' && /^wss?:\/\//i.test(target);
}

function placement(value: unknown): WsTokenPlacement {
  if (value === undefined) return 'subprotocol';
  if (value === 'subprotocol' || value === 'header' || value === 'query') return value;
  const query = (value as { query?: unknown } | null)?.query;
  if (typeof value === 'object' && typeof query === 'string' && query.length > 0) return { query };
  throw new TypeError(`connectAs: unknown "tokenIn" ${JSON.stringify(value)} for a ws:// URL (subprotocol, header, query or { query })`);
}

/**
 * `connectAs` for a plain-WebSocket server speaking sockauth's protocol. A refused handshake is a completed upgrade
 * that the server closes at once, before any message, with a code in 4000–4999 and the reason `{ code, action }`:
 * an open connection is therefore not yet an accepted one. So once open, the kit sends the probe of the wire
 * (core's `PROBE_FRAME`, `{ "id": "sockauth:probe" }`, as `@sockauth/client` does), which an accepting server
 * answers with a `BAD_REQUEST` ack and a refusing one never reads: the ack resolves, the close rejects with its
 * `AuthError` (`toBeRefusedWith` reads it).
 */
export async function connectWsAs(
  url: WsUrl,
  tokenOrClaims: string | MintClaims | undefined,
  options: WsConnectAsOptions = {},
): Promise<WsClientSocket> {
  const { issuer, timeoutMs = 5_000, protocols = [], headers = {} } = options;
  const tokenIn = placement(options.tokenIn);
  let token: string | undefined;
  if (typeof tokenOrClaims === 'string' || tokenOrClaims === undefined) token = tokenOrClaims;
  else {
    if (issuer === undefined) throw new TypeError('connectAs: pass { issuer } to connect with claims');
    token = await issuer.mint(tokenOrClaims);
  }
  const handshake = wsHandshake(url, token, tokenIn);
  // `ws` is an optional peer dependency: only tests of plain-WebSocket servers load it.
  const { WebSocket } = await import('ws');
  const raw = new WebSocket(handshake.url, [...handshake.protocols, ...protocols], {
    headers: { ...headers, ...handshake.headers },
  }) as unknown as RawWebSocket;
  const socket = new WsClientSocket(raw);
  observe(socket);
  closeAfterTest(() => raw.terminate());

  return new Promise<WsClientSocket>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      settle(() => reject(new Error(`connectAs: no connection or refusal within ${timeoutMs} ms`)));
      raw.terminate();
    }, timeoutMs);
    raw.on('open', () => {
      socket.request(PROBE_FRAME, PROBE_ID, timeoutMs).then(
        () => settle(() => resolve(socket)),
        () => undefined, // the close below says why
      );
    });
    void socket.closed.then(({ code, reason }) => {
      const data = closeReasonData({ code, reason });
      const authError = authErrorFromPayload(data);
      if (authError !== undefined) recordRefusal(authError, data);
      settle(() => reject(authError ?? new Error(`connectAs: closed (${code}${reason ? ` ${reason}` : ''}) before it was accepted`)));
    });
    raw.on('error', (error) => settle(() => reject(error)));
  });
}
