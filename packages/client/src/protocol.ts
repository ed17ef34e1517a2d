import { authErrorFromPayload, type AuthError } from '@sockauth/core/errors';
import type { ExpiringPayload, RefreshAck, RoomLeftPayload } from '@sockauth/core/protocol';

// The protocol's names and shapes come from core (browser-safe subpath); this file only parses what a server sent.
export { ERROR_EVENT, EXPIRING_EVENT, REFRESH_EVENT, ROOM_LEFT_EVENT } from '@sockauth/core/protocol';
export type { ExpiringPayload, RefreshAck, RoomLeftPayload } from '@sockauth/core/protocol';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;

/** The `auth:expiring` payload, or `undefined` when it is malformed (a misbehaving server is ignored, not trusted). */
export function parseExpiring(value: unknown): ExpiringPayload | undefined {
  if (!isObject(value) || !isTime(value['expiresAt']) || !isTime(value['inMs'])) return undefined;
  const graceEndsAt = value['graceEndsAt'];
  return {
    expiresAt: value['expiresAt'],
    inMs: value['inMs'],
    ...(isTime(graceEndsAt) && { graceEndsAt }),
  };
}

/**
 * The `auth:room-left` payload, or `undefined` when it is malformed: a room name and a sockauth code (the action is
 * the taxonomy's for that code, whatever the server wrote).
 */
export function parseRoomLeft(value: unknown): RoomLeftPayload | undefined {
  if (!isObject(value) || typeof value['room'] !== 'string' || value['room'].length === 0) return undefined;
  const error = authErrorFromPayload({ code: value['code'] });
  return error === undefined ? undefined : { room: value['room'], code: error.code, action: error.action };
}

/** The `auth:refresh` ack, or `undefined` when it is malformed. */
export function parseRefreshAck(value: unknown): RefreshAck | undefined {
  if (!isObject(value)) return undefined;
  if (value['ok'] === true) {
    const { expiresAt, version } = value;
    if (!isTime(expiresAt) || typeof version !== 'number' || !Number.isSafeInteger(version)) return undefined;
    return { ok: true, expiresAt, version };
  }
  if (value['ok'] === false && isObject(value['error'])) {
    const error = authErrorFromPayload(value['error']);
    return error === undefined ? undefined : { ok: false, error: error.toJSON() };
  }
  return undefined;
}

/**
 * The error of a denied event: an ack `{ error: { code, action, message } }` whose code is in the taxonomy. Any
 * other ack (including an app's own `{ ok: false, error: { code: 'BAD_REQUEST' } }`) is the app's business.
 */
export function deniedError(response: unknown): AuthError | undefined {
  if (!isObject(response) || response['ok'] === true || !isObject(response['error'])) return undefined;
  return authErrorFromPayload(response['error']);
}

/** The AuthError of a refused handshake (`connect_error` with `err.data = { code, action }`), if it is one. */
export function connectError(error: unknown): AuthError | undefined {
  if (!isObject(error) || !isObject(error['data'])) return undefined;
  const message = typeof error['message'] === 'string' ? error['message'] : undefined;
  return authErrorFromPayload({ code: error['data']['code'], message });
}
