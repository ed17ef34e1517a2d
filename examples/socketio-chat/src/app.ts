import { createServer } from 'node:http';
import { createSockAuth, type SockAuth } from '@sockauth/socket.io';
import { Server } from 'socket.io';
import { CHAT_EVENTS, installChatGateway } from './chat-gateway.js';
import { formatUrl, type ChatConfig } from '@sockauth/example-chat-common/config';
import { demoServerParts, listenDemo } from '@sockauth/example-chat-common/demo-server';
import { createHttpHandler } from '@sockauth/example-chat-common/http-routes';

/** A running chat server. */
export interface ChatServer {
  /** `http://HOST:PORT` with the real port. */
  readonly url: string;
  readonly port: number;
  readonly io: Server;
  readonly auth: SockAuth;
  /** Disconnects every socket and stops listening. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the demo chat server: HTTP routes, Socket.IO with sockauth on every namespace, the chat gateway and the
 * demo identity provider. Resolves once it is listening. With `config.redisUrl`, revocations and broadcasts go
 * through Redis (see `redis-mode.ts`); it rejects when Redis cannot be reached at start-up.
 *
 * @example
 * ```ts
 * const server = await createChatServer(loadConfig({ PORT: '0', JWT_SECRET: secret }));
 * // ... drive server.url ...
 * await server.close();
 * ```
 */
export async function createChatServer(config: ChatConfig): Promise<ChatServer> {
  // REDIS_URL: revocations shared by every node, and broadcasts across nodes (rejects if Redis is unreachable).
  const { page, redis, metrics, restrictions, authOptions, identityProvider } = await demoServerParts(config, 'socket.io');
  const auth = createSockAuth({ ...authOptions, events: CHAT_EVENTS });
  const idp = identityProvider((sessionId) => auth.revoke({ sessionId }));
  const http = createServer(createHttpHandler({ idp, auth, restrictions, indexHtml: page.html, pageScript: page.script, metrics }));
  // Socket.IO answers /socket.io/ before the routes above.
  const io = new Server(http, redis === undefined ? {} : { adapter: redis.adapter });
  auth.attach(io);
  const gateway = installChatGateway(io, auth);

  let port: number;
  try {
    port = await listenDemo(http, config);
  } catch (error) {
    gateway.close();
    idp.close();
    auth.close();
    io.close();
    await redis?.close();
    throw error;
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      gateway.close();
      idp.close();
      auth.close();
      // Disconnects every socket, then closes the HTTP server.
      await io.close();
      http.closeAllConnections();
      await redis?.close();
    })();
    return closing;
  };
  return { url: formatUrl(config.host, port), port, io, auth, close };
}
