/**
 * The WebSocket close codes of the error taxonomy, for transports without a `connect_error` (plain WebSockets):
 * a refused handshake and a cut (expiry, revocation) close the connection with one of these codes and the reason
 * {@link closeReason} builds. Browser-safe (no Node imports): `@sockauth/client` reads the same table.
 *
 * Why these numbers: RFC 6455 leaves 4000–4999 to applications. graphql-ws mirrors HTTP statuses (4401, 4403,
 * 4429…), which reads well but cannot give each of our nine codes its own number (five of them would be "401").
 * Pusher and Centrifugo instead let the *range* say what the client should do (Pusher: 4000–4099 do not reconnect,
 * 4100–4199 back off, 4200–4299 reconnect now; Centrifugo: 3500–3999 and 4500–4999 terminal), so a client that does
 * not know a code still behaves. sockauth does the latter with its own `action`: the hundreds digit is the action
 * (41xx `login`, 42xx `refresh`, 43xx `retry`, 44xx `none`), the last two digits the code within it, and the exact
 * code travels in the reason anyway. 4000–4099 and 4500–4999 are left to the application.
 */
import { AUTH_ACTIONS, type AuthAction, type AuthErrorCode, type AuthErrorPayload } from './errors.js';

/**
 * The close code of each error code.
 *
 * | code | close | action |
 * | --- | --- | --- |
 * | `AUTH_MISSING` | 4100 | login |
 * | `AUTH_INVALID` | 4101 | login |
 * | `AUTH_REVOKED` | 4102 | login |
 * | `AUTH_IDENTITY_MISMATCH` | 4103 | login |
 * | `AUTH_EXPIRED` | 4200 | refresh |
 * | `AUTH_STALE` | 4201 | refresh |
 * | `AUTH_NOT_YET_VALID` | 4300 | retry |
 * | `AUTH_UNAVAILABLE` | 4301 | retry |
 * | `AUTH_FORBIDDEN` | 4400 | none |
 *
 * @example
 * ```ts
 * WS_CLOSE_CODES.AUTH_EXPIRED; // 4200
 * ```
 */
export const WS_CLOSE_CODES: Readonly<Record<AuthErrorCode, number>> = Object.freeze({
  AUTH_MISSING: 4100,
  AUTH_INVALID: 4101,
  AUTH_REVOKED: 4102,
  AUTH_IDENTITY_MISMATCH: 4103,
  AUTH_EXPIRED: 4200,
  AUTH_STALE: 4201,
  AUTH_NOT_YET_VALID: 4300,
  AUTH_UNAVAILABLE: 4301,
  AUTH_FORBIDDEN: 4400,
});

/** The first code of each action's range (the range is that code to that code + 99). */
const ACTION_RANGES: ReadonlyArray<readonly [number, AuthAction]> = [
  [4100, 'login'],
  [4200, 'refresh'],
  [4300, 'retry'],
  [4400, 'none'],
];

/** The longest close reason RFC 6455 allows: a close frame's payload is at most 125 bytes, 2 of them the code. */
export const MAX_CLOSE_REASON_BYTES = 123;

/**
 * The close code for an error code.
 *
 * @example
 * ```ts
 * ws.close(closeCodeFor(error.code), closeReason(error));
 * ```
 */
export function closeCodeFor(code: AuthErrorCode): number {
  return WS_CLOSE_CODES[code];
}

/**
 * The action a close code asks of the client, from its range alone (so a code added later still reads right), or
 * `undefined` outside sockauth's ranges (4100–4499).
 *
 * @example
 * ```ts
 * socket.onclose = (event) => { if (closeCodeAction(event.code) === 'refresh') refreshAndReconnect(); };
 * ```
 */
export function closeCodeAction(closeCode: number): AuthAction | undefined {
  for (const [start, action] of ACTION_RANGES) if (closeCode >= start && closeCode < start + 100) return action;
  return undefined;
}

/**
 * The close reason: the JSON `{"code":"…","action":"…"}`, always shorter than {@link MAX_CLOSE_REASON_BYTES}
 * (the message stays out: it is what a close frame cannot hold, and the client needs the code and action only).
 *
 * @example
 * ```ts
 * closeReason(new AuthExpiredError()); // '{"code":"AUTH_EXPIRED","action":"refresh"}'
 * ```
 */
export function closeReason(error: Pick<AuthErrorPayload, 'code'>): string {
  return JSON.stringify({ code: error.code, action: AUTH_ACTIONS[error.code] });
}
