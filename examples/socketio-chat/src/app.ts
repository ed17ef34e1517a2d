import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { combineHooks, prometheusHooks } from '@sockauth/metrics';
import { createSockAuth, type SockAuth } from '@sockauth/socket.io';
import client from 'prom-client';
import { Server } from 'socket.io';
import { CHAT_EVENTS, installChatGateway } from './chat-gateway.js';
import { demoAuditTrail } from '@sockauth/example-chat-common/audit-log';
import { demoAuthOptions } from '@sockauth/example-chat-common/auth-options';
import { formatUrl, type ChatConfig } from '@sockauth/example-chat-common/config';
import { createHttpHandler } from '@sockauth/example-chat-common/http-routes';
import { DemoIdentityProvider } from '@sockauth/example-chat-common/identity-provider';
import { loadDemoPage } from '@sockauth/example-chat-common/page';
import { connectRedisMode } from '@sockauth/example-chat-common/redis-mode';
import { MemoryRestrictions } from '@sockauth/example-chat-common/restrictions';
import { demoMemoryStore, revocationRetentionSec } from '@sockauth/example-chat-common/revocation';

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
  // The browser page, its script bundled with esbuild in memory (once per process; a build error fails the start).
  const page = await loadDemoPage();
  // REDIS_URL: revocations shared by every node, and broadcasts across nodes (rejects if Redis is unreachable).
  const redis =
    config.redisUrl === undefined ? undefined : await connectRedisMode(config.redisUrl, revocationRetentionSec(config));
  // GET /metrics: sockauth's counters in Prometheus text (a registry of its own, so only what the demo reports).
  const metrics = new client.Registry();
  // POST /admin/restrict: withheld permissions (shared by every node with REDIS_URL), applied by mapClaims at every
  // handshake, re-auth and re-evaluation.
  const restrictions = redis?.restrictions ?? new MemoryRestrictions();
  const auth = createSockAuth({
    ...demoAuthOptions(config, redis?.revocationStore ?? demoMemoryStore(config), restrictions),
    // AUDIT_LOG=1: also an audit record per auth decision, as JSON lines on stderr.
    hooks: combineHooks(prometheusHooks({ client, registry: metrics }), demoAuditTrail(config)),
    events: CHAT_EVENTS,
  });
  const idp = new DemoIdentityProvider({
    secret: config.secret,
    issuer: config.issuer,
    audience: config.audience,
    onSessionCompromised: (sessionId) => auth.revoke({ sessionId }),
  });
  const http = createServer(
    createHttpHandler({
      idp,
      auth,
      restrictions,
      indexHtml: page.html,
      pageScript: page.script,
      metrics,
    }),
  );
  // Socket.IO answers /socket.io/ before the routes above.
  const io = new Server(http, redis === undefined ? {} : { adapter: redis.adapter });
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
    await redis?.close();
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
      await redis?.close();
    })();
    return closing;
  };
  return { url: formatUrl(config.host, port), port, io, auth, close };
}
