import { authErrorFromPayload, type AuthError } from '@sockauth/core/errors';
import { ACK_TYPE } from '@sockauth/core/protocol';

/**
 * The plain-WebSocket wire of sockauth, as a client reads it: acks `{ type: 'ack', id, data }` and pushes
 * `{ type, data }` (frames are encoded with core's `encodeFrame`, the envelope the server decodes; the subprotocols
 * and the probe are core's too), and what a close means. Browser-safe: no Node imports.
 */

/** One frame from the server: an ack of request `id`, or a push of `type`. */
export type ServerFrame =
  | { readonly kind: 'ack'; readonly id: number | string; readonly data: unknown }
  | { readonly kind: 'push'; readonly type: string; readonly data: unknown };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A server frame, or `undefined` when it is not one (binary, not JSON, no string `type`, an ack without an id): a
 * misbehaving server is ignored, never trusted.
 */
export function parseFrame(raw: unknown): ServerFrame | undefined {
  if (typeof raw !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isObject(value) || typeof value['type'] !== 'string') return undefined;
  if (value['type'] === ACK_TYPE) {
    const id = value['id'];
    return typeof id === 'number' || typeof id === 'string' ? { kind: 'ack', id, data: value['data'] } : undefined;
  }
  return { kind: 'push', type: value['type'], data: value['data'] };
}

/** What a close means to the client. */
export interface CloseMeaning {
  /** The sockauth error of a 4000–4999 close whose reason is `{ code, action }` with a code of the taxonomy. */
  readonly error: AuthError | undefined;
  /** The server closed on purpose without an auth reason: like Socket.IO's `io server disconnect`, no reconnection. */
  readonly deliberate: boolean;
}

/**
 * Close codes after which a reconnection may succeed: the server is going away or restarting (1001, 1012), failed
 * (1011), is overloaded (1013), a proxy failed (1014), or the connection was lost without a close frame (1006) or
 * its TLS failed (1015).
 */
const TRANSIENT_CLOSE_CODES: ReadonlySet<number> = new Set([1001, 1006, 1011, 1012, 1013, 1014, 1015]);

/**
 * Reads a close: a code in 4000–4999 whose reason is the JSON `{ code, action, … }` is an auth decision. One whose
 * code the client does not know (a newer server) is treated like a network failure, as on Socket.IO: bounded
 * retries, never a stop for good on something the client does not understand. Any other close is a plain
 * disconnection: reconnected after the transient codes above, not after one the server chose (1000, a protocol or
 * policy violation, a frame too big, an app's own 4xxx code).
 */
export function readClose(code: number, reason: string): CloseMeaning {
  const payload = code >= 4000 && code <= 4999 ? parseObject(reason) : undefined;
  if (payload !== undefined && typeof payload['code'] === 'string') {
    return { error: authErrorFromPayload(payload), deliberate: false };
  }
  return { error: undefined, deliberate: !TRANSIENT_CLOSE_CODES.has(code) };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
