import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSockAuth, type SockAuth } from '@sockauth/socket.io';
import { Server } from 'socket.io';
import { CHAT_EVENTS, installChatGateway } from './chat-gateway.js';
import type { ChatConfig } from './config.js';
import { createHttpHandler } from './http-routes.js';
import { DemoIdentityProvider } from './identity-provider.js';

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

const INDEX_HTML = new URL('../public/index.html', import.meta.url);

/** `http://host:port`, with IPv6 literals bracketed. */
export function formatUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Starts the demo chat server: HTTP routes, Socket.IO with sockauth on every namespace, the chat gateway and the
 * demo identity provider. Resolves once it is listening.
 *
 * @example
 * ```ts
 * const server = await createChatServer(loadConfig({ PORT: '0', JWT_SECRET: secret }));
 * // ... drive server.url ...
 * await server.close();
 * ```
 */
export async function createChatServer(config: ChatConfig): Promise<ChatServer> {
  const indexHtml = readFileSync(INDEX_HTML);
  const auth = createSockAuth({
    verifier: {
      algorithms: ['HS256'],
      secret: config.secret,
      issuer: config.issuer,
      audience: config.audience,
      clockToleranceSec: config.clockToleranceSec,
    },
    events: CHAT_EVENTS,
    warnBeforeSec: config.warnBeforeSec,
    allowQueryToken: config.allowQueryToken,
  });
  const idp = new DemoIdentityProvider({
    secret: config.secret,
    issuer: config.issuer,
    audience: config.audience,
    onSessionCompromised: (sessionId) => auth.revoke({ sessionId }),
  });
  const http = createServer(createHttpHandler({ idp, auth, indexHtml }));
  // Socket.IO answers /socket.io/ (including /socket.io/socket.io.js for the page) before the routes above.
  const io = new Server(http);
  auth.attach(io);
  const gateway = installChatGateway(io, auth);

  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(config.port, config.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    gateway.close();
    idp.close();
    auth.close();
    io.close();
    throw error;
  }
  const port = (http.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      gateway.close();
      idp.close();
      auth.close();
      // Disconnects every socket, then closes the HTTP server.
      await io.close();
      http.closeAllConnections();
    })();
    return closing;
  };
  return { url: formatUrl(config.host, port), port, io, auth, close };
}
