import type { RoomPolicies } from '@sockauth/core';

/**
 * Which rooms a socket of the demo may be in (DEMO-CONTRACT "Rooms follow current authorization"): every room
 * needs `chat:read`, and a room whose name starts with the five characters `staff-` needs `chat:admin` as well
 * (names match exactly: `Staff-ops` is an ordinary room). Both demos give it to sockauth (`rooms`), join through
 * it, and sockauth makes a socket leave the rooms its context no longer allows after every change of that context
 * (an in-band re-auth, `POST /admin/restrict`), telling the client `auth:room-left`.
 *
 * @example
 * ```ts
 * createSockAuth({ verifier, rooms: CHAT_ROOMS });
 * ```
 */
export const CHAT_ROOMS: RoomPolicies = Object.freeze({
  '*': 'chat:read',
  'staff-*': ['chat:read', 'chat:admin'],
});
