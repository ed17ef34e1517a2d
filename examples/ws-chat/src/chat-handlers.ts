import { randomUUID } from 'node:crypto';
import { isAuthError } from '@sockauth/core';
import { BadRequest, MAX_MESSAGE_ID_LENGTH, MAX_TEXT_LENGTH, object, room, text } from '@sockauth/example-chat-common/chat-payloads';
import { RecentIds } from '@sockauth/example-chat-common/recent-ids';
import type { WsAuth, WsMessageHandler } from '@sockauth/ws';
import type { WebSocketServer } from 'ws';

/**
 * A handler whose malformed payload ({@link BadRequest}) is acked `{ ok: false, error: { code: 'BAD_REQUEST' } }`
 * as in the Socket.IO demo; an `AuthError` goes on to the adapter, which acks it as a denial. Anything else is a
 * bug: acked `INTERNAL` with no detail, reported on stderr by name only.
 */
function handler(type: string, handle: WsMessageHandler): WsMessageHandler {
  return async (data, info) => {
    try {
      return await handle(data, info);
    } catch (error) {
      if (isAuthError(error)) throw error;
      if (error instanceof BadRequest) return { ok: false, error: { code: 'BAD_REQUEST', message: error.message } };
      process.stderr.write(`chat: ${type} handler failed: ${(error as Error)?.name ?? 'error'}\n`);
      return { ok: false, error: { code: 'INTERNAL', message: 'internal error' } };
    }
  };
}

/**
 * Registers the chat's message handlers on `wsAuth` (which has already checked each message's permission against
 * the context in force, and handles `auth:refresh` itself). Rooms are the adapter's: joins go through its room
 * policy, broadcasts reach the connections in the room at the time.
 */
export function installChatHandlers(wsAuth: WsAuth, wss: WebSocketServer, recent = new RecentIds()): { close(): void } {
  const on = (type: string, handle: WsMessageHandler): void => void wsAuth.on(type, handler(type, handle));

  on('whoami', (_data, { context }) => ({
    subject: context.subject,
    permissions: context.permissions.toArray(),
    expiresAt: context.expiresAt,
    version: context.version,
  }));

  on('chat:join', async (data, { ws }) => {
    // The room policy decides: AUTH_FORBIDDEN is acked { error } by the adapter, and the connection is not in it.
    await wsAuth.join(ws, room(object(data)['room']));
    return { ok: true };
  });

  on('chat:send', (data, { context }) => {
    const body = object(data);
    const target = room(body['room']);
    const message = text(body['text'], 'text', MAX_TEXT_LENGTH);
    const id = body['id'] === undefined ? randomUUID() : text(body['id'], 'id', MAX_MESSAGE_ID_LENGTH);
    const from = context.subject;
    if (recent.remember(from, id)) wsAuth.to(target).send('chat:message', { room: target, text: message, from, id });
    return { ok: true, id };
  });

  on('admin:announce', (data) => {
    const announcement = { text: text(object(data)['text'], 'text', MAX_TEXT_LENGTH) };
    // Only authenticated connections are sent anything (send() refuses the others).
    for (const ws of wss.clients) wsAuth.send(ws, 'chat:announcement', announcement);
    return { ok: true };
  });

  return { close: () => recent.clear() };
}
