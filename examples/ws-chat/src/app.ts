import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { demoAuthOptions } from '@sockauth/example-chat-common/auth-options';
import { CHAT_EVENTS } from '@sockauth/example-chat-common/chat-events';
import { MemoryRestrictions } from '@sockauth/example-chat-common/restrictions';
import { formatUrl, type ChatConfig } from '@sockauth/example-chat-common/config';
import { createHttpHandler } from '@sockauth/example-chat-common/http-routes';
import { DemoIdentityProvider } from '@sockauth/example-chat-common/identity-provider';
import { loadDemoPage } from '@sockauth/example-chat-common/page';
import { connectRedisMode } from '@sockauth/example-chat-common/redis-mode';
import { demoMemoryStore, revocationRetentionSec } from '@sockauth/example-chat-common/revocation';
import { combineHooks, prometheusHooks } from '@sockauth/metrics';
import { demoAuditTrail } from '@sockauth/example-chat-common/audit-log';
import { createWsAuth, type WsAuth } from '@sockauth/ws';
import client from 'prom-client';
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
  const page = await loadDemoPage('websocket');
  const redis =
    config.redisUrl === undefined ? undefined : await connectRedisMode(config.redisUrl, revocationRetentionSec(config));
  // GET /metrics: sockauth's counters in Prometheus text (a registry of its own, so only what the demo reports).
  const metrics = new client.Registry();
  // POST /admin/restrict: withheld permissions (shared by every node with REDIS_URL), applied by mapClaims at every
  // handshake, re-auth and re-evaluation.
  const restrictions = redis?.restrictions ?? new MemoryRestrictions();
  const wsAuth = createWsAuth({
    ...demoAuthOptions(config, redis?.revocationStore ?? demoMemoryStore(config), restrictions),
    // AUDIT_LOG=1: also an audit record per auth decision, as JSON lines on stderr.
    hooks: combineHooks(prometheusHooks({ client, registry: metrics }), demoAuditTrail(config)),
    events: CHAT_EVENTS,
  });
  const idp = new DemoIdentityProvider({
    secret: config.secret,
    issuer: config.issuer,
    audience: config.audience,
    onSessionCompromised: (sessionId) => wsAuth.revoke({ sessionId }),
  });
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
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(config.port, config.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await closeAll().catch(() => undefined);
    throw error;
  }
  const port = (http.address() as AddressInfo).port;
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
