import { ROOM_LEFT_EVENT, type RoomLeftPayload } from '@sockauth/core/protocol';
import { authEventsOf, type ClientSocket } from './connect-as.js';

/** Options of {@link waitForRoomLeft}. */
export interface RoomLeftWaitOptions {
  /** Give up after this many milliseconds (default 10 000). */
  readonly timeoutMs?: number;
}

/**
 * Resolves with the `auth:room-left` payload the server sent `socket` for `room`: the server made the socket leave
 * the room because its current authorization no longer allows it. Also resolves when that already happened, for
 * sockets from `connectAs` (which records every `auth:room-left`). Rejects after `timeoutMs` (default 10 000), or
 * when the socket is disconnected first.
 *
 * @example
 * ```ts
 * const alice = await connectAs(server, { sub: 'alice', scope: 'chat:read chat:admin' }, { issuer });
 * await alice.emitWithAck('chat:join', { room: 'staff-ops' });
 * await alice.emitWithAck('auth:refresh', { token: await issuer.mint({ sub: 'alice', scope: 'chat:read' }) });
 * await waitForRoomLeft(alice, 'staff-ops'); // { room: 'staff-ops', code: 'AUTH_FORBIDDEN', action: 'none' }
 * ```
 */
export function waitForRoomLeft(socket: ClientSocket, room: string, { timeoutMs = 10_000 }: RoomLeftWaitOptions = {}): Promise<RoomLeftPayload> {
  if (typeof socket?.on !== 'function') return Promise.reject(new TypeError('waitForRoomLeft: expected a socket.io-client socket'));
  if (typeof room !== 'string' || room.length === 0) return Promise.reject(new TypeError('waitForRoomLeft: "room" must be a non-empty string'));
  const already = authEventsOf(socket)?.roomsLeft.find((left) => left.room === room);
  if (already !== undefined) return Promise.resolve(already);
  return new Promise<RoomLeftPayload>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`waitForRoomLeft: no auth:room-left for ${JSON.stringify(room)} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onRoomLeft = (payload: RoomLeftPayload): void => {
      if (payload?.room !== room) return;
      cleanup();
      resolve(payload);
    };
    const onDisconnect = (reason: string): void => {
      cleanup();
      reject(new Error(`waitForRoomLeft: disconnected (${reason}) before auth:room-left for ${JSON.stringify(room)}`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off(ROOM_LEFT_EVENT, onRoomLeft);
      socket.off('disconnect', onDisconnect);
    };
    socket.on(ROOM_LEFT_EVENT, onRoomLeft);
    socket.on('disconnect', onDisconnect);
  });
}
