import type { AddressInfo } from 'node:net';
import { authErrorFromPayload } from '@sockauth/core/errors';
import { io, type ManagerOptions, type Socket as ClientSocket, type SocketOptions } from 'socket.io-client';
import { observe, recordRefusal } from './auth-observations.js';
import { closeAfterTest } from './auto-close.js';
import { connectWsAs, isWsUrl, type WsConnectAsOptions, type WsUrl } from './connect-as-ws.js';
import type { WsClientSocket } from './ws-client-socket.js';
import type { MintClaims, TestIssuer } from './test-issuer.js';

export type { ClientSocket };

/** Where to connect: a URL, an `http.Server`, a Socket.IO `Server`, a Nest application, or `{ url }`. */
export type ConnectTarget =
  | string
  | { readonly url: string }
  | { address(): AddressInfo | string | null }
  | { readonly httpServer: { address(): AddressInfo | string | null } }
  | { getUrl(): Promise<string> };

/**
 * Where {@link connectAs} puts the token in the handshake, i.e. which of the server's token sources it exercises:
 * - `'auth'` (default): `auth.token` — what browsers and `@sockauth/client` send.
 * - `'header'`: `Authorization: Bearer <token>`. Node clients only: browsers cannot set WebSocket headers.
 * - `'query'` or `{ query: 'param' }`: the query parameter `token` (or `param`); the server needs `allowQueryToken`.
 * - `{ cookie: 'name', origin? }`: a `Cookie` header `name=<token>`, sent with `Origin: origin` when given; the
 *   server needs `cookie: { name, allowedOrigins }`, and refuses a cookie token without an allowed `Origin`.
 */
export type TokenPlacement =
  | 'auth'
  | 'header'
  | 'query'
  | { readonly query: string }
  | { readonly cookie: string; readonly origin?: string };

/** Options of {@link connectAs}: socket.io-client options plus the kit's own. */
export interface ConnectAsOptions extends Partial<ManagerOptions & SocketOptions> {
  /** Mints the token when `connectAs` is given claims instead of a token. */
  readonly issuer?: TestIssuer;
  /**
   * Where the token goes (default `'auth'`). Headers, query and `auth` you pass yourself are kept: a test can
   * send a second token elsewhere on purpose.
   *
   * @example
   * ```ts
   * await connectAs(url, token, { tokenIn: 'header' });
   * await connectAs(url, token, { tokenIn: { query: 'access_token' } });
   * await connectAs(url, token, { tokenIn: { cookie: 'session', origin: 'https://app.example.com' } });
   * ```
   */
  readonly tokenIn?: TokenPlacement;
  /** Namespace to connect to (default `/`). */
  readonly namespace?: string;
  /** Give up after this many milliseconds (default 5 000). */
  readonly timeoutMs?: number;
}

export { authEventsOf, refusalDataOf, type AuthEvents } from './auth-observations.js';

async function urlOf(target: ConnectTarget): Promise<string> {
  if (typeof target === 'string') return target;
  if ('url' in target && typeof target.url === 'string') return target.url;
  if ('getUrl' in target && typeof target.getUrl === 'function') {
    return (await target.getUrl()).replace('[::1]', '127.0.0.1');
  }
  const server = 'httpServer' in target ? target.httpServer : (target as { address(): AddressInfo | string | null });
  const address = typeof server?.address === 'function' ? server.address() : null;
  if (address === null || typeof address === 'string') {
    throw new TypeError('connectAs: the server is not listening on a TCP port (call listen(0) first)');
  }
  const host = address.family === 'IPv6' ? `[${address.address === '::' ? '::1' : address.address}]` : address.address === '0.0.0.0' ? '127.0.0.1' : address.address;
  return `http://${host}:${address.port}`;
}

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Validates `tokenIn` up front, so a typo is a clear error rather than an unexplained `AUTH_MISSING`. */
function checkPlacement(placement: unknown): TokenPlacement {
  if (placement === 'auth' || placement === 'header' || placement === 'query') return placement;
  if (typeof placement === 'object' && placement !== null) {
    const { query, cookie, origin } = placement as { query?: unknown; cookie?: unknown; origin?: unknown };
    if ((query === undefined) === (cookie === undefined)) {
      throw new TypeError('connectAs: "tokenIn" must have exactly one of "query" or "cookie"');
    }
    if (query !== undefined) {
      if (typeof query !== 'string' || query.length === 0) throw new TypeError('connectAs: "tokenIn.query" must be a non-empty string');
      return { query };
    }
    if (typeof cookie !== 'string' || !COOKIE_NAME.test(cookie)) {
      throw new TypeError('connectAs: "tokenIn.cookie" must be a cookie name (letters, digits, !#$%&\'*+-.^_`|~)');
    }
    if (origin !== undefined && (typeof origin !== 'string' || origin.length === 0)) {
      throw new TypeError('connectAs: "tokenIn.origin" must be a non-empty string');
    }
    return origin === undefined ? { cookie } : { cookie, origin };
  }
  throw new TypeError(`connectAs: unknown "tokenIn" ${JSON.stringify(placement)} (auth, header, query, { query } or { cookie })`);
}

/** Adds `name: value` to `headers`, replacing a header of the same name in any case. */
function setHeader(headers: Record<string, string>, name: string, value: string): void {
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name) delete headers[key];
  headers[name] = value;
}

/** The socket.io-client options that put `token` where `placement` says, merged with the caller's own. */
function placeToken(
  token: string | undefined,
  placement: TokenPlacement,
  options: Partial<ManagerOptions & SocketOptions>,
): Partial<ManagerOptions & SocketOptions> {
  const headers: Record<string, string> = { ...options.extraHeaders };
  const placed: Partial<ManagerOptions & SocketOptions> = {};
  if (typeof placement === 'object' && 'cookie' in placement && placement.origin !== undefined) {
    setHeader(headers, 'origin', placement.origin);
  }
  if (token !== undefined) {
    if (placement === 'auth') {
      // The caller's `auth` wins (a test may send another token there on purpose); a function replaces it all.
      placed.auth = typeof options.auth === 'function' ? options.auth : { token, ...options.auth };
    } else if (placement === 'header') {
      setHeader(headers, 'authorization', `Bearer ${token}`);
    } else if (placement === 'query' || 'query' in placement) {
      const param = placement === 'query' ? 'token' : placement.query;
      placed.query = { ...(options.query as Record<string, string> | undefined), [param]: token };
    } else {
      const existing = Object.entries(headers).find(([key]) => key.toLowerCase() === 'cookie')?.[1];
      const cookie = `${placement.cookie}=${encodeURIComponent(token)}`;
      setHeader(headers, 'cookie', existing ? `${existing}; ${cookie}` : cookie);
    }
  }
  if (Object.keys(headers).length > 0) placed.extraHeaders = headers;
  return placed;
}

/**
 * Connects a real `socket.io-client` socket with a token (or with claims minted by `options.issuer`). Resolves
 * once connected; rejects with the sockauth `AuthError` of a refused handshake (its `code` and `action`), so
 * `await expect(connectAs(...)).toBeRefusedWith('AUTH_EXPIRED')` reads naturally. The socket is closed after the
 * test. Defaults: WebSocket transport, no automatic reconnection, a connection of its own, the token in
 * `auth.token` (`options.tokenIn` sends it as a bearer header, a query parameter or a cookie instead).
 *
 * @example
 * ```ts
 * const socket = await connectAs(server, { sub: 'alice', permissions: ['chat:read'] }, { issuer });
 * await expect(connectAs(server, await issuer.mintExpired({ sub: 'bob' }))).toBeRefusedWith('AUTH_EXPIRED', { action: 'refresh' });
 * await connectAs(server, { sub: 'carol' }, { issuer, tokenIn: 'header' }); // Authorization: Bearer …
 * // A plain-WebSocket server (@sockauth/ws): a ws:// URL gives a WsClientSocket with the same shape.
 * const ws = await connectAs(`ws://127.0.0.1:${port}/ws`, { sub: 'dave' }, { issuer });
 * ```
 *
 * For a `ws://` or `wss://` URL (typed {@link WsUrl}), it connects a `ws` client speaking sockauth's JSON frames
 * instead and resolves with a {@link WsClientSocket} (see {@link WsConnectAsOptions}).
 */
export async function connectAs(target: WsUrl, tokenOrClaims: string | MintClaims | undefined, options?: WsConnectAsOptions): Promise<WsClientSocket>;
export async function connectAs(target: ConnectTarget, tokenOrClaims: string | MintClaims | undefined, options?: ConnectAsOptions): Promise<ClientSocket>;
export async function connectAs(
  target: ConnectTarget,
  tokenOrClaims: string | MintClaims | undefined,
  options: ConnectAsOptions | WsConnectAsOptions = {},
): Promise<ClientSocket | WsClientSocket> {
  if (isWsUrl(target)) return connectWsAs(target, tokenOrClaims, options as WsConnectAsOptions);
  const { issuer, namespace = '/', timeoutMs = 5_000, tokenIn = 'auth', ...clientOptions } = options as ConnectAsOptions;
  const placement = checkPlacement(tokenIn);
  let token: string | undefined;
  if (typeof tokenOrClaims === 'string' || tokenOrClaims === undefined) {
    token = tokenOrClaims;
  } else {
    if (issuer === undefined) throw new TypeError('connectAs: pass { issuer } to connect with claims');
    token = await issuer.mint(tokenOrClaims);
  }
  const base = await urlOf(target);
  const socket = io(`${base.replace(/\/$/, '')}${namespace === '/' ? '' : namespace}`, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...clientOptions,
    ...placeToken(token, placement, clientOptions),
  });
  // A socket closed while it connects emits nothing: `abandon` settles the pending promise (and stops its timer).
  let abandon: (() => void) | undefined;
  closeAfterTest(() => {
    abandon?.();
    socket.close();
  });
  observe(socket);

  return new Promise<ClientSocket>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      socket.close();
      reject(new Error(`connectAs: no connection or refusal within ${timeoutMs} ms`));
    }, timeoutMs);
    const onConnect = (): void => {
      cleanup();
      resolve(socket);
    };
    const onError = (error: Error & { data?: unknown }): void => {
      cleanup();
      socket.close();
      const authError = authErrorFromPayload({ ...(error.data as object), message: error.message });
      if (authError !== undefined) recordRefusal(authError, error.data);
      reject(authError ?? error);
    };
    abandon = (): void => {
      cleanup();
      reject(new Error('connectAs: the socket was closed (closeAll, end of test) before it connected'));
    };
    const cleanup = (): void => {
      abandon = undefined;
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('connect_error', onError);
    };
    socket.once('connect', onConnect);
    socket.once('connect_error', onError);
  });
}
