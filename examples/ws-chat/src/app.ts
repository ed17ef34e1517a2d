import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createVerifier, revokeTarget, type RevocationTarget } from '@sockauth/core';
import { formatUrl, type ChatConfig } from '@sockauth/example-chat-common/config';
import { createHttpHandler, type HttpAuth } from '@sockauth/example-chat-common/http-routes';
import { DemoIdentityProvider } from '@sockauth/example-chat-common/identity-provider';
import { loadDemoPage } from '@sockauth/example-chat-common/page';
import { connectRedisMode } from '@sockauth/example-chat-common/redis-mode';
import { demoMemoryStore, revocationRetentionSec } from '@sockauth/example-chat-common/revocation';

/** A running chat server. */
export interface ChatServer {
  /** `http://HOST:PORT` with the real port. */
  readonly url: string;
  readonly port: number;
  /** Closes every connection and stops listening. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the demo chat on plain WebSockets: the shared HTTP routes (`GET /` with the page on the WebSocket
 * flavour of `@sockauth/client`, `/auth/login`, `/auth/refresh`, `/auth/revoke`) and the demo identity provider.
 * Resolves once it is listening.
 *
 * @example
 * ```ts
 * const server = await createChatServer(loadConfig({ PORT: '0', JWT_SECRET: secret }));
 * // ... drive server.url ...
 * await server.close();
 * ```
 */
export async function createChatServer(config: ChatConfig): Promise<ChatServer> {
  const page = await loadDemoPage('websocket');
  const redis =
    config.redisUrl === undefined ? undefined : await connectRedisMode(config.redisUrl, revocationRetentionSec(config));
  const verifier = createVerifier({
    algorithms: ['HS256'],
    secret: config.secret,
    issuer: config.issuer,
    audience: config.audience,
    clockToleranceSec: config.clockToleranceSec,
  });
  const revocationStore = redis?.revocationStore ?? demoMemoryStore(config);
  // Until the WebSocket endpoint is wired to @sockauth/ws there is no live connection to cut: a revocation is
  // recorded, and refuses the revoked tokens at every later admin check.
  const auth: HttpAuth = {
    verifier,
    revocationStore,
    revoke: async (target: RevocationTarget) => {
      await revokeTarget(revocationStore, target);
      return { disconnected: 0 };
    },
  };
  const idp = new DemoIdentityProvider({
    secret: config.secret,
    issuer: config.issuer,
    audience: config.audience,
    onSessionCompromised: (sessionId) => auth.revoke({ sessionId }),
  });
  const http = createServer(createHttpHandler({ idp, auth, indexHtml: page.html, pageScript: page.script }));

  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(config.port, config.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    idp.close();
    await redis?.close();
    throw error;
  }
  const port = (http.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      idp.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await redis?.close();
    })();
    return closing;
  };
  return { url: formatUrl(config.host, port), port, close };
}
