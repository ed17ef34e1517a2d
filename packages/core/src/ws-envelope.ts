/**
 * The message envelope of sockauth over plain WebSockets: every frame is JSON text `{ type, id?, data }`, and a
 * message with an `id` is answered `{ type: 'ack', id, data }`. It carries the same events and payloads as the
 * Socket.IO protocol (`auth:refresh` and its ack, `auth:expiring`, denied acks…). Browser-safe (no Node imports):
 * the server adapter and `@sockauth/client` decode and encode frames with the same functions.
 */

/** A message id: a string or a finite number, echoed in the ack. */
export type EnvelopeId = string | number;

/** One message: an event `type`, an optional `id` asking for an ack, and its `data`. */
export interface Envelope<T = unknown> {
  readonly type: string;
  readonly id?: EnvelopeId;
  readonly data?: T;
}

/** The answer to a message that had an `id`. */
export interface AckEnvelope<T = unknown> {
  readonly type: typeof ACK_TYPE;
  readonly id: EnvelopeId;
  readonly data: T;
}

/** The `type` of acks. A client never sends one: the server asks for none. */
export const ACK_TYPE = 'ack';

/**
 * The code of a frame that is not a message (not JSON text, no string `type`, binary). A protocol error, not an
 * authentication one: it is not in the `AuthErrorCode` taxonomy, and the connection stays.
 */
export const BAD_REQUEST = 'BAD_REQUEST';

/** Largest frame accepted by default (64 KiB); a larger one closes the connection with 1009. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024;

/** The ack data of a frame that was not a message. */
export interface BadRequestAck {
  readonly error: { readonly code: typeof BAD_REQUEST; readonly action: 'none'; readonly message: string };
}

/** What {@link decodeFrame} found: a message, or why the frame is not one and the id to answer, if it had one. */
export type DecodedFrame =
  | { readonly ok: true; readonly envelope: Envelope }
  | { readonly ok: false; readonly id: EnvelopeId | undefined; readonly message: string };

/** True for a string or a finite number. */
export function isEnvelopeId(value: unknown): value is EnvelopeId {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

/**
 * Decodes one frame. `binary` frames are never messages, but their id is read when they hold JSON text, so a client
 * that sent one by mistake gets an answer instead of waiting for its ack.
 *
 * @example
 * ```ts
 * const frame = decodeFrame('{"type":"whoami","id":1}');
 * if (frame.ok) dispatch(frame.envelope);
 * else if (frame.id !== undefined) ws.send(encodeAck(frame.id, badRequest(frame.message)));
 * ```
 */
export function decodeFrame(text: string, binary = false): DecodedFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, id: undefined, message: binary ? 'binary frames are not messages' : 'a frame must be JSON text' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, id: undefined, message: 'a message must be a JSON object' };
  }
  const { type, id, data } = value as { type?: unknown; id?: unknown; data?: unknown };
  const readableId = isEnvelopeId(id) ? id : undefined;
  if (binary) return { ok: false, id: readableId, message: 'binary frames are not messages' };
  if (id !== undefined && readableId === undefined) return { ok: false, id: undefined, message: 'id must be a string or a number' };
  if (typeof type !== 'string' || type.length === 0) return { ok: false, id: readableId, message: 'a message needs a string type' };
  if (type === ACK_TYPE) return { ok: false, id: readableId, message: 'the server asks for no acks' };
  return { ok: true, envelope: readableId === undefined ? { type, data } : { type, id: readableId, data } };
}

/**
 * Encodes a message (server push, or a client message when `id` is given).
 *
 * @example
 * ```ts
 * ws.send(encodeFrame('auth:expiring', { expiresAt, inMs }));
 * ```
 */
export function encodeFrame(type: string, data: unknown, id?: EnvelopeId): string {
  return JSON.stringify(id === undefined ? { type, data } : { type, id, data });
}

/**
 * Encodes the ack of message `id`.
 *
 * @example
 * ```ts
 * ws.send(encodeAck(7, { ok: true })); // '{"type":"ack","id":7,"data":{"ok":true}}'
 * ```
 */
export function encodeAck(id: EnvelopeId, data: unknown): string {
  return JSON.stringify({ type: ACK_TYPE, id, data });
}

/**
 * The ack data of a frame that was not a message.
 *
 * @example
 * ```ts
 * badRequest('a message needs a string type'); // { error: { code: 'BAD_REQUEST', action: 'none', message } }
 * ```
 */
export function badRequest(message: string): BadRequestAck {
  return { error: { code: BAD_REQUEST, action: 'none', message } };
}
