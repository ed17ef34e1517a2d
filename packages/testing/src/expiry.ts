import type { AuthErrorCode, AuthErrorPayload } from '@sockauth/core/errors';
import { authEventsOf, type ClientSocket } from './connect-as.js';
import type { WsClientSocket } from './ws-client-socket.js';

/** How a socket was cut by the server. */
export interface Cut {
  /** The `auth:error` payload sent right before the disconnect. */
  readonly error: AuthErrorPayload;
  /** The client's disconnect reason (`io server disconnect` for sockauth cuts). */
  readonly reason: string;
}

/**
 * Resolves when the server cuts `socket` with `auth:error` and a disconnect, also if that already happened (for
 * sockets from `connectAs`). Rejects after `timeoutMs`, or if the socket is disconnected without `auth:error`.
 */
export function waitForCut(socket: ClientSocket | WsClientSocket, { timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<Cut> {
  const seen = authEventsOf(socket);
  const done = (): Cut | undefined => {
    const error = seen?.authErrors.at(-1);
    return error !== undefined && seen?.disconnectReason !== undefined ? { error, reason: seen.disconnectReason } : undefined;
  };
  const already = done();
  if (already) return Promise.resolve(already);
  return new Promise<Cut>((resolve, reject) => {
    let error: AuthErrorPayload | undefined = seen?.authErrors.at(-1);
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`waitForCut: the socket was not cut within ${timeoutMs} ms`));
    }, timeoutMs);
    const onAuthError = (payload: AuthErrorPayload): void => {
      error = payload;
    };
    const onDisconnect = (reason: string): void => {
      cleanup();
      if (error === undefined) reject(new Error(`waitForCut: disconnected (${reason}) without auth:error`));
      else resolve({ error, reason });
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('auth:error', onAuthError);
      socket.off('disconnect', onDisconnect);
    };
    socket.on('auth:error', onAuthError);
    socket.on('disconnect', onDisconnect);
  });
}

/**
 * Waits for the real server to expire `socket`: resolves with the `AUTH_EXPIRED` cut; rejects if the socket is cut
 * for another reason. Drive it with short-lived tokens (`issuer.mint({ ttlSec: 1 })`), not fake timers: the
 * server's own timers and clock decide.
 *
 * @example
 * ```ts
 * const socket = await connectAs(server, { sub: 'alice', ttlSec: 1 }, { issuer });
 * await waitForExpiry(socket); // { error: { code: 'AUTH_EXPIRED', action: 'refresh', ... }, reason: 'io server disconnect' }
 * ```
 */
export async function waitForExpiry(socket: ClientSocket | WsClientSocket, options: { timeoutMs?: number } = {}): Promise<Cut> {
  const cut = await waitForCut(socket, options);
  const expected: AuthErrorCode = 'AUTH_EXPIRED';
  if (cut.error.code !== expected) throw new Error(`waitForExpiry: the socket was cut with ${cut.error.code}`);
  return cut;
}
