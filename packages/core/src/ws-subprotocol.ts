/**
 * The handshake of sockauth over plain WebSockets: the subprotocols that carry a browser's token, and the probe
 * frame a client sends to tell an accepted upgrade from a refused one. Browser-safe (no Node imports): the server
 * adapter (`@sockauth/ws`), `@sockauth/client` and `@sockauth/testing` read them from here.
 */
import { BAD_REQUEST } from './ws-envelope.js';

/**
 * The subprotocol a client offers with its token, and the only one a sockauth server selects by default: a browser
 * fails a connection whose server selects none of the offered subprotocols, and the token must never be echoed.
 *
 * @example
 * ```ts
 * new WebSocket('wss://chat.example/ws', [SUBPROTOCOL, `${BEARER_SUBPROTOCOL_PREFIX}${token}`]);
 * ```
 */
export const SUBPROTOCOL = 'sockauth';

/**
 * The prefix of the subprotocol entry that carries the token: `sockauth.bearer.<token>` (a JWT's characters are all
 * valid in a subprotocol name). A server never selects such an entry.
 *
 * @example
 * ```ts
 * const protocols = [SUBPROTOCOL, BEARER_SUBPROTOCOL_PREFIX + token];
 * ```
 */
export const BEARER_SUBPROTOCOL_PREFIX = 'sockauth.bearer.';

/**
 * The subprotocols to offer: `["sockauth", "sockauth.bearer.<token>"]`, or `["sockauth"]` without a token (a
 * token sent another way: a header, a cookie).
 *
 * @example
 * ```ts
 * new WebSocket(url, bearerSubprotocols(token));
 * ```
 */
export function bearerSubprotocols(token: string | undefined): string[] {
  return token === undefined ? [SUBPROTOCOL] : [SUBPROTOCOL, BEARER_SUBPROTOCOL_PREFIX + token];
}

/**
 * The id of the probe: the first frame a client sends once the upgrade completed, `{ "id": "sockauth:probe" }`.
 * A refused handshake is a completed upgrade that the server closes at once (a code in 4000–4999, the reason
 * `{ code, action }`), so an open connection is not yet an accepted one. The probe has no `type`: a server that
 * accepted the connection answers it with the envelope check, before any auth hook, rate limit or handler,
 * `{ type: 'ack', id: 'sockauth:probe', data: { error: { code: 'BAD_REQUEST', … } } }` ({@link PROBE_ANSWER_CODE});
 * one that refused it never reads it, and its close says why. Part of the wire: servers must keep answering it so.
 *
 * @example
 * ```ts
 * ws.addEventListener('open', () => ws.send(PROBE_FRAME));
 * ws.addEventListener('message', ({ data }) => {
 *   const frame = JSON.parse(data);
 *   if (frame.type === 'ack' && frame.id === PROBE_ID) accepted();
 * });
 * ```
 */
export const PROBE_ID = 'sockauth:probe';

/**
 * The probe frame itself (see {@link PROBE_ID}).
 *
 * @example
 * ```ts
 * ws.send(PROBE_FRAME); // '{"id":"sockauth:probe"}'
 * ```
 */
export const PROBE_FRAME = JSON.stringify({ id: PROBE_ID });

/**
 * The code of the server's answer to the probe on an accepted connection: the envelope's `BAD_REQUEST` (a frame
 * with no `type` is not a message).
 *
 * @example
 * ```ts
 * if (ack.data.error.code === PROBE_ANSWER_CODE) accepted();
 * ```
 */
export const PROBE_ANSWER_CODE = BAD_REQUEST;
