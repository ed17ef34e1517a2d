/**
 * The demo page on Socket.IO (examples/socketio-chat, examples/nestjs-chat): the shared page (chat-page.ts) with
 * @sockauth/client's Socket.IO flavour on the page's origin (websocket first, long-polling as the fallback).
 */
import { createAuthClient } from '@sockauth/client';
import { startChatPage, type ClientEvents, type ServerEvents } from './chat-page.js';

startChatPage((options) => {
  const client = createAuthClient<ServerEvents, ClientEvents>(options);
  return { client, listen: (event, listener) => void client.socket.on(event, listener as never) };
});
