import type { AuthErrorPayload } from '@sockauth/core/errors';
import { ROOM_LEFT_EVENT, type RoomLeftPayload } from '@sockauth/core/protocol';

/** What the kit saw a socket receive from sockauth: the last `auth:error` and the disconnect reason. */
export interface AuthEvents {
  readonly authErrors: AuthErrorPayload[];
  readonly expiring: { expiresAt: number; inMs: number }[];
  /** Every `auth:room-left` received, in order. */
  readonly roomsLeft: RoomLeftPayload[];
  disconnectReason?: string;
}

/** Something that delivers the server's events by name (a socket.io-client socket, the kit's `WsClientSocket`). */
export interface EventSource {
  on(event: string, listener: (...args: any[]) => void): unknown;
}

const observed = new WeakMap<object, AuthEvents>();
/** The data the server sent with a refusal, kept for the error `connectAs` rejected with. */
const refusals = new WeakMap<object, unknown>();

/** Starts recording the sockauth events `socket` receives (for {@link authEventsOf} and `waitForCut`). */
export function observe(socket: EventSource): AuthEvents {
  const events: AuthEvents = { authErrors: [], expiring: [], roomsLeft: [] };
  observed.set(socket, events);
  socket.on('auth:error', (payload: AuthErrorPayload) => events.authErrors.push(payload));
  socket.on('auth:expiring', (payload: { expiresAt: number; inMs: number }) => events.expiring.push(payload));
  socket.on(ROOM_LEFT_EVENT, (payload: RoomLeftPayload) => events.roomsLeft.push(payload));
  socket.on('disconnect', (reason: string) => {
    events.disconnectReason = reason;
  });
  return events;
}

/** The sockauth events the kit recorded for a socket made by `connectAs` (or `undefined`). */
export function authEventsOf(socket: object): AuthEvents | undefined {
  return observed.get(socket);
}

/** Remembers the raw refusal data behind `error` (what the server sent: `err.data`, or a close reason). */
export function recordRefusal(error: object, data: unknown): void {
  refusals.set(error, data);
}

/**
 * The raw refusal data behind an error `connectAs` rejected with (its `action` is the one the server sent, where
 * the rebuilt `AuthError` derives `action` from `code`), or `undefined`. Internal: the matchers use it.
 */
export function refusalDataOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? refusals.get(error) : undefined;
}
