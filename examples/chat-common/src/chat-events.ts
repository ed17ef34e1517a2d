import type { EventPermissions } from '@sockauth/core';

/**
 * What each client → server event of the demo chat needs (DEMO-CONTRACT). sockauth checks this before any handler
 * runs, acks refusals with `AUTH_FORBIDDEN`, refuses every unlisted event and handles `auth:refresh` itself. The
 * same table for every transport.
 */
export const CHAT_EVENTS: EventPermissions = Object.freeze({
  whoami: null,
  'chat:join': 'chat:read',
  'chat:send': 'chat:write',
  'admin:announce': 'chat:admin',
});
