import { createServer } from 'node:http';
import { CHAT_EVENTS } from '@sockauth/example-chat-common/chat-events';
import { formatUrl, type ChatConfig } from '@sockauth/example-chat-common/config';
import { demoServerParts, listenDemo } from '@sockauth/example-chat-common/demo-server';
import { createHttpHandler } from '@sockauth/example-chat-common/http-routes';
import { createWsAuth, type WsAuth } from '@sockauth/ws';
import { WebSocketServer } from 'ws';
import { installChatHandlers } from './chat-handlers.js';

/** Where the chat's WebSocket endpoint is: `ws://HOST:PORT/ws`. */
export const WS_PATH = '/ws';

/** A running chat server. */
export interface ChatServer {
  /** `http://HOST:PORT` with the real port. */
  readonly url: string;
  /** `ws://HOST:PORT/ws`. */
  readonly wsUrl: string;
  readonly port: number;
  readonly wsAuth: WsAuth;
  /** Closes every connection and stops listening. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the demo chat on plain WebSockets (DEMO-CONTRACT "Plain WebSocket"): `@sockauth/ws` on a `ws` server at
 * `/ws`, the chat's message handlers, and the HTTP routes, identity provider and page every demo shares (the page
 * on the WebSocket flavour of `@sockauth/client`). Resolves once it is listening. With `config.redisUrl`,
 * revocations go through Redis, so every node cuts its own connections.
 *
 * @example
 * ```ts
 * const server = await createChatServer(loadConfig({ PORT: '0', JWT_SECRET: secret }));
 * // ... drive server.wsUrl ...
 * await server.close();
 * ```
 */
export async function createChatServer(config: ChatConfig): Promise<ChatServer> {
  const { page, redis, metrics, restrictions, authOptions, identityProvider } = await demoServerParts(config, 'websocket');
  const wsAuth = createWsAuth({ ...authOptions, events: CHAT_EVENTS });
  const idp = identityProvider((sessionId) => wsAuth.revoke({ sessionId }));
  const http = createServer(
    createHttpHandler({ idp, auth: wsAuth, restrictions, indexHtml: page.html, pageScript: page.script, metrics }),
  );
  // The ws server answers upgrades at /ws before the routes above; other paths get 400 from ws.
  const wss = new WebSocketServer({ server: http, path: WS_PATH, ...wsAuth.serverOptions });
  wsAuth.attach(wss);
  const handlers = installChatHandlers(wsAuth, wss);

  const closeAll = async (): Promise<void> => {
    handlers.close();
    idp.close();
    // Closes the live connections (4301) and stops the timers; then the servers.
    wsAuth.close();
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await redis?.close();
  };
  let port: number;
  try {
    port = await listenDemo(http, config);
  } catch (error) {
    await closeAll().catch(() => undefined);
    throw error;
  }
  const url = formatUrl(config.host, port);

  let closing: Promise<void> | undefined;
  return {
    url,
    wsUrl: `${url.replace(/^http/, 'ws')}${WS_PATH}`,
    port,
    wsAuth,
    close: () => (closing ??= closeAll()),
  };
}
