import type { AddressInfo } from 'node:net';
import { authErrorFromPayload, type AuthErrorPayload } from '@sockauth/core/errors';
import { io, type ManagerOptions, type Socket as ClientSocket, type SocketOptions } from 'socket.io-client';
import { closeAfterTest } from './auto-close.js';
import type { MintClaims, TestIssuer } from './test-issuer.js';

export type { ClientSocket };

/** Where to connect: a URL, an `http.Server`, a Socket.IO `Server`, a Nest application, or `{ url }`. */
export type ConnectTarget =
  | string
  | { readonly url: string }
  | { address(): AddressInfo | string | null }
  | { readonly httpServer: { address(): AddressInfo | string | null } }
  | { getUrl(): Promise<string> };

/** Options of {@link connectAs}: socket.io-client options plus the kit's own. */
export interface ConnectAsOptions extends Partial<ManagerOptions & SocketOptions> {
  /** Mints the token when `connectAs` is given claims instead of a token. */
  readonly issuer?: TestIssuer;
  /** Namespace to connect to (default `/`). */
  readonly namespace?: string;
  /** Give up after this many milliseconds (default 5 000). */
  readonly timeoutMs?: number;
}

/** What the kit saw a socket receive from sockauth: the last `auth:error` and the disconnect reason. */
export interface AuthEvents {
  readonly authErrors: AuthErrorPayload[];
  readonly expiring: { expiresAt: number; inMs: number }[];
  disconnectReason?: string;
}

const observed = new WeakMap<ClientSocket, AuthEvents>();

/** The sockauth events the kit recorded for a socket made by {@link connectAs} (or `undefined`). */
export function authEventsOf(socket: ClientSocket): AuthEvents | undefined {
  return observed.get(socket);
}

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

/**
 * Connects a real `socket.io-client` socket with a token (or with claims minted by `options.issuer`). Resolves
 * once connected; rejects with the sockauth `AuthError` of a refused handshake (its `code` and `action`), so
 * `await expect(connectAs(...)).toBeRefusedWith('AUTH_EXPIRED')` reads naturally. The socket is closed after the
 * test. Defaults: WebSocket transport, no automatic reconnection, a connection of its own.
 *
 * @example
 * ```ts
 * const socket = await connectAs(server, { sub: 'alice', permissions: ['chat:read'] }, { issuer });
 * await expect(connectAs(server, await issuer.mintExpired({ sub: 'bob' }))).toBeRefusedWith('AUTH_EXPIRED');
 * ```
 */
export async function connectAs(
  target: ConnectTarget,
  tokenOrClaims: string | MintClaims | undefined,
  options: ConnectAsOptions = {},
): Promise<ClientSocket> {
  const { issuer, namespace = '/', timeoutMs = 5_000, ...clientOptions } = options;
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
    ...(token !== undefined && { auth: { token } }),
    ...clientOptions,
  });
  closeAfterTest(() => socket.close());
  const events: AuthEvents = { authErrors: [], expiring: [] };
  observed.set(socket, events);
  socket.on('auth:error', (payload: AuthErrorPayload) => events.authErrors.push(payload));
  socket.on('auth:expiring', (payload: { expiresAt: number; inMs: number }) => events.expiring.push(payload));
  socket.on('disconnect', (reason: string) => {
    events.disconnectReason = reason;
  });

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
      reject(authError ?? error);
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('connect_error', onError);
    };
    socket.once('connect', onConnect);
    socket.once('connect_error', onError);
  });
}
