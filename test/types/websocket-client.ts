/**
 * Type tests (compiled by `npm run typecheck`, never run): the WebSocket flavour of @sockauth/client types the
 * server's pushes and the client's requests as the Socket.IO flavour does, takes both the `ws` package's
 * constructor and the browser's, and surfaces `auth:room-left` typed on both flavours. Each `@ts-expect-error`
 * fails the type-check if the line it covers stops being an error.
 */
import { createAuthClient, createWebSocketAuthClient, type AuthClientBase, type RoomLeftPayload, type WebSocketConstructor } from '@sockauth/client';
import { WebSocket as NodeWebSocket } from 'ws';

interface ServerEvents {
  'chat:message': (message: { room: string; text: string }) => void;
}
interface ClientEvents {
  'chat:send': (body: { room: string; text: string }, ack: (result: { ok: true; id: string }) => void) => void;
}

const refresh = async (): Promise<string> => 'token';

// The ws package's constructor fits; so does the browser's (declared, as Node 20 has no global WebSocket).
const fromWs: WebSocketConstructor = NodeWebSocket;
declare const BrowserWebSocket: typeof globalThis extends { WebSocket: infer W } ? W : new (url: string | URL, protocols?: string | string[]) => {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: any) => void): void;
  removeEventListener(type: string, listener: (event: any) => void): void;
};
const fromBrowser: WebSocketConstructor = BrowserWebSocket;
void fromBrowser;

const client = createWebSocketAuthClient<ServerEvents, ClientEvents>({ url: 'ws://127.0.0.1:1/ws', WebSocket: fromWs, refresh, autoConnect: false });
client.listen('chat:message', (message) => {
  const room: string = message.room;
  // @ts-expect-error text is a string
  const wrong: number = message.text;
  void room, wrong;
});
// @ts-expect-error not a server event
client.listen('chat:nothing', () => undefined);
void client.emitWithAck('chat:send', { room: 'lobby', text: 'hi' }).then((ack) => {
  const id: string = ack.id;
  void id;
});
// @ts-expect-error text is missing
void client.emitWithAck('chat:send', { room: 'lobby' });
// @ts-expect-error the Socket.IO flavour's option
createWebSocketAuthClient({ url: 'ws://x/ws', refresh, io: {} });
// @ts-expect-error credentials is 'subprotocol' or 'header'
createWebSocketAuthClient({ url: 'ws://x/ws', refresh, credentials: 'cookie' });

// roomLeft, typed, on both flavours (their common base).
const flavours: AuthClientBase[] = [client, createAuthClient({ url: 'http://x', refresh, autoConnect: false })];
for (const each of flavours) {
  each.on('roomLeft', (info: RoomLeftPayload) => {
    const room: string = info.room;
    // @ts-expect-error action is one of the taxonomy's actions
    const action: 'kick' = info.action;
    void room, action;
  });
}
