/**
 * The demo page on plain WebSockets (examples/ws-chat): the shared page (chat-page.ts) with @sockauth/client's
 * WebSocket flavour at `/ws` on the page's origin; the token travels in the subprotocols, as browsers allow.
 */
import { createWebSocketAuthClient } from '@sockauth/client/websocket';
import { startChatPage, type ClientEvents, type ServerEvents } from './chat-page.js';

startChatPage((options) => {
  const client = createWebSocketAuthClient<ServerEvents, ClientEvents>({ url: '/ws', ...options });
  return { client, listen: (event, listener) => void client.listen(event, listener) };
});
