export const MAX_ROOM_LENGTH = 64;
export const MAX_TEXT_LENGTH = 2000;
export const MAX_MESSAGE_ID_LENGTH = 128;

/** Ack of an event whose payload is malformed (the socket stays connected). */
export interface BadRequestAck {
  readonly ok: false;
  readonly error: { readonly code: 'BAD_REQUEST'; readonly message: string };
}

/** A malformed payload: acked as {@link BadRequestAck}, the socket stays. Shared by the demos. */
export class BadRequest extends Error {}

/** The payload as an object, or {@link BadRequest}. */
export function object(payload: unknown): Record<string, unknown> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new BadRequest('payload must be an object');
  }
  return payload as Record<string, unknown>;
}

/** A non-empty string of at most `max` characters, or {@link BadRequest}. */
export function text(value: unknown, name: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new BadRequest(`"${name}" must be a non-empty string of at most ${max} characters`);
  }
  return value;
}

/** A room name (no control characters), or {@link BadRequest}. */
export function room(value: unknown): string {
  const name = text(value, 'room', MAX_ROOM_LENGTH);
  if (/\p{Cc}/u.test(name)) throw new BadRequest('"room" must not contain control characters');
  return name;
}
